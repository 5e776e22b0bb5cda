// The audit domain as the platform composes it: the auditor pages for the web role and,
// when SLS is configured, the shipper for the worker role. Without SLS there is nothing
// to ship: the local store is the trail, and the auditor page says so.
import os from 'node:os';
import type { Router } from 'express';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import { AuditQueryService } from './audit-query-service.js';
import { auditRoutes } from './audit-routes.js';
import { AuditShipper } from './audit-shipper.js';
import { SlsAuditClient } from './sls-client.js';

export interface AuditModule {
  routes: ((app: Router) => void)[];
  /** In start order: the SLS client's sockets close after the shipper stopped. */
  services: Service[];
}

export function createAudit(ctx: AppContext, roles: ReadonlySet<Role>): AuditModule {
  const { config, pool, log } = ctx;
  const sls = config.sls
    ? new SlsAuditClient(config.sls, {
        connectAddress: config.SLS_CONNECT_ADDRESS,
        timeoutMs: config.SLS_TIMEOUT_MS,
        source: os.hostname(),
      })
    : null;
  const queries = new AuditQueryService(pool, sls);
  const services: Service[] = [];
  if (sls) {
    services.push({ name: 'sls-client', start: async () => {}, stop: async () => sls.close() });
    if (roles.has('worker')) {
      const shipper = new AuditShipper(pool, sls, log.child({ module: 'audit-shipper' }), {
        batch: config.AUDIT_SHIP_BATCH,
        intervalMs: config.AUDIT_SHIP_INTERVAL_MS,
        backoffMaxMs: config.AUDIT_SHIP_BACKOFF_MAX_MS,
      });
      services.push(shipper);
    }
  }
  return { routes: [auditRoutes(queries)], services };
}
