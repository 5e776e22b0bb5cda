// The audit domain as the platform composes it: the auditor pages for the web role and,
// when SLS is configured, the shipper for the worker role. Without SLS there is nothing
// to ship: the local store is the trail, and the auditor page says so. Every other domain
// writes its records itself, with appendAudit inside its own transaction.
import os from 'node:os';
import type { RequestHandler } from 'express';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import type { DomainModule } from '../core/module.js';
import { AuditApiService } from './audit-api-service.js';
import { auditApiRoutes } from './audit-api-routes.js';
import { AuditQueryService } from './audit-query-service.js';
import { auditRoutes } from './audit-routes.js';
import { AuditShipper } from './audit-shipper.js';
import { SlsAuditClient } from './sls-client.js';

/** `apiGuard`: who may call /api/v1/audit (the audit:read scope, checked by the auth domain). */
export function createAuditModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: { apiGuard?: RequestHandler } = {},
): DomainModule {
  const { config, pool, log } = ctx;
  const sls = config.sls
    ? new SlsAuditClient(config.sls, {
        connectAddress: config.SLS_CONNECT_ADDRESS,
        timeoutMs: config.SLS_TIMEOUT_MS,
        source: os.hostname(),
      })
    : null;
  const queries = new AuditQueryService(pool, sls);
  // In start order: the SLS client's sockets close after the shipper stopped.
  const services: Service[] = [];
  if (sls) {
    services.push({ name: 'sls-client', start: async () => {}, stop: async () => sls.close() });
    if (roles.has('worker')) {
      services.push(
        new AuditShipper(pool, sls, log.child({ module: 'audit-shipper' }), {
          batch: config.AUDIT_SHIP_BATCH,
          intervalMs: config.AUDIT_SHIP_INTERVAL_MS,
          backoffMaxMs: config.AUDIT_SHIP_BACKOFF_MAX_MS,
        }),
      );
    }
  }
  const routes = [auditRoutes(queries)];
  if (deps.apiGuard) routes.push(auditApiRoutes(new AuditApiService(queries), deps.apiGuard));
  return { name: 'audit', services, routes, ports: {} };
}
