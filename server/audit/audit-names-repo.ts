// The names a page of records mentions: products by SKU and stores by code, read in one
// statement for the whole page (never one per record). Read-only; a name that is gone (a
// product deleted since) is simply absent and the record shows its SKU or code.
import type { Queryable } from '../db/pool.js';
import { queryRows } from '../db/query.js';

export interface NamedThing {
  name: string;
  currency: string;
}

export interface Names {
  products: Map<string, NamedThing>;
  stores: Map<string, NamedThing>;
}

export const noNames = (): Names => ({ products: new Map(), stores: new Map() });

interface NameRow {
  kind: 'sku' | 'store';
  code: string;
  name: string;
  currency: string;
}

/** Names of the given SKUs and store codes, in one query (none when both lists are empty). */
export async function lookupNames(db: Queryable, skus: string[], storeCodes: string[]): Promise<Names> {
  const out = noNames();
  const sku = [...new Set(skus)];
  const store = [...new Set(storeCodes)];
  if (!sku.length && !store.length) return out;
  // `IN (?)` with an empty list is a syntax error; a list that matches nothing stands in.
  const rows = await queryRows<NameRow>(
    db,
    `SELECT 'sku' AS kind, sku AS code, name, currency FROM products WHERE sku IN (?)
     UNION ALL
     SELECT 'store' AS kind, code, name, currency FROM stores WHERE code IN (?)`,
    [sku.length ? sku : [''], store.length ? store : ['']],
  );
  for (const r of rows) {
    (r.kind === 'sku' ? out.products : out.stores).set(r.code, { name: r.name, currency: r.currency });
  }
  return out;
}
