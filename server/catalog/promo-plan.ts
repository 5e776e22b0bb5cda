// How a change's promotion lands: active now -> on the price row, with a promo_end at its end;
// starting later -> the row keeps the regular price, with a promo_start and a promo_end filed.
// The pipeline shows promo_price only inside [promo_from, promo_to), and the schedules make
// sure a task goes out at each edge, so labels change at the start and revert at the end.
import type { Change } from './price-input.js';
import type { NewSchedule } from './schedules-repo.js';

export function planPromotions(changes: Change[], now: Date, meta: { note: string; createdBy: string }) {
  const rows = changes.map((ch) => {
    const pending = ch.promoPrice !== null && ch.promoFrom !== null && ch.promoFrom > now;
    const active = ch.promoPrice !== null && !pending;
    return {
      ...ch,
      promoPrice: active ? ch.promoPrice : null,
      promoFrom: active ? (ch.promoFrom ?? now) : null,
      promoTo: active ? ch.promoTo : null,
      upcoming: pending
        ? { promoPrice: ch.promoPrice, promoFrom: ch.promoFrom, promoTo: ch.promoTo }
        : undefined,
    };
  });
  const schedules: NewSchedule[] = changes.flatMap((ch) => {
    if (ch.promoPrice === null || !ch.promoTo) return [];
    const base = {
      storeId: ch.storeId,
      productId: ch.productId,
      price: null,
      promoPrice: ch.promoPrice,
      promoTo: ch.promoTo,
      source: 'promotion',
      ...meta,
      ...(ch.urgent ? { urgent: true } : {}),
    };
    const from = ch.promoFrom && ch.promoFrom > now ? ch.promoFrom : null;
    return [
      ...(from ? [{ ...base, kind: 'promo_start' as const, promoFrom: from, effectiveAt: from }] : []),
      {
        ...base,
        kind: 'promo_end' as const,
        promoFrom: from ?? ch.promoFrom ?? now,
        effectiveAt: ch.promoTo,
      },
    ];
  });
  return { rows, schedules };
}
