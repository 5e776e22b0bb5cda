// The typed way to run SQL: every repo goes through these, so row shapes are declared once, at the
// call (`queryRows<ProductRow>(...)`), and no result is cast. They use mysql2's `query` (the text
// protocol), so an array parameter expands for `IN (?)` and nested arrays for bulk `VALUES ?`.
import type { ResultSetHeader, RowDataPacket } from 'mysql2';
import type { Queryable } from './pool.js';

export type { ResultSetHeader };

/** The rows of a SELECT (or anything returning rows), typed as T. */
export async function queryRows<T extends object>(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const [rows] = await db.query<(T & RowDataPacket)[]>(sql, params);
  return rows;
}

/** The first row, or null when there is none. */
export async function queryOne<T extends object>(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<T | null> {
  return (await queryRows<T>(db, sql, params))[0] ?? null;
}

/** The one row a query always returns (an aggregate, a singleton table); an error when it returns none. */
export async function querySingle<T extends object>(
  db: Queryable,
  sql: string,
  params: unknown[] = [],
): Promise<T> {
  const row = await queryOne<T>(db, sql, params);
  if (!row) throw new Error(`expected one row, got none: ${sql.replace(/\s+/g, ' ').slice(0, 120)}`);
  return row;
}

/** An INSERT, UPDATE, DELETE or DDL statement: its header (affectedRows, insertId, ...). */
export async function execute(db: Queryable, sql: string, params: unknown[] = []): Promise<ResultSetHeader> {
  const [res] = await db.query<ResultSetHeader>(sql, params);
  return res;
}
