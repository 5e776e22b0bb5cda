// What the rendering pages need to keep to a reader's store scope: the store of a label and of a
// task item, and the stores outside a scope that price a product.
import type { Queryable } from '../db/pool.js';
import { queryOne, queryRows } from '../db/query.js';

export async function labelStore(db: Queryable, labelId: string) {
  return queryOne<{ id: number; code: string; name: string }>(
    db,
    'SELECT s.id, s.code, s.name FROM labels l JOIN stores s ON s.id = l.store_id WHERE l.label_id = ?',
    [labelId],
  );
}

export async function itemStore(db: Queryable, itemId: string) {
  return queryOne<{ id: number; code: string; name: string }>(
    db,
    'SELECT s.id, s.code, s.name FROM task_items i JOIN stores s ON s.id = i.store_id WHERE i.id = ?',
    [itemId],
  );
}

export async function storeById(db: Queryable, storeId: number) {
  return queryOne<{ id: number; code: string; name: string }>(
    db,
    'SELECT id, code, name FROM stores WHERE id = ?',
    [storeId],
  );
}

/** One store outside the scope that prices the product, or null. */
export async function pricingStoreOutside(db: Queryable, productId: number, scope: readonly number[]) {
  const rows = await queryRows<{ id: number; code: string; name: string }>(
    db,
    `SELECT s.id, s.code, s.name FROM prices p JOIN stores s ON s.id = p.store_id
      WHERE p.product_id = ?${scope.length ? ' AND p.store_id NOT IN (?)' : ''} ORDER BY s.code LIMIT 1`,
    scope.length ? [productId, scope] : [productId],
  );
  return rows[0] ?? null;
}
