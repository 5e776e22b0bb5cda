export { USER_ROLES, type SessionUser, type UserRole } from '../core/identity.js';

/** Scopes an API key may carry. admin covers the registries and everything else. */
export const API_SCOPES = ['prices:write', 'tasks:read', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
