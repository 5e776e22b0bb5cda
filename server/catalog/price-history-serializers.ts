// The JSON of a product's price history (GET /api/v1/products/{sku}/price-history).
import type { ProductRow } from './products-repo.js';
import type { StoreHistory } from './price-history-service.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function historyJson(h: { product: ProductRow; stores: StoreHistory[] }) {
  return {
    sku: h.product.sku,
    currency: h.product.currency,
    stores: h.stores.map((s) => ({
      store: s.store,
      entries: s.entries.map((e) => ({
        validFrom: e.valid_from.toISOString(),
        price: e.price,
        promoPrice: e.promo_price,
        promoFrom: iso(e.promo_from),
        promoTo: iso(e.promo_to),
        reason: e.reason,
        source: e.source,
        taskId: e.task_id,
        scheduleId: e.schedule_id,
        actor: e.actor,
      })),
      steps: s.steps.map((x) => ({
        from: x.from.toISOString(),
        to: iso(x.to),
        price: x.price,
        promo: x.promo,
      })),
    })),
  };
}
