// The product page's price form: one product, one/several/all stores, now or later,
// with an optional promotion. Same validation and transaction as the API and imports.
import type { Pool } from '../db/pool.js';
import { ForbiddenError, ValidationError } from '../core/errors.js';
import { outOfScopeMessage, scopeIds } from '../core/identity.js';
import type { Actor } from '../audit/audit-chain.js';
import { findStoreByCode, listStores } from './stores-repo.js';
import { resolveEntries } from './price-input.js';
import type { PriceChangeService } from './price-change-service.js';

export interface PriceForm {
  price: string;
  promoPrice: string;
  promoFrom: string;
  promoTo: string;
  effectiveAt: string;
  stores: string[];
  allStores: boolean;
  /** goes at once, even during the stores' quiet hours */
  urgent?: boolean;
  /** the operator confirmed the price warnings shown */
  confirm?: boolean;
}

export class PriceEditService {
  constructor(
    private readonly pool: Pool,
    private readonly changes: PriceChangeService,
  ) {}

  async edit(actor: Actor, sku: string, f: PriceForm) {
    const { pool, changes } = this;
    // "All stores" means every store the actor may change; a store outside the scope is refused.
    const all = await listStores(pool, scopeIds(actor));
    const outside = f.allStores ? [] : f.stores.filter((c) => !all.some((s) => s.code === c));
    if (outside.length) {
      const store = await findStoreByCode(pool, outside[0]);
      if (store) throw new ForbiddenError(outOfScopeMessage(store));
    }
    const codes = f.allStores
      ? all.map((s) => s.code)
      : f.stores.filter((c) => all.some((s) => s.code === c));
    if (!codes.length)
      throw new ValidationError('Please correct the highlighted fields.', {
        stores: 'choose one or more stores, or all stores',
      });
    const entries = codes.map((store) => ({
      sku,
      store,
      price: f.price,
      promoPrice: f.promoPrice,
      promoFrom: f.promoFrom,
      promoTo: f.promoTo,
      effectiveAt: f.effectiveAt,
      urgent: f.urgent ?? false,
    }));
    const { changes: resolved, errors } = await resolveEntries(pool, entries, undefined, actor);
    if (errors.length) {
      const fields: Record<string, string> = {};
      for (const e of errors) fields[e.field] ??= e.message;
      throw new ValidationError('Please correct the highlighted fields.', fields);
    }
    return changes.apply(actor, resolved, {
      source: 'ui',
      confirmed: f.confirm === true,
      note: `price of ${sku} in ${f.allStores ? 'all stores' : codes.join(', ')}`.slice(0, 255),
    });
  }
}
