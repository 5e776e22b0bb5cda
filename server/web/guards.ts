import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../core/errors.js';
import type { UserRole } from '../core/identity.js';

/** Pages: a signed-out visitor is sent to /login; JSON callers get 401. */
export function requireLogin(req: Request, res: Response, next: NextFunction) {
  if (req.user) return next();
  if (req.accepts(['html', 'json']) === 'html' && req.method === 'GET') {
    return res.redirect(`/login?next=${encodeURIComponent(req.originalUrl)}`);
  }
  next(new UnauthorizedError('Sign in first.'));
}

/** Enforced on the server for every route that needs it; the navigation only mirrors it. */
export function requireRole(...roles: UserRole[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (!req.user) return requireLogin(req, res, next);
    if (!roles.includes(req.user.role)) {
      return next(new ForbiddenError(`This page is for ${roles.join(' or ')} accounts.`));
    }
    next();
  };
}
