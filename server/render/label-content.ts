// What a label must show, as the template's field values. Built from the product, its
// price state in the label's store at an instant, and the store; formatted here (money
// with its currency sign, the promotion period in store-local dates, the unit price).
import type { FieldName } from './template-schema.js';

export interface PriceState {
  price: string;
  promoPrice: string | null;
  promoFrom: Date | null;
  promoTo: Date | null;
  /** the lowest price of the 30 days before the promotion started (Omnibus), if known */
  priorLowest?: string | null;
}

export interface LabelFacts {
  labelId: string;
  sku: string;
  name: string;
  nameLatin: string | null;
  unit: string;
  currency: string;
  origin: string | null;
  spec: string | null;
  netQuantity: string | null;
  netUnit: string | null;
  storeName: string;
  storeTimezone: string;
  price: PriceState;
}

export type FieldValues = Record<FieldName, string> & { promoActive: boolean };

const SIGNS: Record<string, string> = {
  CNY: '¥',
  JPY: '¥',
  USD: '$',
  EUR: '€',
  GBP: '£',
  HKD: 'HK$',
  TWD: 'NT$',
};
export const money = (amount: string, currency: string) => `${SIGNS[currency] ?? `${currency} `}${amount}`;

/** Exact decimal string -> integer of `places` decimals (no floats). */
function scaled(v: string, places: number): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v.trim());
  if (!m) throw new Error(`not a decimal: ${v}`);
  const frac = (m[3] ?? '').padEnd(places, '0');
  if (frac.length > places && /[1-9]/.test(frac.slice(places))) throw new Error(`too many decimals: ${v}`);
  const n = BigInt(m[2] + frac.slice(0, places));
  return m[1] ? -n : n;
}

/** Per kg for g/kg, per 100 ml for ml/l; `price` two decimals, `qty` up to three. Half-up to the cent. */
export function unitPrice(
  price: string,
  qty: string | null,
  unit: string | null,
): { amount: string; per: string } | null {
  if (!qty || !unit) return null;
  const factor = { g: 1n, kg: 1000n, ml: 1n, l: 1000n }[unit.toLowerCase()];
  if (!factor) return null;
  const q = scaled(qty, 3) * factor; // thousandths of a gram or millilitre
  if (q <= 0n) return null;
  const [ref, per] = unit.toLowerCase().endsWith('g') ? [1000n, 'kg'] : [100n, '100ml'];
  const num = scaled(price, 2) * ref * 1000n;
  const cents = (num * 2n + q) / (2n * q);
  const s = cents.toString().padStart(3, '0');
  return { amount: `${s.slice(0, -2)}.${s.slice(-2)}`, per };
}

export function effectivePromoAt(p: PriceState, at: Date): string | null {
  if (p.promoPrice === null) return null;
  if (p.promoFrom && p.promoFrom.getTime() > at.getTime()) return null;
  if (p.promoTo && at.getTime() >= p.promoTo.getTime()) return null;
  return p.promoPrice;
}

function localDate(d: Date, tz: string) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('month')}.${get('day')}`;
}

export function fieldValues(f: LabelFacts, at: Date): FieldValues {
  const promo = effectivePromoAt(f.price, at);
  const now = promo ?? f.price.price;
  const up = unitPrice(now, f.netQuantity, f.netUnit);
  // The promotion's last day is the day before its exclusive end.
  const period =
    promo && f.price.promoTo
      ? `${f.price.promoFrom ? localDate(f.price.promoFrom, f.storeTimezone) : ''}–${localDate(new Date(f.price.promoTo.getTime() - 1), f.storeTimezone)}`
      : '';
  return {
    name: f.name,
    nameLatin: f.nameLatin ?? '',
    price: money(now, f.currency),
    regularPrice: money(f.price.price, f.currency),
    promoPrice: promo ? money(promo, f.currency) : '',
    promoPeriod: period,
    lowestPrice30d: promo && f.price.priorLowest ? money(f.price.priorLowest, f.currency) : '',
    currency: f.currency,
    unitPrice: up ? `${money(up.amount, f.currency)}/${up.per}` : '',
    sku: f.sku,
    origin: f.origin ?? '',
    spec: f.spec ?? '',
    unit: f.unit,
    store: f.storeName,
    labelId: f.labelId,
    promoActive: promo !== null,
  };
}
