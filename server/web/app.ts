// The Express app: security headers, request ids and logs, sessions in Redis, CSRF,
// the signed-in user, then each domain's routes, then 404 and the one error handler.
// Sessions are for people: probes, API-key calls and anonymous requests that render no form
// never create one (the CSRF token, which lives in the session, is made only when a page prints it).
import crypto from 'node:crypto';
import path from 'node:path';
import express from 'express';
import session from 'express-session';
import RedisStore from 'connect-redis';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { csrfSync } from 'csrf-sync';
import { PROJECT_ROOT } from '../config.js';
import type { AppContext } from '../core/context.js';
import { REDACT } from '../core/logger.js';
import { NotFoundError } from '../core/errors.js';
import type { SessionUser } from '../core/identity.js';
import type { RouteMount } from '../core/module.js';
import { errorHandler } from './error-handler.js';
import { passwordChangeGate } from './guards.js';
import { navFor } from './nav.js';
import { applyLocale } from '../i18n/locale-middleware.js';
import { readinessRoutes } from './readiness.js';

/**
 * The signed-in user of a session, reloaded on every request; null when gone, disabled, or when
 * the session's stamp (taken at sign-in) no longer matches: the password changed since.
 */
export type CurrentUser = (
  userId: number,
  stamp: string | undefined,
) => Promise<
  (SessionUser & { mustChangePassword: boolean; locale: string | null; timeZone: string | null }) | null
>;

export interface WebDeps {
  currentUser: CurrentUser;
  sessionSecret: string;
  /** Each domain mounts its routes here, in order. */
  routes: RouteMount[];
  /** API-key authentication for /api/v1 (runs before CSRF, which API-key calls skip). */
  apiAuth?: express.RequestHandler;
  /** Idempotency-Key handling for /api/v1 POSTs (after authentication, before the routes). */
  apiIdempotency?: express.RequestHandler;
}

const REQ_ID = /^[a-zA-Z0-9._-]{8,64}$/;

export function createWebApp(ctx: AppContext, deps: WebDeps): express.Express {
  const { config, log } = ctx;
  const app = express();
  app.set('trust proxy', 'loopback');
  app.set('view engine', 'ejs');
  app.set('views', path.join(PROJECT_ROOT, 'views'));
  app.disable('x-powered-by');
  app.locals.appName = 'ESL Platform';

  app.use(
    pinoHttp({
      logger: log,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQ_ID.test(given) ? given : crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      // pino-http logs through a child logger, whose own redact list replaces the parent's: pass it on.
      redact: REDACT,
    }),
  );
  // Defaults for every view, so an error page renders even when a request fails early (body too large).
  app.use((req, res, next) => {
    Object.assign(res.locals, {
      user: null,
      nav: [],
      path: req.path,
      csrfToken: '',
      flash: [],
      errors: {},
      values: {},
    });
    applyLocale(req, res, config);
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'"],
          'style-src': ["'self'"],
          'img-src': ["'self'", 'data:'],
          'upgrade-insecure-requests': null,
        },
      },
      strictTransportSecurity: config.COOKIE_SECURE,
    }),
  );
  app.use('/static', express.static(path.join(PROJECT_ROOT, 'public'), { maxAge: '1h' }));

  readinessRoutes(ctx)(app);

  app.use(express.urlencoded({ extended: false, limit: '200kb', parameterLimit: 2000 }));
  app.use(express.json({ limit: '2mb' }));

  app.use((req, _res, next) => {
    req.actor = { name: 'anonymous', role: 'anonymous', requestId: String(req.id), ip: req.ip ?? null };
    next();
  });
  if (deps.apiAuth) app.use('/api/v1', deps.apiAuth);

  const sessions = session({
    name: 'esl.sid',
    store: new RedisStore({
      client: ctx.redis,
      prefix: `${config.REDIS_PREFIX}:sess:`,
      ttl: config.SESSION_TTL_SECONDS,
    }),
    secret: deps.sessionSecret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.COOKIE_SECURE,
      maxAge: config.SESSION_TTL_SECONDS * 1000,
    },
  });
  // A call authenticated by an API key is not a person's visit: it neither reads nor writes a session.
  app.use((req, res, next) => (req.apiScopes !== undefined ? next() : sessions(req, res, next)));

  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) =>
      (req.body?._csrf as string | undefined) ?? (req.headers['x-csrf-token'] as string | undefined),
    // A call authenticated by an API key carries no cookie, so it cannot be forged cross-site.
    // An API call without a signed-in session has nothing to forge: let requireScope answer 401.
    skipCsrfProtection: (req) =>
      req.apiScopes !== undefined || (req.path.startsWith('/api/') && !req.session?.userId),
  });

  app.use(async (req, res, next) => {
    try {
      if (req.session?.userId) {
        const user = await deps.currentUser(req.session.userId, req.session.stamp);
        if (user) {
          req.user = user;
          // Unless an API key already speaks for the request, the user's store scope rides on the actor.
          if (req.apiScopes === undefined)
            req.actor = { ...req.actor, name: user.username, role: user.role, stores: user.stores };
        } else {
          delete req.session.userId;
          delete req.session.stamp;
        }
      }
      applyLocale(req, res, config, true);
      res.locals.user = req.user ?? null;
      // Until a one-time password is replaced, every link would lead back to the password form.
      res.locals.nav = req.user?.mustChangePassword ? [] : navFor(req.user?.role);
      res.locals.path = req.path;
      res.locals.csrfToken = req.session ? lazyCsrfToken(req, generateToken) : '';
      res.locals.flash = req.session?.flash ?? [];
      if (req.session?.flash) delete req.session.flash;
      res.locals.errors = {};
      res.locals.values = {};
      next();
    } catch (err) {
      next(err);
    }
  });
  app.use(csrfSynchronisedProtection);
  app.use(passwordChangeGate);
  if (deps.apiIdempotency) app.use('/api/v1', deps.apiIdempotency);

  for (const mount of deps.routes) mount(app);

  app.use((req, _res, next) => next(new NotFoundError(`Nothing here: ${req.path}`)));
  app.use(errorHandler(log, config.NODE_ENV === 'development', config));
  return app;
}

/**
 * The session's CSRF token, generated (and so the session saved) only when a page prints it:
 * a redirect, a JSON answer or a page without a form leaves a new visitor without a session.
 * EJS prints values through String(), which calls toString().
 */
function lazyCsrfToken(req: express.Request, generate: (req: express.Request) => string): string {
  let token: string | undefined;
  const get = () => (token ??= generate(req));
  return { toString: get, toJSON: get, valueOf: get } as unknown as string;
}
