// Seeding SQL of the demo store (embedded default only): a store, its Group ID binding,
// products with prices, and labels bound to them. Runs once; later starts find the store.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows, querySingle } from '../db/query.js';

export const DEMO_STORE_CODE = 'DEMO';

export async function findDemoStore(db: Queryable): Promise<number | null> {
  const rows = await queryRows<{ id: number }>(db, 'SELECT id FROM stores WHERE code = ?', [DEMO_STORE_CODE]);
  return rows[0]?.id ?? null;
}

const PRODUCTS: [string, string, string][] = [
  ['6901234500011', 'Cola 330ml', '3.50'],
  ['6901234500028', 'Orange juice 1L', '9.90'],
  ['6901234500035', 'Mineral water 550ml', '1.80'],
  ['6901234500042', 'Green tea 500ml', '4.50'],
  ['6901234500059', 'Instant noodles', '5.20'],
  ['6901234500066', 'Rice 5kg', '39.90'],
  ['6901234500073', 'Soy sauce 500ml', '12.80'],
  ['6901234500080', 'Milk 1L', '13.50'],
  ['6901234500097', 'Yogurt 4x100g', '11.90'],
  ['6901234500103', 'Bread loaf', '8.80'],
  ['6901234500110', 'Eggs x10', '15.60'],
  ['6901234500127', 'Apples 1kg', '12.00'],
];

/** Inserts the demo store with `labels` labels spread over the products; returns the store id. */
export async function insertDemoStore(db: Queryable, groupId: string, labels: number): Promise<number> {
  const s = await execute(db, "INSERT INTO stores (code, name) VALUES (?, 'Demo store (simulated)')", [
    DEMO_STORE_CODE,
  ]);
  const storeId = s.insertId;
  await execute(db, 'INSERT INTO store_groups (group_id, store_id) VALUES (?, ?)', [groupId, storeId]);
  const productIds: number[] = [];
  for (const [sku, name] of PRODUCTS) {
    // a product may exist already (the catalog is shared by all stores)
    await execute(db, 'INSERT INTO products (sku, name) VALUES (?, ?) ON DUPLICATE KEY UPDATE sku = sku', [
      sku,
      name,
    ]);
    const p = await querySingle<{ id: number }>(db, 'SELECT id FROM products WHERE sku = ?', [sku]);
    productIds.push(p.id);
  }
  await execute(db, 'INSERT INTO prices (store_id, product_id, price) VALUES ?', [
    productIds.map((id, i) => [storeId, id, PRODUCTS[i][2]]),
  ]);
  // the demo's starting prices begin their history
  await execute(
    db,
    `INSERT INTO price_history (store_id, product_id, valid_from, price, reason, source, actor)
       SELECT store_id, product_id, updated_at, price, 'initial', 'initial', 'demo' FROM prices WHERE store_id = ?`,
    [storeId],
  );
  const rows = Array.from({ length: labels }, (_, i) => [
    `DEMO-${String(i + 1).padStart(5, '0')}`,
    storeId,
    groupId,
    productIds[i % productIds.length],
    new Date(),
  ]);
  if (rows.length)
    await execute(db, 'INSERT INTO labels (label_id, store_id, group_id, product_id, bound_at) VALUES ?', [
      rows,
    ]);
  return storeId;
}

export async function demoLabels(db: Queryable, storeId: number): Promise<string[]> {
  const rows = await queryRows<{ l: string }>(
    db,
    'SELECT label_id AS l FROM labels WHERE store_id = ? ORDER BY label_id',
    [storeId],
  );
  return rows.map((r) => r.l);
}
