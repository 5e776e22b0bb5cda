// Price history use cases: the Omnibus lowest price of a promotion being written (inside the
// writer's transaction) and the history a product's page and the API show.
import type { Pool, Queryable } from '../db/pool.js';
import { NotFoundError } from '../core/errors.js';
import { assertStoreInScope, scopeIds, type Actor } from '../core/identity.js';
import { lowestBefore, OMNIBUS_DAYS, priceSteps, type HistoryState } from './price-history.js';
import * as history from './price-history-repo.js';
import type { Pair } from './prices-repo.js';
import { findProductBySku } from './products-repo.js';
import { findStoresByCodes } from './stores-repo.js';

const DAY_MS = 86_400_000;

/** The lowest price of the 30 days before `start`, from the pair's history (null: none known then). */
/**
 * The Omnibus figure of a promotion starting at `start`: the lowest price of the 30 days before
 * it, from the recorded history and the `planned` states (pending schedules, sorted by validFrom)
 * that will be in force before the start, each cutting the state before it.
 */
export async function priorLowest(
  db: Queryable,
  pair: Pair,
  start: Date,
  planned: HistoryState[] = [],
): Promise<string | null> {
  const from = new Date(start.getTime() - OMNIBUS_DAYS * DAY_MS);
  // recorded states are all in the past, planned ones after now: in order when appended
  const known = await history.statesBetween(db, pair, from, start);
  return lowestBefore([...known, ...planned.filter((p) => p.validFrom < start)], start);
}

export interface StoreHistory {
  storeId: number;
  store: string;
  storeName: string;
  timeZone: string;
  currency: string;
  /** newest first */
  entries: history.HistoryRow[];
  /** the shelf price over time, oldest first (the chart) */
  steps: ReturnType<typeof priceSteps>;
}

export class PriceHistoryService {
  constructor(private readonly pool: Pool) {}

  /** A product's history per store (the newest `limit` states overall). */
  async ofProduct(
    productId: number,
    opts: { storeId?: number | null; limit?: number; scope?: readonly number[] | null } = {},
  ) {
    const rows = await history.productHistory(
      this.pool,
      productId,
      opts.storeId ?? null,
      opts.limit ?? 500,
      opts.scope ?? null,
    );
    const byStore = new Map<number, StoreHistory>();
    for (const r of rows) {
      let s = byStore.get(r.store_id);
      if (!s)
        byStore.set(
          r.store_id,
          (s = {
            storeId: r.store_id,
            store: r.store_code,
            storeName: r.store_name,
            timeZone: r.timezone,
            currency: r.currency,
            entries: [],
            steps: [],
          }),
        );
      s.entries.push(r);
    }
    for (const s of byStore.values()) {
      const states: HistoryState[] = [...s.entries].reverse().map(history.historyState);
      s.steps = priceSteps(states, null, null);
    }
    return [...byStore.values()].sort((a, b) => a.store.localeCompare(b.store));
  }

  /** The API's answer: the stores of the actor's scope only; a store outside it is refused by name. */
  async ofSku(sku: string, opts: { store?: string; limit?: number } = {}, actor?: Actor) {
    const product = await findProductBySku(this.pool, sku);
    if (!product) throw new NotFoundError(`No product with SKU ${sku.slice(0, 64)}.`);
    let storeId: number | null = null;
    if (opts.store) {
      const [store] = await findStoresByCodes(this.pool, [opts.store]);
      if (!store) throw new NotFoundError(`No store ${opts.store.slice(0, 32)}.`);
      assertStoreInScope(actor, store);
      storeId = store.id;
    }
    return {
      product,
      stores: await this.ofProduct(product.id, { storeId, limit: opts.limit, scope: scopeIds(actor) }),
    };
  }
}
