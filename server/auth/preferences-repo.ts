import type { Queryable } from '../db/pool.js';
import { execute, queryOne } from '../db/query.js';

export async function findPreferences(
  db: Queryable,
  userId: number,
  lock = false,
): Promise<{ username: string; locale: string | null; time_zone: string | null } | null> {
  return queryOne<{ username: string; locale: string | null; time_zone: string | null }>(
    db,
    `SELECT username, locale, time_zone FROM users WHERE id = ?${lock ? ' FOR UPDATE' : ''}`,
    [userId],
  );
}

export async function updatePreferences(
  db: Queryable,
  userId: number,
  p: { locale?: string | null; timeZone?: string | null },
) {
  const sets: string[] = [];
  const args: unknown[] = [];
  if (p.locale !== undefined) {
    sets.push('locale = ?');
    args.push(p.locale);
  }
  if (p.timeZone !== undefined) {
    sets.push('time_zone = ?');
    args.push(p.timeZone);
  }
  if (!sets.length) return;
  await execute(db, `UPDATE users SET ${sets.join(', ')} WHERE id = ?`, [...args, userId]);
}
