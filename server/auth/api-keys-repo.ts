import type { Queryable } from '../db/pool.js';

export interface ApiKeyRow {
  id: number;
  name: string;
  key_prefix: string;
  key_hash: string;
  scopes: string;
  created_by: number | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function insertApiKey(
  db: Queryable,
  k: { name: string; prefix: string; hash: string; scopes: string[]; createdBy: number | null },
) {
  const [r] = (await db.query(
    'INSERT INTO api_keys (name, key_prefix, key_hash, scopes, created_by) VALUES (?, ?, ?, ?, ?)',
    [k.name, k.prefix, k.hash, k.scopes.join(' '), k.createdBy],
  )) as unknown as [{ insertId: number }];
  return r.insertId;
}

export async function findApiKeyByPrefix(db: Queryable, prefix: string): Promise<ApiKeyRow | null> {
  const [rows] = (await db.query('SELECT * FROM api_keys WHERE key_prefix = ?', [prefix])) as unknown as [
    ApiKeyRow[],
  ];
  return rows[0] ?? null;
}

export async function findApiKey(db: Queryable, id: number): Promise<ApiKeyRow | null> {
  const [rows] = (await db.query('SELECT * FROM api_keys WHERE id = ?', [id])) as unknown as [ApiKeyRow[]];
  return rows[0] ?? null;
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyRow[]> {
  const [rows] = (await db.query(
    'SELECT * FROM api_keys ORDER BY revoked_at IS NULL DESC, created_at DESC',
  )) as unknown as [ApiKeyRow[]];
  return rows;
}

export async function revokeApiKey(db: Queryable, id: number) {
  await db.query(
    'UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND revoked_at IS NULL',
    [id],
  );
}

export async function touchApiKey(db: Queryable, id: number) {
  await db.query('UPDATE api_keys SET last_used_at = CURRENT_TIMESTAMP(3) WHERE id = ?', [id]);
}
