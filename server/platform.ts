// Composes the platform from its domain modules for the roles asked for. Used by server/main.ts
// and by the tests, which start whole platforms on their own databases and ports. Each module
// factory (`server/<domain>/module.ts`, `broker/module.ts`) returns its services, its routes and
// the ports later modules are given; the order below is the order services start (they stop in
// reverse) and routes are mounted.
import { createBrokerModule } from '../broker/index.js';
import { createApiModule } from './api/module.js';
import { createAisleModule } from './aisle/module.js';
import { createAuditModule } from './audit/module.js';
import { requireScope } from './auth/api-auth.js';
import { createAuthModule } from './auth/module.js';
import { createCatalogModule } from './catalog/module.js';
import { createCommandsModule } from './commands/module.js';
import type { Config } from './config.js';
import type { AppContext } from './core/context.js';
import { stopAll, type Service } from './core/lifecycle.js';
import type { Logger } from './core/logger.js';
import type { DomainModule } from './core/module.js';
import { createRedis } from './core/redis.js';
import { migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { createAlertsModule } from './alerts/module.js';
import { createDashboardModule } from './dashboard/module.js';
import { createDemoModule } from './demo/module.js';
import { createDevicesModule } from './devices/module.js';
import { createRegistryModule } from './registry/module.js';
import { createRenderModule } from './render/module.js';
import { createTasksModule } from './tasks/module.js';
import { createWebModule } from './web/module.js';
import { createWebhooksModule } from './webhooks/module.js';

export interface PlatformOptions {
  config: Config;
  log: Logger;
  mysqlUrl: string;
  redisUrl: string;
  sessionSecret: string;
}

export interface Platform {
  ctx: AppContext;
  services: Service[];
  /** The HTTP port actually bound (web role), or 0. */
  httpPort: number;
  firstAdmin: { username: string; password: string | null } | null;
  stop(): Promise<void>;
}

export async function startPlatform(opts: PlatformOptions): Promise<Platform> {
  const { config, log } = opts;
  const roles = new Set(config.ROLES);
  const { applied } = await migrate(opts.mysqlUrl);
  if (applied.length) log.info({ applied }, 'migrations applied');

  const pool = createPool(opts.mysqlUrl);
  const redis = createRedis(opts.redisUrl, opts.log);
  const ctx: AppContext = { config, log, pool, redis, redisUrl: opts.redisUrl, mysqlUrl: opts.mysqlUrl };
  const connections: Service = {
    name: 'connections',
    start: async () => {},
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
      await pool.end();
    },
  };

  const auth = await createAuthModule(ctx);
  const broker = await createBrokerModule(ctx, roles);
  const registry = await createRegistryModule(ctx, roles, { broker: broker.ports.broker });
  const audit = createAuditModule(ctx, roles, { apiGuard: requireScope('audit:read') });
  const devices = createDevicesModule(ctx, roles);
  const render = createRenderModule(ctx, roles, {
    tasks: () => tasks.ports.taskCreator,
    omnibus: () => catalog.ports.omnibus,
  });
  const commands = createCommandsModule(ctx, roles, { downlink: broker.ports.downlink });
  const tasks = createTasksModule(ctx, roles, {
    downlink: broker.ports.downlink,
    applyStatus: devices.ports.applyStatus,
    images: render.ports.itemImages,
    commandAcks: commands.ports.commandAcks,
  });
  const catalog = createCatalogModule(ctx, roles, { tasks: tasks.ports.taskCreator });
  const aisle = createAisleModule(ctx, { labels: catalog.ports.labels, commands: commands.ports.commands });
  const dashboard = createDashboardModule(ctx, { tasks: tasks.ports.tasks });
  const alerts = createAlertsModule(ctx, roles, { tasks: tasks.ports.tasks });
  const webhooks = createWebhooksModule(ctx, roles);
  const api = createApiModule(ctx);
  const demo = await createDemoModule(ctx, roles, {
    broker: broker.ports.broker,
    registry: registry.ports.registry,
  });
  const domains: DomainModule<object>[] = [
    auth,
    broker,
    registry,
    audit,
    devices,
    // before render: its routes add the command panel to the label page render serves
    commands,
    render,
    tasks,
    catalog,
    aisle,
    dashboard,
    alerts,
    webhooks,
    api,
    demo,
  ];
  const web = createWebModule(ctx, roles, {
    sessionSecret: opts.sessionSecret,
    currentUser: auth.ports.currentUser,
    apiAuth: auth.ports.apiAuth,
    apiIdempotency: api.ports.idempotency,
    routes: domains.flatMap((m) => m.routes),
  });

  const services = [connections, ...[...domains, web].flatMap((m) => m.services)];
  const started: Service[] = [];
  const stop = () =>
    stopAll(started, config.SHUTDOWN_TIMEOUT_MS, (name, e) =>
      log.error({ err: e, service: name }, 'stop failed'),
    );
  try {
    for (const s of services) {
      await s.start();
      started.push(s);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    ctx,
    services,
    httpPort: web.ports.http?.port ?? 0,
    firstAdmin: auth.ports.firstAdmin,
    stop,
  };
}
