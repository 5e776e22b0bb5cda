import type { NextFunction, Request, Response } from 'express';
import { AppError, ValidationError, TooManyRequestsError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { applyLocale, type LocaleDefaults } from '../i18n/locale-middleware.js';

const wantsJson = (req: Request) => req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json';

/** The one error handler: typed errors become their status and message; anything else is a 500 without details. */
export function errorHandler(
  log: Logger,
  showStack: boolean,
  locale: LocaleDefaults = { DEFAULT_LOCALE: 'en', DEFAULT_TIME_ZONE: 'UTC' },
) {
  // Express recognises error handlers by arity; keep all four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'Something went wrong on our side. The error has been logged.';
    let fields: Record<string, string> | undefined;
    let details: Record<string, unknown> | undefined;
    const e = err as { status?: number; statusCode?: number; code?: string; type?: string; message?: string };
    if (err instanceof AppError) {
      status = err.status;
      code = err.code;
      message = err.message;
      if (err instanceof ValidationError) fields = err.fields;
      details = err.details;
      if (err instanceof TooManyRequestsError) res.setHeader('Retry-After', String(err.retryAfterSeconds));
    } else if (e?.code === 'EBADCSRFTOKEN' || e?.message === 'invalid csrf token') {
      status = 403;
      code = 'bad_csrf_token';
      message = 'The form has expired or was not sent by this site. Reload the page and try again.';
    } else if (e?.type === 'entity.too.large') {
      status = 413;
      code = 'payload_too_large';
      message = 'The request is too large.';
    } else if (e?.type === 'entity.parse.failed') {
      status = 400;
      code = 'invalid_json';
      message = 'The request body is not valid JSON.';
    } else if (typeof (e?.status ?? e?.statusCode) === 'number' && (e.status ?? e.statusCode)! < 500) {
      status = (e.status ?? e.statusCode)!;
      code = 'bad_request';
      message = e.message ?? 'Bad request.';
    }
    if (status >= 500) log.error({ err, reqId: req.id }, 'request failed');
    if (res.headersSent) return;
    res.status(status);
    if (wantsJson(req)) {
      res.json({
        error: {
          code,
          message,
          ...(fields ? { fields } : {}),
          ...(details ?? {}),
          requestId: String(req.id ?? ''),
        },
      });
      return;
    }
    // The page's language was chosen per request; a request that failed before that gets it here.
    if (typeof res.locals.t !== 'function') applyLocale(req, res, locale);
    const kind =
      status === 404 ? 'notFound' : status === 403 ? 'forbidden' : status >= 500 ? 'server' : 'other';
    res.render('errors/error', {
      title: req.t(`errors.title.${kind}`),
      status,
      message: req.tm(message),
      stack: showStack && status >= 500 ? (err as Error)?.stack : null,
    });
  };
}
