import type { Request, Response, Router } from 'express';
import { AppError, TooManyRequestsError, ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { requireLogin } from '../web/guards.js';
import type { UsersService } from './users-service.js';

/** Only same-site paths, so ?next= cannot send a user elsewhere. */
const safeNext = (v: unknown) => (typeof v === 'string' && /^\/(?!\/)[^\s\\]*$/.test(v) ? v : '/');

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

/** defaultTimeZone: the zone of users who chose none (DEFAULT_TIME_ZONE), named on the account page. */
export function authRoutes(users: UsersService, defaultTimeZone: string) {
  return (app: Router) => {
    app.get('/login', (req: Request, res: Response) => {
      if (req.user) return res.redirect('/');
      res.render('auth/login', { title: req.t('auth.signIn'), next: safeNext(req.query.next), values: {} });
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
        // A new session id on sign-in (session fixation); the language chosen before signing in stays.
        const locale = req.session.locale;
        await regenerate(req);
        req.session.userId = user.id;
        req.session.stamp = user.stamp;
        if (locale) req.session.locale = locale;
        res.redirect(next);
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500) throw err;
        if (err instanceof TooManyRequestsError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
        res.status(err.status).render('auth/login', {
          title: req.t('auth.signIn'),
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

    const accountPage = (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
      res.render('auth/password', {
        title: req.t('auth.changePassword'),
        timeZones: ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')],
        defaultTimeZone: defaultTimeZone,
        ...extra,
      });

    app.get('/account/password', requireLogin, (req: Request, res: Response) => accountPage(req, res));

    app.post('/account/password', requireLogin, async (req: Request, res: Response) => {
      try {
        req.session.stamp = await users.changePassword(
          req.actor,
          req.user!.id,
          String(req.body.current ?? ''),
          String(req.body.password ?? ''),
        );
        flashKey(req, 'ok', 'auth.passwordChanged');
        res.redirect('/');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        accountPage(req, res, { errors: err.fields });
      }
    });
  };
}
