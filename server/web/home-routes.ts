import type { Request, Response, Router } from 'express';
import type { AppContext } from '../core/context.js';
import { migrationsApplied } from '../db/migrate.js';

export function homeRoutes(ctx: AppContext) {
  return (app: Router) => {
    // Ready = MySQL and Redis answer and every migration on disk is applied.
    app.get('/readyz', async (_req: Request, res: Response) => {
      const checks: Record<string, string> = {};
      try {
        checks.migrations = (await migrationsApplied((sql) => ctx.pool.query(sql))) ? 'ok' : 'pending';
        checks.mysql = 'ok';
      } catch (err) {
        checks.mysql = `error: ${(err as Error).message}`;
      }
      try {
        checks.redis = (await ctx.redis.ping()) === 'PONG' ? 'ok' : 'error';
      } catch (err) {
        checks.redis = `error: ${(err as Error).message}`;
      }
      const ok = Object.values(checks).every((v) => v === 'ok');
      res.status(ok ? 200 : 503).json({ ok, checks });
    });
  };
}
