// What a label must show, as one hash. Computed in SQL when items are created (100,000
// rows in one INSERT ... SELECT) and for the mismatch list, and in JS by the simulator
// and the tests: the two must agree byte for byte, so both are defined here side by side.
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

/**
 * The promotion price in force at NOW(3), else NULL: promo_price only while NOW() is within
 * [promo_from, promo_to) (an open end means unbounded). `p` is the prices alias.
 */
export const EFFECTIVE_PROMO_SQL =
  '(CASE WHEN p.promo_price IS NOT NULL AND (p.promo_from IS NULL OR p.promo_from <= NOW(3)) ' +
  'AND (p.promo_to IS NULL OR NOW(3) < p.promo_to) THEN p.promo_price ELSE NULL END)';

/** contentHash() in SQL over products `pr` and prices `p`. */
export const CONTENT_HASH_SQL =
  `SHA2(CONCAT_WS('|', '${CONTENT_HASH_VERSION}', pr.sku, CAST(p.price AS CHAR), ` +
  `COALESCE(CAST(${EFFECTIVE_PROMO_SQL} AS CHAR), ''), pr.currency, pr.name), 256)`;

/** The JS twin of EFFECTIVE_PROMO_SQL. */
export function effectivePromo(
  p: { promoPrice: string | null; promoFrom: Date | null; promoTo: Date | null },
  now = new Date(),
): string | null {
  if (p.promoPrice === null) return null;
  if (p.promoFrom && p.promoFrom.getTime() > now.getTime()) return null;
  if (p.promoTo && now.getTime() >= p.promoTo.getTime()) return null;
  return p.promoPrice;
}

/**
 * The hash of the image rendered for the label `l`'s latest item showing its current content
 * (CONTENT_HASH_SQL), or NULL: what an image-capable AP displays when it is up to date.
 */
export const EXPECTED_IMAGE_SQL =
  `(SELECT img.image_hash FROM task_items ei JOIN task_item_images img ON img.item_id = ei.id ` +
  `WHERE ei.label_id = l.label_id AND ei.content_hash = ${CONTENT_HASH_SQL} AND img.image_hash IS NOT NULL ` +
  `ORDER BY ei.id DESC LIMIT 1)`;
