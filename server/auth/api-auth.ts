import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../core/errors.js';
import type { ApiKeysService } from './api-keys-service.js';
import type { ApiScope, UserRole } from './roles.js';

/** /api/v1: an API key in `Authorization: Bearer <key>` or `X-API-Key`, else the browser session (with CSRF). */
export function apiKeyAuth(keys: ApiKeysService) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const auth = req.headers.authorization;
      const presented = auth?.startsWith('Bearer ')
        ? auth.slice(7).trim()
        : (req.headers['x-api-key'] as string | undefined);
      if (!presented) return next();
      const p = await keys.authenticate(presented);
      if (!p) return next(new UnauthorizedError('Unknown or revoked API key.'));
      req.apiScopes = p.scopes;
      req.apiKeyId = p.keyId;
      req.actor = { ...req.actor, name: `apikey:${p.name}`, role: 'api', stores: p.stores };
      next();
    } catch (err) {
      next(err);
    }
  };
}

const ROLE_SCOPES: Record<UserRole, ApiScope[]> = {
  admin: ['admin', 'prices:write', 'tasks:read', 'audit:read'],
  operator: ['prices:write', 'tasks:read'],
  auditor: ['tasks:read', 'audit:read'],
};

/** An API route's permission: a key with the scope (or 'admin'), or a signed-in user whose role grants it. */
export function requireScope(scope: ApiScope) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const scopes = req.apiScopes ?? (req.user ? ROLE_SCOPES[req.user.role] : null);
    if (!scopes)
      return next(new UnauthorizedError('Send an API key (Authorization: Bearer esl_...) or sign in.'));
    if (!scopes.includes(scope) && !scopes.includes('admin'))
      return next(new ForbiddenError(`This call needs the "${scope}" scope.`));
    next();
  };
}
