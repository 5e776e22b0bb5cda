import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows } from '../db/query.js';
import { linkedStores, setLinkedStores, type ScopeStoreRow } from './store-links-repo.js';

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
  const r = await execute(
    db,
    'INSERT INTO api_keys (name, key_prefix, key_hash, scopes, created_by) VALUES (?, ?, ?, ?, ?)',
    [k.name, k.prefix, k.hash, k.scopes.join(' '), k.createdBy],
  );
  return r.insertId;
}

export async function findApiKeyByPrefix(db: Queryable, prefix: string): Promise<ApiKeyRow | null> {
  return queryOne<ApiKeyRow>(db, 'SELECT * FROM api_keys WHERE key_prefix = ?', [prefix]);
}

export async function findApiKey(db: Queryable, id: number): Promise<ApiKeyRow | null> {
  return queryOne<ApiKeyRow>(db, 'SELECT * FROM api_keys WHERE id = ?', [id]);
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyRow[]> {
  return queryRows<ApiKeyRow>(db, 'SELECT * FROM api_keys ORDER BY revoked_at IS NULL DESC, created_at DESC');
}

export async function revokeApiKey(db: Queryable, id: number) {
  await execute(
    db,
    'UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND revoked_at IS NULL',
    [id],
  );
}

export async function touchApiKey(db: Queryable, id: number) {
  await execute(db, 'UPDATE api_keys SET last_used_at = CURRENT_TIMESTAMP(3) WHERE id = ?', [id]);
}

export type KeyStoreRow = ScopeStoreRow;

/** Each key's store scope (keys without rows are absent: every store). */
export const apiKeyStores = (db: Queryable, keyIds: number[]) => linkedStores(db, 'apiKey', keyIds);

export const setApiKeyStores = (db: Queryable, keyId: number, storeIds: number[]) =>
  setLinkedStores(db, 'apiKey', keyId, storeIds);
