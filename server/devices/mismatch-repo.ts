// The price-mismatch list: labels whose displayed hash (as their AP last reported it, or as
// last confirmed) differs from the hash of the price in force now. Same hash as the items'.
import type { Queryable } from '../db/pool.js';
import { storeScopeSql } from '../db/store-scope.js';
import { CONTENT_HASH_SQL, EXPECTED_IMAGE_SQL } from '../tasks/content-hash-repo.js';
import { queryRows, querySingle } from '../db/query.js';

export interface MismatchRow {
  labelId: string;
  storeId: number;
  storeCode: string;
  storeName: string;
  groupId: string;
  sku: string;
  name: string;
  price: string;
  displayedHash: string;
  expectedHash: string;
  lastAp: string | null;
  /** whether that AP is connected now (null: unknown AP) */
  apOnline: boolean | null;
  lastStatusAt: Date | null;
  /** the price the label shows, when a task of ours put that content there (else null: unknown content) */
  displayedPrice: string | null;
  /** the displayed hash is a rendered image's (an image-capable AP): /render/images/<hash>.png shows it */
  displayedImage: boolean;
  displayedPromo: string | null;
  /** an open task item is on its way to this label */
  pendingTask: string | null;
}

const FROM = `FROM labels l
  JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id
  JOIN products pr ON pr.id = l.product_id
  JOIN stores s ON s.id = l.store_id
  WHERE l.displayed_hash IS NOT NULL AND l.displayed_hash <> ${CONTENT_HASH_SQL}
    AND l.displayed_hash <> COALESCE(${EXPECTED_IMAGE_SQL}, '')`;

export async function listMismatches(
  db: Queryable,
  f: {
    storeId?: number;
    scope?: readonly number[] | null;
    limit: number;
    offset: number;
    afterLabelId?: string;
  },
): Promise<MismatchRow[]> {
  const sc = storeScopeSql('l.store_id', f.scope);
  const rows = await queryRows<
    Omit<MismatchRow, 'apOnline' | 'displayedImage'> & { apOnline: number | null; displayedImage: number }
  >(
    db,
    `SELECT l.label_id AS labelId, l.store_id AS storeId, s.code AS storeCode, s.name AS storeName, l.group_id AS groupId, pr.sku, pr.name, p.price,
       l.displayed_hash AS displayedHash, ${CONTENT_HASH_SQL} AS expectedHash, l.last_ap_client_id AS lastAp,
       l.last_status_at AS lastStatusAt, a.online AS apOnline,
       (SELECT i.price FROM task_items i WHERE i.label_id = l.label_id AND i.content_hash = l.displayed_hash
         ORDER BY i.id DESC LIMIT 1) AS displayedPrice,
       (SELECT i.promo_price FROM task_items i WHERE i.label_id = l.label_id AND i.content_hash = l.displayed_hash
         ORDER BY i.id DESC LIMIT 1) AS displayedPromo,
       EXISTS (SELECT 1 FROM label_images li WHERE li.image_hash = l.displayed_hash) AS displayedImage,
       (SELECT MAX(i.task_id) FROM task_items i WHERE i.label_id = l.label_id AND i.state IN ('pending', 'sent', 'failed')) AS pendingTask
     ${FROM.replace('WHERE', 'LEFT JOIN aps a ON a.client_id = l.last_ap_client_id WHERE')} ${f.storeId ? 'AND l.store_id = ?' : ''}${sc.sql}
     ${f.afterLabelId !== undefined ? 'AND l.label_id > ? ORDER BY l.label_id' : 'ORDER BY l.store_id, l.label_id'} LIMIT ? OFFSET ?`,
    [
      ...(f.storeId ? [f.storeId] : []),
      ...sc.params,
      ...(f.afterLabelId !== undefined ? [f.afterLabelId] : []),
      f.limit,
      f.offset,
    ],
  );
  return rows.map((r) => ({
    ...r,
    apOnline: r.apOnline === null ? null : Number(r.apOnline) === 1,
    displayedImage: Number(r.displayedImage) === 1,
    pendingTask: r.pendingTask === null ? null : String(r.pendingTask),
  }));
}

export async function countMismatches(
  db: Queryable,
  storeId?: number,
  scope: readonly number[] | null = null,
): Promise<number> {
  const sc = storeScopeSql('l.store_id', scope);
  const r = await querySingle<{ n: string }>(
    db,
    `SELECT COUNT(*) AS n ${FROM} ${storeId ? 'AND l.store_id = ?' : ''}${sc.sql}`,
    [...(storeId ? [storeId] : []), ...sc.params],
  );
  return Number(r.n);
}

/** The stores (of a scope, when given) for a store filter. */
export async function storeChoices(db: Queryable, scope: readonly number[] | null) {
  const sc = storeScopeSql('id', scope);
  return queryRows<{ id: number; code: string; name: string }>(
    db,
    `SELECT id, code, name FROM stores WHERE TRUE${sc.sql} ORDER BY code`,
    sc.params,
  );
}
