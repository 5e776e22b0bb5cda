// What a label must show, as one hash. Computed in SQL when items are created (100,000
// rows in one INSERT ... SELECT) and for the mismatch list (content-hash-repo.ts), and in JS
// here, by the simulator and the tests: the two must agree byte for byte.
// Fields are joined with '|' and the free-text name goes last, so a '|' in a name cannot
// shift another field. Prices are DECIMAL(12,2) rendered as MySQL renders them ('3.50').
import crypto from 'node:crypto';

export const CONTENT_HASH_VERSION = 'v1';

export interface LabelContent {
  sku: string;
  name: string;
  /** decimal string, two places */
  price: string;
  /** the effective promotion price (null outside its window) */
  promoPrice: string | null;
  currency: string;
}

export function contentHash(c: LabelContent): string {
  const s = [CONTENT_HASH_VERSION, c.sku, c.price, c.promoPrice ?? '', c.currency, c.name].join('|');
  return crypto.createHash('sha256').update(s, 'utf8').digest('hex');
}

/** The JS twin of EFFECTIVE_PROMO_SQL (content-hash-repo.ts). */
export function effectivePromo(
  p: { promoPrice: string | null; promoFrom: Date | null; promoTo: Date | null },
  now = new Date(),
): string | null {
  if (p.promoPrice === null) return null;
  if (p.promoFrom && p.promoFrom.getTime() > now.getTime()) return null;
  if (p.promoTo && now.getTime() >= p.promoTo.getTime()) return null;
  return p.promoPrice;
}
