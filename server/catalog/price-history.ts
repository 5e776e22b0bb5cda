// The price a shelf showed over time, from the rows of price_history: each row is a price state
// (regular price, optional promotion within [promoFrom, promoTo)) in force from its validFrom
// until the next row. Omnibus: the lowest price applied in the 30 days before a promotion starts.
export interface HistoryState {
  validFrom: Date;
  price: string;
  promoPrice: string | null;
  promoFrom: Date | null;
  promoTo: Date | null;
}

export const OMNIBUS_DAYS = 30;
const DAY_MS = 86_400_000;

/** Exact decimal string -> integer cents (prices have at most 2 decimals). */
export function cents(v: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(v.trim());
  if (!m) throw new Error(`not a price: ${v}`);
  const n = BigInt(m[2] + (m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -n : n;
}

const lower = (a: string | null, b: string) => (a === null || cents(b) < cents(a) ? b : a);

/** One step of the shelf price: `price` shown during [from, to). */
export interface PriceStep {
  from: Date;
  to: Date | null;
  price: string;
  promo: boolean;
}

/**
 * The shelf price as steps over [start, end) (end null = open): each state split at its
 * promotion's edges. `states` sorted by validFrom (ties: the later row wins).
 */
export function priceSteps(states: HistoryState[], start: Date | null, end: Date | null): PriceStep[] {
  const out: PriceStep[] = [];
  const t = (d: Date | null, inf: number) => (d ? d.getTime() : inf);
  for (let i = 0; i < states.length; i++) {
    const s = states[i];
    const a = Math.max(s.validFrom.getTime(), t(start, -Infinity));
    const b = Math.min(t(states[i + 1]?.validFrom ?? null, Infinity), t(end, Infinity));
    if (!(a < b)) continue;
    const cuts = [a, b];
    if (s.promoPrice !== null) {
      const pf = t(s.promoFrom, -Infinity);
      const pt = t(s.promoTo, Infinity);
      for (const c of [pf, pt]) if (c > a && c < b) cuts.push(c);
      cuts.sort((x, y) => x - y);
      for (let k = 0; k + 1 < cuts.length; k++) {
        const inPromo = cuts[k] >= pf && cuts[k] < pt;
        out.push(step(cuts[k], cuts[k + 1], inPromo ? s.promoPrice : s.price, inPromo));
      }
    } else out.push(step(a, b, s.price, false));
  }
  // neighbouring steps of the same price and kind are one
  return out.reduce<PriceStep[]>((acc, s) => {
    const last = acc[acc.length - 1];
    if (last && last.to?.getTime() === s.from.getTime() && last.price === s.price && last.promo === s.promo)
      last.to = s.to;
    else acc.push(s);
    return acc;
  }, []);
}

const step = (a: number, b: number, price: string, promo: boolean): PriceStep => ({
  from: new Date(a),
  to: Number.isFinite(b) ? new Date(b) : null,
  price,
  promo,
});

/**
 * The lowest price shown during the `days` before `start` (a promotion's start), regular or
 * promotional; null when no price of the product was in force at any moment of that window.
 * A state that began before the window counts for the part inside it.
 */
export function lowestBefore(states: HistoryState[], start: Date, days = OMNIBUS_DAYS): string | null {
  const windowStart = new Date(start.getTime() - days * DAY_MS);
  let min: string | null = null;
  for (const s of priceSteps(states, windowStart, start)) min = lower(min, s.price);
  return min;
}
