// The SQL of price history: appending the state each price write leaves, reading a pair's
// states around an instant (Omnibus) and a product's history for its page and the API.
import { storeScopeSql } from '../db/store-scope.js';
import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';
import type { HistoryState } from './price-history.js';
import type { Pair } from './prices-repo.js';
import type { PriceHistoryReason } from './states.js';

export interface NewHistoryRow extends Pair {
  validFrom: Date;
  price: string;
  promoPrice: string | null;
  promoFrom: Date | null;
  promoTo: Date | null;
  reason: PriceHistoryReason;
  source: string;
  taskId: string | null;
  scheduleId: string | null;
  actor: string;
}

export async function appendHistory(db: Queryable, rows: NewHistoryRow[]) {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await execute(
      db,
      `INSERT INTO price_history (store_id, product_id, valid_from, price, promo_price, promo_from, promo_to,
         reason, source, task_id, schedule_id, actor) VALUES ?`,
      [
        chunk.map((r) => [
          r.storeId,
          r.productId,
          r.validFrom,
          r.price,
          r.promoPrice,
          r.promoFrom,
          r.promoTo,
          r.reason,
          r.source.slice(0, 16),
          r.taskId,
          r.scheduleId,
          r.actor.slice(0, 128),
        ]),
      ],
    );
  }
}

interface StateRow {
  valid_from: Date;
  price: string;
  promo_price: string | null;
  promo_from: Date | null;
  promo_to: Date | null;
}
const toState = (r: StateRow): HistoryState => ({
  validFrom: r.valid_from,
  price: r.price,
  promoPrice: r.promo_price,
  promoFrom: r.promo_from,
  promoTo: r.promo_to,
});

/** The states of a pair in force at some moment of [from, before): the one in force at `from`, then every later one. */
export async function statesBetween(db: Queryable, pair: Pair, from: Date, before: Date) {
  const rows = await queryRows<StateRow>(
    db,
    `SELECT valid_from, price, promo_price, promo_from, promo_to FROM price_history
      WHERE store_id = ? AND product_id = ? AND valid_from < ?
        AND valid_from >= COALESCE((SELECT MAX(valid_from) FROM price_history
                                     WHERE store_id = ? AND product_id = ? AND valid_from <= ?), '1000-01-01')
      ORDER BY valid_from, id`,
    [pair.storeId, pair.productId, before, pair.storeId, pair.productId, from],
  );
  return rows.map(toState);
}

export interface HistoryRow extends StateRow {
  id: string;
  store_id: number;
  store_code: string;
  store_name: string;
  timezone: string;
  currency: string;
  reason: PriceHistoryReason;
  source: string;
  task_id: string | null;
  schedule_id: string | null;
  actor: string;
}

/** A product's history, newest first, in every store or one (`limit` rows at most). */
export async function productHistory(
  db: Queryable,
  productId: number,
  storeId: number | null,
  limit: number,
  scope: readonly number[] | null = null,
) {
  const sc = storeScopeSql('h.store_id', scope);
  const rows = await queryRows<HistoryRow>(
    db,
    `SELECT h.id, h.store_id, s.code AS store_code, s.name AS store_name, s.timezone, pr.currency, h.valid_from,
            h.price, h.promo_price, h.promo_from, h.promo_to, h.reason, h.source, h.task_id, h.schedule_id, h.actor
       FROM price_history h JOIN stores s ON s.id = h.store_id JOIN products pr ON pr.id = h.product_id
      WHERE h.product_id = ?${storeId === null ? '' : ' AND h.store_id = ?'}${sc.sql}
      ORDER BY h.valid_from DESC, h.id DESC LIMIT ?`,
    [productId, ...(storeId === null ? [] : [storeId]), ...sc.params, limit],
  );
  return rows.map((r) => ({
    ...r,
    id: String(r.id),
    task_id: r.task_id === null ? null : String(r.task_id),
    schedule_id: r.schedule_id === null ? null : String(r.schedule_id),
  }));
}

export const historyState = toState;
