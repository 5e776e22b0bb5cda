export const USER_ROLES = ['admin', 'operator', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface SessionUser {
  id: number;
  username: string;
  role: UserRole;
}

/** Scopes an API key may carry. admin covers the registries and everything else. */
export const API_SCOPES = ['prices:write', 'tasks:read', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];
