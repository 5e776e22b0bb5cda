import type { Request, Response, Router } from 'express';
import type { AppContext } from '../core/context.js';
import { requireLogin } from './guards.js';

/** The dashboard. (Health and readiness probes are in readiness.ts, mounted before the session.) */
export function homeRoutes(_ctx: AppContext) {
  return (app: Router) => {
    app.get('/', requireLogin, (_req: Request, res: Response) => {
      res.render('home', { title: 'Dashboard' });
    });
  };
}
