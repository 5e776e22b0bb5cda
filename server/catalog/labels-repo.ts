import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';

export interface LabelRow {
  label_id: string;
  store_id: number;
  group_id: string;
  product_id: number | null;
  bound_at: Date | null;
  last_ap_client_id: string | null;
  battery_mv: number | null;
  rssi: number | null;
  displayed_hash: string | null;
  last_status_at: Date | null;
  last_confirmed_at: Date | null;
}

export async function listLabels(
  db: Queryable,
  f: {
    storeId?: number;
    productId?: number;
    unbound?: boolean;
    scope?: readonly number[] | null;
    limit: number;
    offset: number;
  },
) {
  const where: string[] = ['TRUE'];
  const args: unknown[] = [];
  if (f.storeId) {
    where.push('l.store_id = ?');
    args.push(f.storeId);
  }
  if (f.productId) {
    where.push('l.product_id = ?');
    args.push(f.productId);
  }
  if (f.unbound) where.push('l.product_id IS NULL');
  const sc = storeScopeSql('l.store_id', f.scope);
  const w = `WHERE ${where.join(' AND ')}${sc.sql}`;
  args.push(...sc.params);
  const rows = await queryRows<
    LabelRow & {
      store_code: string;
      store_name: string;
      store_timezone: string;
      sku: string | null;
      product_name: string | null;
    }
  >(
    db,
    `SELECT l.*, s.code AS store_code, s.name AS store_name, s.timezone AS store_timezone, p.sku, p.name AS product_name FROM labels l JOIN stores s ON s.id = l.store_id
       LEFT JOIN products p ON p.id = l.product_id ${w} ORDER BY l.label_id LIMIT ? OFFSET ?`,
    [...args, f.limit, f.offset],
  );
  const c = await querySingle<{ n: string }>(db, `SELECT COUNT(*) AS n FROM labels l ${w}`, args);
  return { rows, total: Number(c.n) };
}

export async function findLabel(db: Queryable, labelId: string): Promise<LabelRow | null> {
  return queryOne<LabelRow>(db, 'SELECT * FROM labels WHERE label_id = ? FOR UPDATE', [labelId]);
}

export async function existingLabelIds(db: Queryable, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await queryRows<{ label_id: string }>(
    db,
    'SELECT label_id FROM labels WHERE label_id IN (?)',
    [ids],
  );
  return rows.map((r) => r.label_id);
}

export async function insertLabels(db: Queryable, storeId: number, groupId: string, ids: string[]) {
  await execute(db, 'INSERT INTO labels (label_id, store_id, group_id) VALUES ?', [
    ids.map((id) => [id, storeId, groupId]),
  ]);
}

export async function setBinding(db: Queryable, labelId: string, productId: number | null) {
  await execute(
    db,
    'UPDATE labels SET product_id = ?, bound_at = IF(? IS NULL, NULL, CURRENT_TIMESTAMP(3)) WHERE label_id = ?',
    [productId, productId, labelId],
  );
}

export async function groupsOfStore(db: Queryable, storeId: number): Promise<string[]> {
  const rows = await queryRows<{ group_id: string }>(
    db,
    'SELECT group_id FROM store_groups WHERE store_id = ? ORDER BY group_id',
    [storeId],
  );
  return rows.map((r) => r.group_id);
}

export async function hasPrice(db: Queryable, storeId: number, productId: number): Promise<boolean> {
  const rows = await queryRows<object>(db, 'SELECT 1 FROM prices WHERE store_id = ? AND product_id = ?', [
    storeId,
    productId,
  ]);
  return rows.length > 0;
}

/** The labels of these ids that exist, locked until the transaction ends (bulk creation and binding). */
export async function lockLabels(
  db: Queryable,
  ids: string[],
): Promise<Pick<LabelRow, 'label_id' | 'store_id' | 'group_id' | 'product_id'>[]> {
  if (!ids.length) return [];
  return queryRows<Pick<LabelRow, 'label_id' | 'store_id' | 'group_id' | 'product_id'>>(
    db,
    'SELECT label_id, store_id, group_id, product_id FROM labels WHERE label_id IN (?) FOR UPDATE',
    [ids],
  );
}

/** Binds these labels to one product. */
export async function bindLabels(db: Queryable, productId: number, ids: string[]) {
  for (let i = 0; i < ids.length; i += 1000)
    await execute(
      db,
      'UPDATE labels SET product_id = ?, bound_at = CURRENT_TIMESTAMP(3) WHERE label_id IN (?)',
      [productId, ids.slice(i, i + 1000)],
    );
}

/** The Group IDs of several stores, by store id. */
export async function groupsOfStores(db: Queryable, storeIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(storeIds.map((id) => [id, []]));
  if (!storeIds.length) return out;
  const rows = await queryRows<{ store_id: number; group_id: string }>(
    db,
    'SELECT store_id, group_id FROM store_groups WHERE store_id IN (?) ORDER BY group_id',
    [storeIds],
  );
  for (const r of rows) out.get(r.store_id)?.push(r.group_id);
  return out;
}

/** Which of these (store, product) pairs have a price. */
export async function pricedPairs(
  db: Queryable,
  pairs: { storeId: number; productId: number }[],
): Promise<{ storeId: number; productId: number }[]> {
  if (!pairs.length) return [];
  const rows = await queryRows<{ store_id: number; product_id: number }>(
    db,
    'SELECT store_id, product_id FROM prices WHERE (store_id, product_id) IN (?)',
    [pairs.map((p) => [p.storeId, p.productId])],
  );
  return rows.map((r) => ({ storeId: r.store_id, productId: r.product_id }));
}

/** Unbinds labels (the caller holds their locks). */
export async function unbindLabels(db: Queryable, ids: string[]) {
  for (let i = 0; i < ids.length; i += 1000)
    await execute(db, 'UPDATE labels SET product_id = NULL, bound_at = NULL WHERE label_id IN (?)', [
      ids.slice(i, i + 1000),
    ]);
}

/**
 * Moves labels to a store and Group ID and sets their product, one statement per target.
 * What they display stays as last reported: the task the move creates replaces it.
 */
export async function moveLabels(
  db: Queryable,
  moves: { labelId: string; storeId: number; groupId: string; productId: number | null; rebind: boolean }[],
) {
  const groups = new Map<string, typeof moves>();
  for (const m of moves) {
    const k = `${m.storeId}|${m.groupId}|${m.productId}|${m.rebind}`;
    (groups.get(k) ?? groups.set(k, []).get(k)!).push(m);
  }
  for (const list of groups.values()) {
    const { storeId, groupId, productId, rebind } = list[0];
    await execute(
      db,
      `UPDATE labels SET store_id = ?, group_id = ?, product_id = ?${rebind ? ', bound_at = IF(? IS NULL, NULL, CURRENT_TIMESTAMP(3))' : ''}
       WHERE label_id IN (?)`,
      [storeId, groupId, productId, ...(rebind ? [productId] : []), list.map((m) => m.labelId)],
    );
  }
}

/** Store codes by id (audit records name stores by code). */
export async function storeCodes(db: Queryable, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await queryRows<{ id: number; code: string }>(
    db,
    'SELECT id, code FROM stores WHERE id IN (?)',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.code]));
}

/** SKUs by product id. */
export async function skusOf(db: Queryable, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await queryRows<{ id: number; sku: string }>(
    db,
    'SELECT id, sku FROM products WHERE id IN (?)',
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r.sku]));
}
