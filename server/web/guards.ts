import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, PasswordChangeRequiredError, UnauthorizedError } from '../core/errors.js';
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

/** Where a user who must change their password may still go. */
const PASSWORD_CHANGE_PATHS = new Set(['/account/password', '/account/preferences', '/logout', '/readyz']);

/**
 * A first or admin-set password is changed before anything else: pages redirect to the password
 * form, and every other request (API calls of that session included) is refused with a clear error.
 */
export function passwordChangeGate(req: Request, res: Response, next: NextFunction) {
  // A call authenticated by an API key acts as the key, whatever session cookie comes with it.
  if (!req.user?.mustChangePassword || req.apiScopes !== undefined || PASSWORD_CHANGE_PATHS.has(req.path))
    return next();
  if (req.method === 'GET' && !req.path.startsWith('/api/') && req.accepts(['html', 'json']) === 'html') {
    return res.redirect('/account/password');
  }
  next(
    new PasswordChangeRequiredError(
      'Your password was set by someone else: choose your own at /account/password before anything else.',
    ),
  );
}
