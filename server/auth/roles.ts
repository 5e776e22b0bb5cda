export { USER_ROLES, type SessionUser, type UserRole } from '../core/identity.js';

/** Scopes an API key may carry. admin covers the registries and everything else; audit:read the audit trail. */
export const API_SCOPES = ['prices:write', 'tasks:read', 'admin', 'audit:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
