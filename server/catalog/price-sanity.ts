// Price sanity: changes that are usually typing mistakes ask for an explicit confirmation before
// they are applied: a promotion price at or above the regular price, a price of 0, or a regular
// price moving by more than PRICE_CONFIRM_CHANGE_PERCENT from the price in force. A confirmed
// change is recorded as such in its audit record.
import { UnprocessableError } from '../core/errors.js';
import type { Change } from './price-input.js';

export const PRICE_WARNINGS = ['promo_not_below_regular', 'zero_price', 'large_change'] as const;
export type PriceWarningCode = (typeof PRICE_WARNINGS)[number];

export interface PriceWarning {
  /** the entry's index in the request (or the row of the import) */
  index: number;
  sku: string;
  store: string;
  code: PriceWarningCode;
  message: string;
  /** the regular price in force now, for large_change */
  before?: string;
  after?: string;
  /** the change in percent of the price in force, rounded to one decimal (large_change) */
  percent?: number;
  /** the configured limit in percent (large_change) */
  limit?: number;
}

/** A decimal string with two decimals ("3.50") as whole cents; exact, no floats. */
const cents = (s: string) => {
  const [i, f = ''] = s.split('.');
  return Number(i) * 100 + Number(f.padEnd(2, '0').slice(0, 2));
};

/** The warnings of one change against the regular price in force (null when none). */
export function priceWarnings(
  ch: Pick<Change, 'sku' | 'store' | 'price' | 'promoPrice'>,
  index: number,
  current: string | null,
  maxPercent: number,
): PriceWarning[] {
  const out: PriceWarning[] = [];
  const base = { index, sku: ch.sku, store: ch.store };
  const price = cents(ch.price);
  if (price === 0 || (ch.promoPrice !== null && cents(ch.promoPrice) === 0))
    out.push({ ...base, code: 'zero_price', message: 'a price of 0', after: ch.price });
  if (ch.promoPrice !== null && cents(ch.promoPrice) >= price && price > 0)
    out.push({
      ...base,
      code: 'promo_not_below_regular',
      before: ch.price,
      after: ch.promoPrice,
      message: `the promotion price ${ch.promoPrice} is not below the regular price ${ch.price}`,
    });
  if (current !== null && cents(current) > 0 && price > 0) {
    const was = cents(current);
    const percent = Math.round((Math.abs(price - was) / was) * 1000) / 10;
    if (percent > maxPercent)
      out.push({
        ...base,
        code: 'large_change',
        message: `the price changes by ${percent}% (${current} to ${ch.price}), more than ${maxPercent}%`,
        before: current,
        after: ch.price,
        percent,
        limit: maxPercent,
      });
  }
  return out;
}

/** Some changes need an explicit confirmation: nothing was applied. */
export class PriceConfirmationError extends UnprocessableError {
  constructor(readonly warnings: PriceWarning[]) {
    super(
      `${warnings.length} price warning(s) need your confirmation; nothing was applied. Send "confirm": true to apply them as they are.`,
      'price_confirmation_required',
    );
  }

  override get details() {
    return { items: this.warnings };
  }
}
