import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';
import { Where, type PageRequest } from '../core/list-page.js';

export interface ProductRow {
  id: number;
  sku: string;
  name: string;
  unit: string;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * A page of products whose SKU starts with q or whose name contains q. `storeId`: only products
 * priced in that store. `scope` (store ids): only products priced in one of those stores, or
 * priced nowhere yet (so a scoped operator can price a new product); null = every product.
 */
export async function searchProducts(
  db: Queryable,
  q: string,
  limit: number,
  offset: number,
  f: { scope?: readonly number[] | null; storeId?: number | null } = {},
) {
  const conds: string[] = [];
  const args: unknown[] = [];
  if (q) {
    conds.push('(p.sku LIKE ? OR p.name LIKE ?)');
    args.push(`${likeEscape(q)}%`, `%${likeEscape(q)}%`);
  }
  if (f.storeId) {
    conds.push('EXISTS (SELECT 1 FROM prices x WHERE x.product_id = p.id AND x.store_id = ?)');
    args.push(f.storeId);
  }
  if (f.scope) {
    const s = storeScopeSql('x.store_id', f.scope);
    conds.push(
      `(EXISTS (SELECT 1 FROM prices x WHERE x.product_id = p.id${s.sql})
        OR NOT EXISTS (SELECT 1 FROM prices y WHERE y.product_id = p.id))`,
    );
    args.push(...s.params);
  }
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  const rows = await queryRows<ProductRow>(
    db,
    `SELECT p.* FROM products p ${where} ORDER BY p.sku LIMIT ? OFFSET ?`,
    [...args, limit, offset],
  );
  const c = await querySingle<{ n: string }>(db, `SELECT COUNT(*) AS n FROM products p ${where}`, args);
  return { rows, total: Number(c.n) };
}

export async function findProduct(db: Queryable, id: number): Promise<ProductRow | null> {
  return queryOne<ProductRow>(db, 'SELECT * FROM products WHERE id = ?', [id]);
}

export async function findProductBySku(db: Queryable, sku: string): Promise<ProductRow | null> {
  return queryOne<ProductRow>(db, 'SELECT * FROM products WHERE sku = ?', [sku]);
}

export async function findProductsBySkus(db: Queryable, skus: string[]): Promise<ProductRow[]> {
  if (!skus.length) return [];
  return queryRows<ProductRow>(db, 'SELECT * FROM products WHERE sku IN (?)', [skus]);
}

export async function insertProduct(
  db: Queryable,
  p: { sku: string; name: string; unit: string; currency: string },
) {
  const r = await execute(db, 'INSERT INTO products (sku, name, unit, currency) VALUES (?, ?, ?, ?)', [
    p.sku,
    p.name,
    p.unit,
    p.currency,
  ]);
  return r.insertId;
}

export async function updateProduct(
  db: Queryable,
  id: number,
  p: { name: string; unit: string; currency: string },
) {
  await execute(db, 'UPDATE products SET name = ?, unit = ?, currency = ? WHERE id = ?', [
    p.name,
    p.unit,
    p.currency,
    id,
  ]);
}

/** The products of these SKUs, locked until the transaction ends (bulk upserts). */
export async function lockProductsBySkus(db: Queryable, skus: string[]): Promise<ProductRow[]> {
  if (!skus.length) return [];
  return queryRows<ProductRow>(db, 'SELECT * FROM products WHERE sku IN (?) FOR UPDATE', [skus]);
}

/** Inserts or updates products by SKU in one statement per 500 rows. */
export async function upsertProducts(
  db: Queryable,
  rows: { sku: string; name: string; unit: string; currency: string }[],
) {
  for (let i = 0; i < rows.length; i += 500) {
    await execute(
      db,
      `INSERT INTO products (sku, name, unit, currency) VALUES ?
         ON DUPLICATE KEY UPDATE name = VALUES(name), unit = VALUES(unit), currency = VALUES(currency)`,
      [rows.slice(i, i + 500).map((r) => [r.sku, r.name, r.unit, r.currency])],
    );
  }
}

/** A keyset page of products by SKU: one SKU, or SKU prefix / part of the name. */
export async function pageProducts(
  db: Queryable,
  p: PageRequest<{ sku?: string; q?: string }>,
  scope: readonly number[] | null = null,
) {
  const w = new Where().eq('pr.sku', p.filters.sku);
  if (p.filters.q)
    w.add('(pr.sku LIKE ? OR pr.name LIKE ?)', `${likeEscape(p.filters.q)}%`, `%${likeEscape(p.filters.q)}%`);
  if (scope) {
    // As searchProducts: priced in a store of the scope, or priced nowhere yet.
    const s = storeScopeSql('x.store_id', scope);
    w.add(
      `(EXISTS (SELECT 1 FROM prices x WHERE x.product_id = pr.id${s.sql})
        OR NOT EXISTS (SELECT 1 FROM prices y WHERE y.product_id = pr.id))`,
      ...s.params,
    );
  }
  const tail = w.page('pr.sku', p);
  return queryRows<ProductRow>(db, `SELECT pr.* FROM products pr ${w.sql} ${tail}`, w.params);
}
