// Composes the platform from its parts for the roles asked for. Used by server/main.ts
// and by the tests, which start whole platforms on their own databases and ports.
import type { Config } from './config.js';
import type { AppContext } from './core/context.js';
import { stopAll, type Service } from './core/lifecycle.js';
import type { Logger } from './core/logger.js';
import { createRedis } from './core/redis.js';
import { createPool } from './db/pool.js';
import { migrate } from './db/migrate.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { UsersService } from './auth/users-service.js';
import { authRoutes } from './auth/auth-routes.js';
import { usersRoutes } from './auth/users-routes.js';
import { ApiKeysService } from './auth/api-keys-service.js';
import { apiKeysRoutes } from './auth/api-keys-routes.js';
import { apiKeyAuth } from './auth/api-auth.js';
import { createWebApp } from './web/app.js';
import { homeRoutes } from './web/home-routes.js';
import { HttpService } from './web/http-service.js';
import { createAudit } from './audit/audit-module.js';
import { createCatalog } from './catalog/catalog.js';
import type { DownlinkPublisher } from '../broker/downlink.js';
import { composeBroker } from './registry/compose.js';
import { composeTaskCreator, composeTasks } from './tasks/compose.js';
import { createRender } from './render/module.js';

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
  const services: Service[] = [
    {
      name: 'connections',
      start: async () => {},
      stop: async () => {
        await redis.quit().catch(() => redis.disconnect());
        await pool.end();
      },
    },
  ];

  const users = new UsersService(
    pool,
    new LoginThrottle(redis, config.REDIS_PREFIX, config.LOGIN_MAX_ATTEMPTS, config.LOGIN_WINDOW_SECONDS),
  );
  const firstAdmin = await users.ensureFirstAdmin(config.ADMIN_USERNAME, config.ADMIN_PASSWORD);

  const apiKeys = new ApiKeysService(pool);
  const routes = [homeRoutes(ctx), authRoutes(users), usersRoutes(users), apiKeysRoutes(apiKeys)];

  // Each domain below adds its web routes (used by the web role) and its long-lived
  // services for the roles it serves. Order matters: services stop in reverse.

  // [broker] the integrated MQTT broker, its registries and connection events
  /** How the worker publishes to devices: the in-process broker, or an MQTT client in split deployments. */
  const downlink: { current: DownlinkPublisher | null } = { current: null };
  await composeBroker(ctx, roles, downlink, services, routes);

  // [audit] the audit shipper and the auditor pages
  const audit = createAudit(ctx, roles);
  routes.push(...audit.routes);
  services.push(...audit.services);

  // [tasks, early] the catalog block below creates tasks through taskCreator; the rest of the pipeline is in [tasks].
  const tasksEarly = composeTaskCreator(ctx, services);
  const taskCreator = tasksEarly.taskCreator;

  // [catalog] stores, products, prices, labels, imports, REST API
  const catalog = createCatalog(ctx, taskCreator);
  routes.push(...catalog.routes);
  if (roles.has('worker')) services.push(catalog.scheduleWorker);

  // [render] label models, templates, label images (pages, image API, task rendering in the worker)
  const render = createRender(ctx, roles);
  routes.push(...render.routes);
  services.push(...render.services);

  // [tasks] the price-change pipeline, task pages, demo fleet
  await composeTasks(ctx, roles, tasksEarly, downlink, services, routes, render.ports.itemImages);

  let http: HttpService | null = null;
  if (roles.has('web')) {
    const app = createWebApp(ctx, {
      users,
      sessionSecret: opts.sessionSecret,
      routes,
      apiAuth: apiKeyAuth(apiKeys),
    });
    http = new HttpService(app, config.HTTP_HOST, config.HTTP_PORT);
    services.push(http);
  }

  const started: Service[] = [];
  try {
    for (const s of services) {
      await s.start();
      started.push(s);
    }
  } catch (err) {
    await stopAll(started, config.SHUTDOWN_TIMEOUT_MS, (name, e) =>
      log.error({ err: e, service: name }, 'stop failed'),
    );
    throw err;
  }

  return {
    ctx,
    services,
    httpPort: http?.port ?? 0,
    firstAdmin,
    stop: () =>
      stopAll(started, config.SHUTDOWN_TIMEOUT_MS, (name, e) =>
        log.error({ err: e, service: name }, 'stop failed'),
      ),
  };
}
