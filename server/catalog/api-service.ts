// The API's use cases: bulk price changes (all entries checked before any is applied)
// and product reads for ERP/POS systems.
import type { Pool } from '../db/pool.js';
import { ForbiddenError, ValidationError } from '../core/errors.js';
import { scopeIds } from '../core/identity.js';
import type { Actor } from '../audit/audit-chain.js';
import { PriceChangeEntry, PriceChangeEnvelope } from './api-schemas.js';
import { resolveEntries, type RawEntry } from './price-input.js';
import { quietHoursOf } from './stores-service.js';
import { PriceConfirmationError } from './price-sanity.js';
import type { PriceChangeService } from './price-change-service.js';
import { pageProducts } from './products-repo.js';
import { pageOf, type PageRequest } from '../core/list-page.js';
import { pricesForProducts } from './prices-repo.js';
import { pageStores } from './stores-repo.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export class CatalogApiService {
  constructor(
    private readonly pool: Pool,
    private readonly changes: PriceChangeService,
  ) {}

  async priceChanges(actor: Actor, body: unknown) {
    // A bare array is accepted too: ERP exports are often just the list.
    const envelope = PriceChangeEnvelope.safeParse(Array.isArray(body) ? { changes: body } : body);
    if (!envelope.success) {
      const fields: Record<string, string> = {};
      for (const i of envelope.error.issues) fields[i.path.join('.') || 'body'] ??= i.message;
      throw new ValidationError('The request is not a list of price changes; nothing was applied.', fields);
    }
    // Every entry is checked, shape and meaning, so one response names every problem.
    const fields: Record<string, string> = {};
    const good: { index: number; entry: RawEntry }[] = [];
    envelope.data.changes.forEach((raw, index) => {
      const r = PriceChangeEntry.safeParse(raw);
      if (r.success) good.push({ index, entry: r.data as RawEntry });
      else
        for (const i of r.error.issues)
          fields[`changes[${index}]${i.path.length ? `.${i.path.join('.')}` : ''}`] ??= i.message;
    });
    const { changes, errors } = await resolveEntries(
      this.pool,
      good.map((g) => g.entry),
      undefined,
      actor,
    );
    // A change for a store outside the key's or user's scope refuses the whole request (403).
    const outside = errors.find((e) => e.outOfScope);
    if (outside)
      throw new ForbiddenError(
        `changes[${good[outside.index].index}]: ${outside.message} Nothing was applied.`,
      );
    for (const e of errors) {
      fields[`changes[${good[e.index].index}].${e.field}`] ??= e.message.replace(
        /entry (\d+)/,
        (_m, i) => `changes[${good[Number(i)].index}]`,
      );
    }
    const bad = new Set(Object.keys(fields).map((k) => k.split('.')[0]));
    if (bad.size)
      throw new ValidationError(`${bad.size} change(s) are invalid; nothing was applied.`, fields);
    let r;
    try {
      r = await this.changes.apply(actor, changes, {
        source: 'api',
        note: envelope.data.note ?? `API: ${changes.length} change(s)`,
        confirmed: envelope.data.confirm === true,
      });
    } catch (err) {
      // The warnings name the request's own entries: items[i] is changes[i].
      if (err instanceof PriceConfirmationError)
        throw new PriceConfirmationError(err.warnings.map((w) => ({ ...w, index: good[w.index].index })));
      throw err;
    }
    return {
      taskIds: r.taskId ? [r.taskId] : [],
      items: r.items,
      applied: r.applied,
      scheduled: r.scheduled,
    };
  }

  async stores(p: PageRequest<{ code?: string; group?: string }>, actor?: Actor) {
    const page = pageOf(await pageStores(this.pool, p, scopeIds(actor)), p.limit, (s) => [s.code]);
    return {
      stores: page.items.map((s) => ({
        code: s.code,
        name: s.name,
        timeZone: s.timezone,
        timezone: s.timezone,
        currency: s.currency,
        groups: s.groups ? s.groups.split(' ') : [],
        quietHours: quietHoursOf(s),
      })),
      nextCursor: page.nextCursor,
    };
  }

  /** Products the actor may see: priced in a store of its scope, or priced nowhere yet. */
  async products(p: PageRequest<{ sku?: string; q?: string }>, actor?: Actor) {
    const scope = scopeIds(actor);
    const page = pageOf(await pageProducts(this.pool, p, scope), p.limit, (r) => [r.sku]);
    const rows = page.items;
    const prices = await pricesForProducts(
      this.pool,
      rows.map((r) => r.id),
      scope,
    );
    return {
      products: rows.map((p) => ({
        sku: p.sku,
        name: p.name,
        unit: p.unit,
        currency: p.currency,
        prices: prices
          .filter((x) => x.product_id === p.id)
          .map((x) => ({
            store: x.store_code,
            price: x.price,
            promoPrice: x.promo_price,
            promoFrom: iso(x.promo_from),
            promoTo: iso(x.promo_to),
            lowestPrice30d: x.promo_price === null ? null : x.promo_prior_lowest,
            updatedAt: x.updated_at.toISOString(),
          })),
      })),
      nextCursor: page.nextCursor,
    };
  }
}
