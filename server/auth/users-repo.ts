import type { Queryable } from '../db/pool.js';
import type { UserRole } from './roles.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
import { linkedStores, setLinkedStores, type ScopeStoreRow } from './store-links-repo.js';

export interface UserRow {
  id: number;
  username: string;
  password_hash: string;
  role: UserRole;
  disabled: number;
  must_change_password: number;
  created_at: Date;
  last_login_at: Date | null;
  /** The user's own language and time zone (migration 012); NULL follows the defaults. */
  locale?: string | null;
  time_zone?: string | null;
}

export async function findUserByName(db: Queryable, username: string): Promise<UserRow | null> {
  return queryOne<UserRow>(db, 'SELECT * FROM users WHERE username = ?', [username]);
}

export async function findUserById(db: Queryable, id: number): Promise<UserRow | null> {
  return queryOne<UserRow>(db, 'SELECT * FROM users WHERE id = ?', [id]);
}

export interface UserFilter {
  /** part of the username */
  q?: string;
  role?: UserRole;
}

function userWhere(f: UserFilter) {
  const conds: string[] = ['TRUE'];
  const args: unknown[] = [];
  if (f.q) {
    conds.push('username LIKE ?');
    args.push(`%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  if (f.role) {
    conds.push('role = ?');
    args.push(f.role);
  }
  return { sql: `WHERE ${conds.join(' AND ')}`, args };
}

export async function listUsers(
  db: Queryable,
  f: UserFilter & { limit?: number; offset?: number } = {},
): Promise<UserRow[]> {
  const w = userWhere(f);
  return queryRows<UserRow>(db, `SELECT * FROM users ${w.sql} ORDER BY username LIMIT ? OFFSET ?`, [
    ...w.args,
    f.limit ?? 100_000,
    f.offset ?? 0,
  ]);
}

export async function countUsersMatching(db: Queryable, f: UserFilter): Promise<number> {
  const w = userWhere(f);
  const r = await querySingle<{ n: number }>(db, `SELECT COUNT(*) AS n FROM users ${w.sql}`, w.args);
  return Number(r.n);
}

export async function countUsers(db: Queryable): Promise<number> {
  const r = await querySingle<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM users');
  return Number(r.n);
}

export async function insertUser(
  db: Queryable,
  u: { username: string; passwordHash: string; role: UserRole; mustChange: boolean },
): Promise<number> {
  const res = await execute(
    db,
    'INSERT INTO users (username, password_hash, role, must_change_password) VALUES (?, ?, ?, ?)',
    [u.username, u.passwordHash, u.role, u.mustChange ? 1 : 0],
  );
  return res.insertId;
}

export async function updateUser(
  db: Queryable,
  id: number,
  patch: { role?: UserRole; disabled?: boolean; passwordHash?: string; mustChange?: boolean },
): Promise<void> {
  const sets: string[] = [];
  const args: unknown[] = [];
  const put = (col: string, v: unknown) => {
    sets.push(`${col} = ?`);
    args.push(v);
  };
  if (patch.role !== undefined) put('role', patch.role);
  if (patch.disabled !== undefined) put('disabled', patch.disabled ? 1 : 0);
  if (patch.passwordHash !== undefined) put('password_hash', patch.passwordHash);
  if (patch.mustChange !== undefined) put('must_change_password', patch.mustChange ? 1 : 0);
  if (!sets.length) return;
  await execute(db, `UPDATE users SET ${sets.join(', ')} WHERE id = ?`, [...args, id]);
}

export async function touchLogin(db: Queryable, id: number): Promise<void> {
  await execute(db, 'UPDATE users SET last_login_at = CURRENT_TIMESTAMP(3) WHERE id = ?', [id]);
}

export async function countActiveAdmins(db: Queryable): Promise<number> {
  const r = await querySingle<{ n: number }>(
    db,
    "SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0",
  );
  return Number(r.n);
}

export type { ScopeStoreRow };

/** Every store, for choosing a scope. */
export async function listStoreChoices(db: Queryable): Promise<ScopeStoreRow[]> {
  return queryRows<ScopeStoreRow>(db, 'SELECT id, code, name FROM stores ORDER BY code');
}

/** The stores with these ids (unknown ids are left out). */
export async function findStoresByIds(db: Queryable, ids: number[]): Promise<ScopeStoreRow[]> {
  if (!ids.length) return [];
  return queryRows<ScopeStoreRow>(db, 'SELECT id, code, name FROM stores WHERE id IN (?) ORDER BY code', [
    ids,
  ]);
}

/** Each user's store scope (users without rows are absent: every store). */
export const userStores = (db: Queryable, userIds: number[]) => linkedStores(db, 'user', userIds);

export const setUserStores = (db: Queryable, userId: number, storeIds: number[]) =>
  setLinkedStores(db, 'user', userId, storeIds);
