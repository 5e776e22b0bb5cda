import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';
import { Where, type PageRequest } from '../core/list-page.js';

export interface StoreRow {
  id: number;
  code: string;
  name: string;
  timezone: string;
  currency: string;
  /** quiet hours in minutes after local midnight, [from, to); both null: none */
  quiet_from: number | null;
  quiet_to: number | null;
  created_at: Date;
}

/** The stores (those of a store scope when `scope` is given), each with its Group IDs. */
export async function listStores(
  db: Queryable,
  scope: readonly number[] | null = null,
): Promise<(StoreRow & { groups: string | null })[]> {
  const f = storeScopeSql('s.id', scope);
  return queryRows<StoreRow & { groups: string | null }>(
    db,
    `SELECT s.*, GROUP_CONCAT(g.group_id ORDER BY g.group_id SEPARATOR ' ') AS \`groups\`
       FROM stores s LEFT JOIN store_groups g ON g.store_id = s.id WHERE TRUE${f.sql} GROUP BY s.id ORDER BY s.code`,
    f.params,
  );
}

export async function findStore(db: Queryable, id: number): Promise<StoreRow | null> {
  return queryOne<StoreRow>(db, 'SELECT * FROM stores WHERE id = ?', [id]);
}

export async function findStoreByCode(db: Queryable, code: string): Promise<StoreRow | null> {
  return queryOne<StoreRow>(db, 'SELECT * FROM stores WHERE code = ?', [code]);
}

export async function findStoresByCodes(db: Queryable, codes: string[]): Promise<StoreRow[]> {
  if (!codes.length) return [];
  return queryRows<StoreRow>(db, 'SELECT * FROM stores WHERE code IN (?)', [codes]);
}

export async function insertStore(
  db: Queryable,
  s: { code: string; name: string; timezone: string; currency: string },
) {
  const r = await execute(db, 'INSERT INTO stores (code, name, timezone, currency) VALUES (?, ?, ?, ?)', [
    s.code,
    s.name,
    s.timezone,
    s.currency,
  ]);
  return r.insertId;
}

export async function updateStore(
  db: Queryable,
  id: number,
  s: { name: string; timezone: string; currency: string },
) {
  await execute(db, 'UPDATE stores SET name = ?, timezone = ?, currency = ? WHERE id = ?', [
    s.name,
    s.timezone,
    s.currency,
    id,
  ]);
}

/** Registered Group IDs with the store each belongs to, if any. */
export async function listGroups(
  db: Queryable,
): Promise<{ group_id: string; store_id: number | null; store_code: string | null }[]> {
  return queryRows<{ group_id: string; store_id: number | null; store_code: string | null }>(
    db,
    `SELECT m.group_id, sg.store_id, s.code AS store_code FROM mqtt_groups m
       LEFT JOIN store_groups sg ON sg.group_id = m.group_id LEFT JOIN stores s ON s.id = sg.store_id ORDER BY m.group_id`,
  );
}

export async function findGroup(
  db: Queryable,
  groupId: string,
): Promise<{ group_id: string; store_id: number | null } | null> {
  return queryOne<{ group_id: string; store_id: number | null }>(
    db,
    'SELECT m.group_id, sg.store_id FROM mqtt_groups m LEFT JOIN store_groups sg ON sg.group_id = m.group_id WHERE m.group_id = ? FOR UPDATE',
    [groupId],
  );
}

export async function assignGroup(db: Queryable, groupId: string, storeId: number) {
  await execute(db, 'INSERT INTO store_groups (group_id, store_id) VALUES (?, ?)', [groupId, storeId]);
}

export async function unassignGroup(db: Queryable, groupId: string, storeId: number) {
  const r = await execute(db, 'DELETE FROM store_groups WHERE group_id = ? AND store_id = ?', [
    groupId,
    storeId,
  ]);
  return r.affectedRows;
}

export async function countLabelsInGroup(db: Queryable, groupId: string): Promise<number> {
  const r = await querySingle<{ n: string }>(db, 'SELECT COUNT(*) AS n FROM labels WHERE group_id = ?', [
    groupId,
  ]);
  return Number(r.n);
}

export async function setQuietHours(db: Queryable, id: number, from: number | null, to: number | null) {
  await execute(db, 'UPDATE stores SET quiet_from = ?, quiet_to = ? WHERE id = ?', [from, to, id]);
}

/** A keyset page of stores by code, with their Group IDs, within a store scope (null = all). */
export async function pageStores(
  db: Queryable,
  p: PageRequest<{ code?: string; group?: string }>,
  scope: readonly number[] | null = null,
) {
  const w = new Where().eq('s.code', p.filters.code).stores('s.id', scope);
  if (p.filters.group)
    w.add('s.id IN (SELECT store_id FROM store_groups WHERE group_id = ?)', p.filters.group);
  const tail = w.page('s.code', p);
  return queryRows<StoreRow & { groups: string | null }>(
    db,
    `SELECT s.*, (SELECT GROUP_CONCAT(g.group_id ORDER BY g.group_id SEPARATOR ' ') FROM store_groups g WHERE g.store_id = s.id) AS \`groups\`
       FROM stores s ${w.sql} ${tail}`,
    w.params,
  );
}
