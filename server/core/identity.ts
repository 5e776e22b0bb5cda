// Who is acting: the words the web layer, the audit trail and every domain share. The user
// roles are defined here (not in server/auth) so that server/web can check them without
// importing a domain; server/auth re-exports them with the API scopes.

export const USER_ROLES = ['admin', 'operator', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface SessionUser {
  id: number;
  username: string;
  role: UserRole;
}

/** Who did something: a user, an API key, a device or the platform itself. */
export interface Actor {
  name: string;
  role: UserRole | 'api' | 'device' | 'system' | 'anonymous';
  requestId?: string | null;
  ip?: string | null;
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ name: 'system', role: 'system' });
