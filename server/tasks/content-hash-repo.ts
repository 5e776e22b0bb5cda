// contentHash() and effectivePromo() of content-hash.ts as SQL expressions, for the repos that
// compute a label's hash in MySQL (task items, status reports, the mismatch list). The two
// definitions must agree byte for byte; test/tasks/task-creator.test.ts checks it.
import { CONTENT_HASH_VERSION } from './content-hash.js';

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

/**
 * The hash of the image rendered for the label `l`'s latest item showing its current content
 * (CONTENT_HASH_SQL), or NULL: what an image-capable AP displays when it is up to date.
 */
export const EXPECTED_IMAGE_SQL =
  `(SELECT img.image_hash FROM task_items ei JOIN task_item_images img ON img.item_id = ei.id ` +
  `WHERE ei.label_id = l.label_id AND ei.content_hash = ${CONTENT_HASH_SQL} AND img.image_hash IS NOT NULL ` +
  `ORDER BY ei.id DESC LIMIT 1)`;
