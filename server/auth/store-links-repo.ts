// SQL of the store scope of users and API keys: each links its owner to stores in a table of
// its own (`user_stores`, `api_key_stores`); no rows = every store. One pair of functions for
// both, the table and its owner column chosen from this closed list (never from input).
import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';

export interface ScopeStoreRow {
  id: number;
  code: string;
  name: string;
}

const LINKS = {
  user: { table: 'user_stores', owner: 'user_id' },
  apiKey: { table: 'api_key_stores', owner: 'api_key_id' },
} as const;
export type StoreLinkOwner = keyof typeof LINKS;

/** Each owner's stores, by code (owners without rows are absent: every store). */
export async function linkedStores(
  db: Queryable,
  kind: StoreLinkOwner,
  ownerIds: number[],
): Promise<Map<number, ScopeStoreRow[]>> {
  const out = new Map<number, ScopeStoreRow[]>();
  if (!ownerIds.length) return out;
  const { table, owner } = LINKS[kind];
  const rows = await queryRows<ScopeStoreRow & { owner_id: number }>(
    db,
    `SELECT l.${owner} AS owner_id, s.id, s.code, s.name FROM ${table} l JOIN stores s ON s.id = l.store_id
      WHERE l.${owner} IN (?) ORDER BY s.code`,
    [ownerIds],
  );
  for (const r of rows) {
    const list = out.get(r.owner_id) ?? [];
    list.push({ id: r.id, code: r.code, name: r.name });
    out.set(r.owner_id, list);
  }
  return out;
}

/** Replaces an owner's stores (none = every store). */
export async function setLinkedStores(
  db: Queryable,
  kind: StoreLinkOwner,
  ownerId: number,
  storeIds: number[],
): Promise<void> {
  const { table, owner } = LINKS[kind];
  await execute(db, `DELETE FROM ${table} WHERE ${owner} = ?`, [ownerId]);
  if (storeIds.length)
    await execute(db, `INSERT INTO ${table} (${owner}, store_id) VALUES ?`, [
      storeIds.map((s) => [ownerId, s]),
    ]);
}
