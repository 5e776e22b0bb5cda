// Who is acting: the words the web layer, the audit trail and every domain share. The user
// roles are defined here (not in server/auth) so that server/web can check them without
// importing a domain; server/auth re-exports them with the API scopes.
import { ForbiddenError } from './errors.js';

export const USER_ROLES = ['admin', 'operator', 'auditor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** A store an identity is limited to, named so that a refusal can say which store. */
export interface ScopedStore {
  id: number;
  code: string;
  name: string;
}

/**
 * The stores a user or API key may see and change: null = every store (admins, users and keys
 * without a scope, the system, devices); otherwise exactly these stores (never empty).
 */
export type StoreScope = readonly ScopedStore[] | null;

export interface SessionUser {
  id: number;
  username: string;
  role: UserRole;
  /** The user's store scope (null = every store). */
  stores: StoreScope;
}

/** Who did something: a user, an API key, a device or the platform itself. */
export interface Actor {
  name: string;
  role: UserRole | 'api' | 'device' | 'system' | 'anonymous';
  requestId?: string | null;
  ip?: string | null;
  /** The store scope of the user or API key acting; absent or null = every store. */
  stores?: StoreScope;
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ name: 'system', role: 'system' });

/** The store ids an actor is limited to, or null for every store. Repos take this for their filters. */
export function scopeIds(actor: Pick<Actor, 'stores'> | null | undefined): number[] | null {
  const s = actor?.stores;
  return s ? s.map((x) => x.id) : null;
}

/** Whether an actor may see or change the store with this id. */
export function inStoreScope(actor: Pick<Actor, 'stores'> | null | undefined, storeId: number): boolean {
  const s = actor?.stores;
  return !s || s.some((x) => x.id === Number(storeId));
}

/** The message of a refusal for a store outside the actor's scope (English; pages translate it). */
export function outOfScopeMessage(store: { code: string; name?: string | null }): string {
  const named = store.name ? `"${store.name}" (${store.code})` : `"${store.code}"`;
  return `Store ${named} is outside your store scope.`;
}

/** Throws a 403 naming the store when it is outside the actor's scope. */
export function assertStoreInScope(
  actor: Pick<Actor, 'stores'> | null | undefined,
  store: { id: number; code: string; name?: string | null },
): void {
  if (!inStoreScope(actor, store.id)) throw new ForbiddenError(outOfScopeMessage(store));
}

/** A short description of a scope for logs and audit records: store codes, or null for every store. */
export function scopeCodes(scope: StoreScope | undefined): string[] | null {
  return scope ? scope.map((s) => s.code) : null;
}
