import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';

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

/** A page of products whose SKU starts with q or whose name contains q. */
export async function searchProducts(db: Queryable, q: string, limit: number, offset: number) {
  const where = q ? 'WHERE sku LIKE ? OR name LIKE ?' : '';
  const args = q ? [`${likeEscape(q)}%`, `%${likeEscape(q)}%`] : [];
  const rows = await queryRows<ProductRow>(
    db,
    `SELECT * FROM products ${where} ORDER BY sku LIMIT ? OFFSET ?`,
    [...args, limit, offset],
  );
  const c = await querySingle<{ n: string }>(db, `SELECT COUNT(*) AS n FROM products ${where}`, args);
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
