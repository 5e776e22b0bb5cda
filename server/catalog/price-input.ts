// Turns raw price entries (form fields, API JSON, CSV rows: all strings) into resolved
// changes, or a list of what is wrong with which entry. Nothing is written here.
import type { Queryable } from '../db/pool.js';
import { normPrice, parseInstant, priceProblem } from './money.js';
import { findProductsBySkus } from './products-repo.js';
import { findStoresByCodes } from './stores-repo.js';
import { inStoreScope, outOfScopeMessage, type Actor } from '../core/identity.js';

export interface RawEntry {
  sku: string;
  store: string;
  price: string;
  promoPrice?: string | null;
  promoFrom?: string | null;
  promoTo?: string | null;
  effectiveAt?: string | null;
  /** yes/no (CSV: 1, true, yes, 是; API: a boolean) */
  urgent?: string | boolean | null;
}

export interface Change {
  storeId: number;
  productId: number;
  sku: string;
  store: string;
  price: string;
  promoPrice: string | null;
  promoFrom: Date | null;
  promoTo: Date | null;
  /** Set when the change is for later; null = now. */
  effectiveAt: Date | null;
  /** its labels go at once, even during the store's quiet hours */
  urgent?: boolean;
}

const YES = new Set(['1', 'true', 'yes', 'y', 'x', '是', '紧急']);
const NO = new Set(['', '0', 'false', 'no', 'n', '否']);

/** A yes/no of a form, CSV cell or JSON; undefined when it is neither. */
export function parseUrgent(v: string | boolean | null | undefined): boolean | undefined {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  return YES.has(s) ? true : NO.has(s) ? false : undefined;
}

export interface EntryError {
  index: number;
  field: string;
  message: string;
  /** Set when the entry's store is outside the actor's store scope. */
  outOfScope?: true;
}

const blank = (v: string | null | undefined) => v === undefined || v === null || v.trim() === '';

/** Validates every entry (format, windows, duplicates, known SKUs and stores) before anything is applied. */
export async function resolveEntries(
  db: Queryable,
  entries: RawEntry[],
  now = new Date(),
  actor?: Pick<Actor, 'stores'>,
): Promise<{ changes: Change[]; errors: EntryError[] }> {
  const errors: EntryError[] = [];
  const err = (index: number, field: string, message: string) => errors.push({ index, field, message });
  const skus = [...new Set(entries.map((e) => e.sku.trim()).filter(Boolean))];
  const codes = [...new Set(entries.map((e) => e.store.trim()).filter(Boolean))];
  const products = new Map((await findProductsBySkus(db, skus)).map((p) => [p.sku.toLowerCase(), p]));
  const stores = new Map((await findStoresByCodes(db, codes)).map((s) => [s.code.toLowerCase(), s]));
  const seen = new Map<string, number>();
  const changes: Change[] = [];
  entries.forEach((e, i) => {
    const before = errors.length;
    const product = products.get(e.sku.trim().toLowerCase());
    const store = stores.get(e.store.trim().toLowerCase());
    if (blank(e.sku)) err(i, 'sku', 'SKU is missing');
    else if (!product) err(i, 'sku', `unknown SKU "${e.sku.trim()}"`);
    if (blank(e.store)) err(i, 'store', 'store is missing');
    else if (!store) err(i, 'store', `unknown store "${e.store.trim()}"`);
    else if (!inStoreScope(actor, store.id))
      errors.push({ index: i, field: 'store', message: outOfScopeMessage(store), outOfScope: true });
    const pp = priceProblem(e.price ?? '');
    if (pp) err(i, 'price', pp);
    const promoPrice = blank(e.promoPrice) ? null : e.promoPrice!.trim();
    if (promoPrice !== null && priceProblem(promoPrice)) err(i, 'promoPrice', priceProblem(promoPrice)!);
    const when = (field: string, v: string | null | undefined) => {
      if (blank(v)) return null;
      // Without an offset, a time is the store's wall time.
      const d = parseInstant(v!, store?.timezone);
      if (!d)
        err(
          i,
          field,
          store && !/(Z|[+-]\d{2}:\d{2})$/.test(v!.trim()) && parseInstant(v!)
            ? `"${v!.trim()}" does not exist in ${store.timezone} (the clocks skip it)`
            : `"${v!.trim()}" is not a date-time (use 2026-11-26T08:00 in the store's time, or 2026-11-26T08:00:00Z)`,
        );
      return d;
    };
    const promoFrom = when('promoFrom', e.promoFrom);
    const promoTo = when('promoTo', e.promoTo);
    const effectiveAt = when('effectiveAt', e.effectiveAt);
    if (promoPrice === null && (promoFrom || promoTo))
      err(i, 'promoPrice', 'a promotion window needs a promotion price');
    if (promoPrice !== null && !promoTo && blank(e.promoTo))
      err(i, 'promoTo', 'a promotion needs an end time (it reverts by itself then)');
    const start = promoFrom ?? effectiveAt ?? now;
    if (promoTo && promoTo <= now)
      err(i, 'promoTo', 'must be in the future: a promotion that has ended needs no change');
    else if (promoTo && promoTo <= start) err(i, 'promoTo', 'must be after the promotion starts');
    const urgent = parseUrgent(e.urgent);
    if (urgent === undefined) err(i, 'urgent', `"${String(e.urgent)}" is not yes or no`);
    if (effectiveAt && effectiveAt <= now)
      err(i, 'effectiveAt', 'must be in the future (leave it empty to apply now)');
    if (product && store) {
      const key = `${product.id}:${store.id}:${effectiveAt?.getTime() ?? 'now'}`;
      const first = seen.get(key);
      if (first !== undefined) err(i, 'sku', `duplicate of entry ${first} (same SKU and store)`);
      else seen.set(key, i);
    }
    if (errors.length === before) {
      changes.push({
        storeId: store!.id,
        productId: product!.id,
        sku: product!.sku,
        store: store!.code,
        price: normPrice(e.price),
        promoPrice: promoPrice === null ? null : normPrice(promoPrice),
        promoFrom: promoPrice === null ? null : promoFrom,
        promoTo: promoPrice === null ? null : promoTo,
        effectiveAt,
        ...(urgent ? { urgent: true } : {}),
      });
    }
  });
  return { changes: errors.length ? [] : changes, errors };
}
