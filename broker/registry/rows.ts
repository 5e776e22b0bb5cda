// Query helpers shared by the registry repos (mysql2's tuple results, typed once).
import type { Queryable } from '../../server/db/pool.js';

export async function rows<T>(db: Queryable, sql: string, params: unknown[] = []): Promise<T[]> {
  const [r] = (await db.query(sql, params)) as unknown as [T[]];
  return r;
}

export async function exec(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<{ affectedRows: number; insertId: number }> {
  const [r] = (await db.query(sql, params)) as unknown as [{ affectedRows: number; insertId: number }];
  return r;
}
