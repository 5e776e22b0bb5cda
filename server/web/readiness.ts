// /healthz (the process answers) and /readyz (its dependencies answer). Both are mounted before
// the session, so a probe never touches the session store, and /readyz answers within a second
// whatever state MySQL and Redis are in: every check is bounded, and a Redis connection that is
// not ready is reported down at once rather than queueing a PING behind the reconnect.
// The answer is only up/down per dependency; why one is down goes to the log, never to the caller.
import type { Router } from 'express';
import type { AppContext } from '../core/context.js';
import { migrationsApplied } from '../db/migrate.js';

/** Bound on each dependency check; the checks run side by side. */
export const READY_CHECK_TIMEOUT_MS = 800;

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function readinessRoutes(ctx: AppContext) {
  let lastLogged = 0;
  const logDown = (dep: string, err: unknown) => {
    if (Date.now() - lastLogged < 1000) return;
    lastLogged = Date.now();
    ctx.log.warn({ dependency: dep, err: (err as Error)?.message ?? String(err) }, 'readiness check failed');
  };

  const mysqlCheck = async (): Promise<{
    mysql: 'up' | 'down';
    migrations: 'applied' | 'pending' | 'unknown';
  }> => {
    try {
      const applied = await bounded(migrationsApplied(ctx.pool), READY_CHECK_TIMEOUT_MS, 'MySQL');
      return { mysql: 'up', migrations: applied ? 'applied' : 'pending' };
    } catch (err) {
      logDown('mysql', err);
      return { mysql: 'down', migrations: 'unknown' };
    }
  };
  const redisCheck = async (): Promise<'up' | 'down'> => {
    try {
      if (ctx.redis.status !== 'ready') throw new Error(`connection ${ctx.redis.status}`);
      const pong = await bounded(ctx.redis.ping(), READY_CHECK_TIMEOUT_MS, 'Redis');
      if (pong !== 'PONG') throw new Error('unexpected PING answer');
      return 'up';
    } catch (err) {
      logDown('redis', err);
      return 'down';
    }
  };

  return (app: Router) => {
    app.get('/healthz', (_req, res) => {
      res.json({ ok: true });
    });

    // Ready = MySQL and Redis answer and every migration on disk is applied.
    app.get('/readyz', async (_req, res) => {
      const [db, redis] = await Promise.all([mysqlCheck(), redisCheck()]);
      const checks = { mysql: db.mysql, redis, migrations: db.migrations };
      const ok = checks.mysql === 'up' && checks.redis === 'up' && checks.migrations === 'applied';
      res.setHeader('Cache-Control', 'no-store');
      res.status(ok ? 200 : 503).json({ ok, checks });
    });
  };
}
