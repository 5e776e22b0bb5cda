import type { Request, Response, Router } from 'express';
import { AppError, ValidationError } from '../core/errors.js';
import { flash } from '../web/flash.js';
import { requireLogin } from '../web/guards.js';
import type { UsersService } from './users-service.js';

/** Only same-site paths, so ?next= cannot send a user elsewhere. */
const safeNext = (v: unknown) => (typeof v === 'string' && /^\/(?!\/)[^\s\\]*$/.test(v) ? v : '/');

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

export function authRoutes(users: UsersService) {
  return (app: Router) => {
    app.get('/login', (req: Request, res: Response) => {
      if (req.user) return res.redirect('/');
      res.render('auth/login', { title: 'Sign in', next: safeNext(req.query.next), values: {} });
    });

    app.post('/login', async (req: Request, res: Response) => {
      const username = String(req.body?.username ?? '').slice(0, 64);
      const password = String(req.body?.password ?? '').slice(0, 256);
      const next = safeNext(req.body?.next);
      try {
        const user = await users.login(username, password, {
          requestId: req.actor.requestId,
          ip: req.ip ?? null,
        });
        // A new session id on sign-in (session fixation).
        await regenerate(req);
        req.session.userId = user.id;
        req.session.stamp = user.stamp;
        res.redirect(next);
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        res.status(err.status).render('auth/login', {
          title: 'Sign in',
          next,
          values: { username },
          loginError: err.message,
        });
      }
    });

    app.post('/logout', (req: Request, res: Response) => {
      req.session.destroy(() => {
        res.clearCookie('esl.sid');
        res.redirect('/login');
      });
    });

    app.get('/account/password', requireLogin, (_req: Request, res: Response) => {
      res.render('auth/password', { title: 'Change password' });
    });

    app.post('/account/password', requireLogin, async (req: Request, res: Response) => {
      try {
        req.session.stamp = await users.changePassword(
          req.actor,
          req.user!.id,
          String(req.body.current ?? ''),
          String(req.body.password ?? ''),
        );
        flash(req, 'ok', 'Password changed. Your other sessions are signed out.');
        res.redirect('/');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400).render('auth/password', { title: 'Change password', errors: err.fields });
      }
    });
  };
}
