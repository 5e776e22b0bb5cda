import crypto from 'node:crypto';
import { z } from 'zod';
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { ConflictError, NotFoundError, UnauthorizedError, ValidationError } from '../core/errors.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import type { LoginThrottle } from './login-throttle.js';
import { generatePassword, hashPassword, verifyPassword } from './password.js';
import { USER_ROLES, type SessionUser, type UserRole } from './roles.js';
import { scopeCodes, type StoreScope } from '../core/identity.js';
import * as repo from './users-repo.js';

export const usernameSchema = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9._-]{3,64}$/, '3-64 letters, digits, dot, dash or underscore');
export const passwordSchema = z.string().min(12, 'at least 12 characters').max(256, 'at most 256 characters');
export const roleSchema = z.enum(USER_ROLES, { message: `one of ${USER_ROLES.join(', ')}` });

/** The least-privileged role: what a new user gets unless an admin chooses another. */
export const DEFAULT_ROLE: UserRole = 'auditor';

/**
 * A session's credential stamp: derived from the password hash (salted, so it changes with every
 * new password). A session keeps the stamp of its sign-in; once the password changes, every other
 * session of that user no longer matches and is signed out on its next request.
 */
export const credentialStamp = (passwordHash: string) =>
  crypto.createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22);

// A fixed hash to compare against when the account does not exist, so timing does not tell.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export class UsersService {
  constructor(
    private readonly pool: Pool,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Checks credentials; records success and failure in the audit trail. */
  async login(
    username: string,
    password: string,
    actor: Omit<Actor, 'name' | 'role'>,
  ): Promise<SessionUser & { stamp: string }> {
    const ip = actor.ip ?? 'unknown';
    await this.throttle.check(username, ip);
    const user = await repo.findUserByName(this.pool, username);
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok || user.disabled) {
      await this.throttle.failed(username, ip);
      await withTx(this.pool, (c) =>
        appendAudit(c, { ...actor, name: username.slice(0, 64) || '(empty)', role: 'anonymous' }, [
          {
            action: 'auth.login_failed',
            objectType: 'user',
            objectId: username.slice(0, 64),
            summary: user?.disabled ? 'account disabled' : 'wrong username or password',
          },
        ]),
      );
      throw new UnauthorizedError('Wrong username or password, or the account is disabled.');
    }
    await this.throttle.succeeded(username);
    await withTx(this.pool, async (c) => {
      await repo.touchLogin(c, user.id);
      await appendAudit(c, { ...actor, name: user.username, role: user.role }, [
        { action: 'auth.login', objectType: 'user', objectId: user.username },
      ]);
    });
    return {
      id: user.id,
      username: user.username,
      role: user.role,
      stores: await this.scopeOf(user),
      stamp: credentialStamp(user.password_hash),
    };
  }

  async current(
    id: number,
    stamp: string | undefined,
  ): Promise<
    (SessionUser & { mustChangePassword: boolean; locale: string | null; timeZone: string | null }) | null
  > {
    const u = await repo.findUserById(this.pool, id);
    if (!u || u.disabled || !stamp || stamp !== credentialStamp(u.password_hash)) return null;
    return {
      id: u.id,
      username: u.username,
      role: u.role,
      stores: await this.scopeOf(u),
      mustChangePassword: !!u.must_change_password,
      locale: u.locale ?? null,
      timeZone: u.time_zone ?? null,
    };
  }

  /** A user's store scope: null (every store) for admins and users without one. */
  private async scopeOf(u: repo.UserRow): Promise<StoreScope> {
    if (u.role === 'admin') return null;
    return (await repo.userStores(this.pool, [u.id])).get(u.id) ?? null;
  }

  /** The users, each with its store scope and whether failed sign-ins have locked the account for now. */
  async list(f: { q?: string; role?: string; page?: number; pageSize?: number } = {}) {
    const role = USER_ROLES.find((r) => r === f.role);
    const filter = { q: f.q?.trim().slice(0, 64) || undefined, role };
    const pageSize = f.pageSize || 50;
    const page = Math.max(1, f.page || 1);
    const [users, total] = await Promise.all([
      repo.listUsers(this.pool, { ...filter, limit: pageSize, offset: (page - 1) * pageSize }),
      repo.countUsersMatching(this.pool, filter),
    ]);
    const locked = await this.throttle.lockedAccounts(users.map((u) => u.username));
    const scopes = await repo.userStores(
      this.pool,
      users.map((u) => u.id),
    );
    const rows = users.map((u) => ({
      ...u,
      stores: scopes.get(u.id) ?? null,
      locked: locked.has(u.username.toLowerCase()),
    }));
    return Object.assign(rows, { total, page, pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) });
  }

  /** Every store, for the scope choice on the users page. */
  storeChoices() {
    return repo.listStoreChoices(this.pool);
  }

  /**
   * Limits an operator or auditor to some stores (none chosen = every store). Admins see every
   * store: a scope on an admin is refused.
   */
  async setStores(actor: Actor, id: number, storeIds: number[]) {
    const ids = [...new Set(storeIds.filter((n) => Number.isInteger(n) && n > 0))];
    return withTx(this.pool, async (c) => {
      const u = await repo.findUserById(c, id);
      if (!u) throw new NotFoundError('No such user.');
      if (u.role === 'admin' && ids.length)
        throw new ValidationError('An admin sees every store; limit an operator or auditor instead.', {
          stores: 'not for admins',
        });
      const stores = await repo.findStoresByIds(c, ids);
      if (stores.length !== ids.length)
        throw new ValidationError('Unknown store.', { stores: 'unknown store' });
      const before = (await repo.userStores(c, [id])).get(id) ?? null;
      await repo.setUserStores(c, id, ids);
      await appendAudit(c, actor, [
        {
          action: 'user.stores_changed',
          objectType: 'user',
          objectId: u.username,
          refs: { store: [...new Set([...(before ?? []), ...stores].map((s) => s.code))] },
          before: { stores: scopeCodes(before) },
          after: { stores: ids.length ? stores.map((s) => s.code) : null },
        },
      ]);
      return { username: u.username };
    });
  }

  async create(actor: Actor, input: { username: string; role: string; password?: string }) {
    const fields: Record<string, string> = {};
    const username = usernameSchema.safeParse(input.username);
    if (!username.success) fields.username = username.error.issues[0].message;
    const role = roleSchema.safeParse(input.role || DEFAULT_ROLE);
    if (!role.success) fields.role = role.error.issues[0].message;
    const given = input.password ? passwordSchema.safeParse(input.password) : null;
    if (given && !given.success) fields.password = given.error.issues[0].message;
    if (Object.keys(fields).length)
      throw new ValidationError('Please correct the highlighted fields.', fields);
    const password = input.password || generatePassword();
    const passwordHash = await hashPassword(password);
    return withTx(this.pool, async (c) => {
      if (await repo.findUserByName(c, username.data!)) {
        throw new ValidationError('Please correct the highlighted fields.', { username: 'already taken' });
      }
      const id = await repo.insertUser(c, {
        username: username.data!,
        passwordHash,
        role: role.data!,
        mustChange: true,
      });
      await appendAudit(c, actor, [
        {
          action: 'user.created',
          objectType: 'user',
          objectId: username.data!,
          after: { username: username.data, role: role.data },
        },
      ]);
      return { id, password };
    });
  }

  async update(actor: Actor, id: number, patch: { role?: string; disabled?: boolean }) {
    const role = patch.role !== undefined ? roleSchema.safeParse(patch.role) : null;
    if (role && !role.success)
      throw new ValidationError('Invalid role.', { role: role.error.issues[0].message });
    return withTx(this.pool, async (c) => {
      const before = await repo.findUserById(c, id);
      if (!before) throw new NotFoundError('No such user.');
      const next = {
        role: (role?.data ?? before.role) as UserRole,
        disabled: patch.disabled ?? !!before.disabled,
      };
      const losesAdmin =
        before.role === 'admin' && !before.disabled && (next.role !== 'admin' || next.disabled);
      if (losesAdmin && (await repo.countActiveAdmins(c)) <= 1) {
        throw new ConflictError('This is the last active admin; create another admin first.');
      }
      await repo.updateUser(c, id, { role: next.role, disabled: next.disabled });
      // An admin sees every store: a scope it had as an operator or auditor is dropped.
      if (next.role === 'admin' && before.role !== 'admin') await repo.setUserStores(c, id, []);
      await appendAudit(c, actor, [
        {
          action:
            next.disabled !== !!before.disabled
              ? next.disabled
                ? 'user.disabled'
                : 'user.enabled'
              : 'user.role_changed',
          objectType: 'user',
          objectId: before.username,
          before: { role: before.role, disabled: !!before.disabled },
          after: next,
        },
      ]);
    });
  }

  /**
   * The user's own new password. Ends every other session of the user; returns the new credential
   * stamp for the session that made the change.
   */
  async changePassword(actor: Actor, id: number, current: string, next: string): Promise<string> {
    const p = passwordSchema.safeParse(next);
    if (!p.success)
      throw new ValidationError('Please correct the highlighted fields.', {
        password: p.error.issues[0].message,
      });
    const u = await repo.findUserById(this.pool, id);
    if (!u || !(await verifyPassword(current, u.password_hash))) {
      throw new ValidationError('Please correct the highlighted fields.', { current: 'wrong password' });
    }
    if (next === current)
      throw new ValidationError('Please correct the highlighted fields.', {
        password: 'choose a password different from the current one',
      });
    const passwordHash = await hashPassword(next);
    await withTx(this.pool, async (c) => {
      await repo.updateUser(c, id, { passwordHash, mustChange: false });
      await appendAudit(c, actor, [
        {
          action: 'user.password_changed',
          objectType: 'user',
          objectId: u.username,
          summary: 'other sessions signed out',
        },
      ]);
    });
    return credentialStamp(passwordHash);
  }

  /**
   * An admin sets a new one-time password: the user's sessions end, and the next sign-in must
   * choose a new password. The password is returned once, to be shown once.
   */
  async resetPassword(actor: Actor, id: number): Promise<{ username: string; password: string }> {
    const password = generatePassword();
    const passwordHash = await hashPassword(password);
    const username = await withTx(this.pool, async (c) => {
      const u = await repo.findUserById(c, id);
      if (!u) throw new NotFoundError('No such user.');
      await repo.updateUser(c, id, { passwordHash, mustChange: true });
      await appendAudit(c, actor, [
        {
          action: 'user.password_reset',
          objectType: 'user',
          objectId: u.username,
          summary: 'one-time password set; sessions signed out',
        },
      ]);
      return u.username;
    });
    return { username, password };
  }

  /** Lifts the lock that failed sign-ins put on an account (the per-IP limit stays). */
  async unlock(actor: Actor, id: number): Promise<{ username: string }> {
    const u = await repo.findUserById(this.pool, id);
    if (!u) throw new NotFoundError('No such user.');
    await this.throttle.unlock(u.username);
    await withTx(this.pool, (c) =>
      appendAudit(c, actor, [{ action: 'user.unlocked', objectType: 'user', objectId: u.username }]),
    );
    return { username: u.username };
  }

  /** First start: when there are no users, creates the admin. Returns the password only if it generated one. */
  async ensureFirstAdmin(
    username: string,
    configured?: string,
  ): Promise<{ username: string; password: string | null } | null> {
    if ((await repo.countUsers(this.pool)) > 0) return null;
    const password = configured ?? generatePassword();
    const passwordHash = await hashPassword(password);
    await withTx(this.pool, async (c) => {
      await repo.insertUser(c, { username, passwordHash, role: 'admin', mustChange: !configured });
      await appendAudit(c, { name: 'system', role: 'system' }, [
        {
          action: 'user.created',
          objectType: 'user',
          objectId: username,
          after: { username, role: 'admin' },
          summary: 'first admin',
        },
      ]);
    });
    return { username, password: configured ? null : password };
  }
}
