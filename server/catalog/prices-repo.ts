import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';

export interface PriceRow {
  store_id: number;
  product_id: number;
  price: string;
  promo_price: string | null;
  promo_from: Date | null;
  promo_to: Date | null;
  promo_prior_lowest: string | null;
  updated_at: Date;
}

export interface PriceState {
  price: string;
  promoPrice: string | null;
  promoFrom: Date | null;
  promoTo: Date | null;
}

export type Pair = { storeId: number; productId: number };

export async function storesPricing(db: Queryable, productId: number): Promise<number[]> {
  const rows = await queryRows<{ store_id: number }>(db, 'SELECT store_id FROM prices WHERE product_id = ?', [
    productId,
  ]);
  return rows.map((r) => r.store_id);
}

/** Every store (of the scope, when given) with this product's price there (or nulls) and how many labels show it. */
export async function pricesByStore(
  db: Queryable,
  productId: number,
  scope: readonly number[] | null = null,
) {
  const f = storeScopeSql('s.id', scope);
  return queryRows<
    Partial<PriceRow> & {
      store_id: number;
      code: string;
      name: string;
      timezone: string;
      quiet_from: number | null;
      quiet_to: number | null;
      labels: string;
    }
  >(
    db,
    `SELECT s.id AS store_id, s.code, s.name, s.timezone, s.quiet_from, s.quiet_to, p.price, p.promo_price, p.promo_from, p.promo_to,
            p.promo_prior_lowest, p.updated_at,
            (SELECT COUNT(*) FROM labels l WHERE l.store_id = s.id AND l.product_id = ?) AS labels
       FROM stores s LEFT JOIN prices p ON p.store_id = s.id AND p.product_id = ? WHERE TRUE${f.sql} ORDER BY s.code`,
    [productId, productId, ...f.params],
  );
}

/** The stores outside a scope that price this product (a shared product's edit reaches them). */
export async function storesPricingOutside(db: Queryable, productId: number, scope: readonly number[]) {
  return queryRows<{ id: number; code: string; name: string }>(
    db,
    `SELECT s.id, s.code, s.name FROM prices p JOIN stores s ON s.id = p.store_id
      WHERE p.product_id = ?${scope.length ? ' AND p.store_id NOT IN (?)' : ''} ORDER BY s.code`,
    scope.length ? [productId, scope] : [productId],
  );
}

/** Current rows for the pairs; with `lock`, locked until the transaction ends (so "before" in the audit is exact). */
export async function lockPrices(db: Queryable, pairs: Pair[], lock = true): Promise<Map<string, PriceRow>> {
  const out = new Map<string, PriceRow>();
  for (let i = 0; i < pairs.length; i += 500) {
    const chunk = pairs.slice(i, i + 500);
    const rows = await queryRows<PriceRow>(
      db,
      `SELECT * FROM prices WHERE (store_id, product_id) IN (?)${lock ? ' FOR UPDATE' : ''}`,
      [chunk.map((p) => [p.storeId, p.productId])],
    );
    for (const r of rows) out.set(`${r.store_id}:${r.product_id}`, r);
  }
  return out;
}

/** `priorLowest`: the lowest price of the 30 days before the promotion of the state started (Omnibus). */
export async function upsertPrices(
  db: Queryable,
  rows: (Pair & PriceState & { priorLowest?: string | null })[],
) {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await execute(
      db,
      `INSERT INTO prices (store_id, product_id, price, promo_price, promo_from, promo_to, promo_prior_lowest) VALUES ?
         ON DUPLICATE KEY UPDATE price = VALUES(price), promo_price = VALUES(promo_price),
           promo_from = VALUES(promo_from), promo_to = VALUES(promo_to), promo_prior_lowest = VALUES(promo_prior_lowest)`,
      [
        chunk.map((r) => [
          r.storeId,
          r.productId,
          r.price,
          r.promoPrice,
          r.promoFrom,
          r.promoTo,
          r.promoPrice === null ? null : (r.priorLowest ?? null),
        ]),
      ],
    );
  }
}

/** How many bound labels show each pair, per store, plus a sample (the import preview). */
export async function labelsForPairs(db: Queryable, pairs: Pair[], sample: number) {
  const perStore = new Map<number, number>();
  const samples: { label_id: string; store_id: number; product_id: number }[] = [];
  for (let i = 0; i < pairs.length; i += 500) {
    const tuples = pairs.slice(i, i + 500).map((p) => [p.storeId, p.productId]);
    const counts = await queryRows<{ store_id: number; n: string }>(
      db,
      'SELECT store_id, COUNT(*) AS n FROM labels WHERE (store_id, product_id) IN (?) GROUP BY store_id',
      [tuples],
    );
    for (const c of counts) perStore.set(c.store_id, (perStore.get(c.store_id) ?? 0) + Number(c.n));
    if (samples.length < sample) {
      const rows = await queryRows<{ label_id: string; store_id: number; product_id: number }>(
        db,
        'SELECT label_id, store_id, product_id FROM labels WHERE (store_id, product_id) IN (?) ORDER BY label_id LIMIT ?',
        [tuples, sample - samples.length],
      );
      samples.push(...rows);
    }
  }
  return { perStore, samples };
}

/** For each of these products, one store outside the scope that prices it (products absent: none). */
export async function storesPricingOutsideMany(
  db: Queryable,
  productIds: number[],
  scope: readonly number[],
) {
  const out = new Map<number, { id: number; code: string; name: string }>();
  if (!productIds.length) return out;
  const rows = await queryRows<{ product_id: number; id: number; code: string; name: string }>(
    db,
    `SELECT p.product_id, s.id, s.code, s.name FROM prices p JOIN stores s ON s.id = p.store_id
      WHERE p.product_id IN (?)${scope.length ? ' AND p.store_id NOT IN (?)' : ''} ORDER BY s.code`,
    scope.length ? [productIds, scope] : [productIds],
  );
  for (const r of rows)
    if (!out.has(r.product_id)) out.set(r.product_id, { id: r.id, code: r.code, name: r.name });
  return out;
}

/** Prices of products in every store (of the scope, when given), for the API and the products list. */
export async function pricesForProducts(
  db: Queryable,
  productIds: number[],
  scope: readonly number[] | null = null,
) {
  if (!productIds.length) return [];
  const f = storeScopeSql('p.store_id', scope);
  return queryRows<PriceRow & { store_code: string; store_name: string }>(
    db,
    `SELECT p.*, s.code AS store_code, s.name AS store_name FROM prices p JOIN stores s ON s.id = p.store_id
      WHERE p.product_id IN (?)${f.sql} ORDER BY s.code`,
    [productIds, ...f.params],
  );
}

/** Every (store, product) pair with a price, for these products. */
export async function pricedPairsOfProducts(
  db: Queryable,
  productIds: number[],
): Promise<{ storeId: number; productId: number }[]> {
  if (!productIds.length) return [];
  const rows = await queryRows<{ store_id: number; product_id: number }>(
    db,
    'SELECT store_id, product_id FROM prices WHERE product_id IN (?)',
    [productIds],
  );
  return rows.map((r) => ({ storeId: r.store_id, productId: r.product_id }));
}
