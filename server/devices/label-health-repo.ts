// Labels as the API lists them (GET /api/v1/labels): where each is, what it is bound to, and its
// health as its APs report it (battery, signal, last seen, serving AP) with what it displays
// against what it should display (the hash of the price in force, or of its rendered image).
import type { Queryable } from '../db/pool.js';
import { queryRows } from '../db/query.js';
import { Where, type PageRequest } from '../core/list-page.js';
import { CONTENT_HASH_SQL, EXPECTED_IMAGE_SQL } from '../tasks/content-hash-repo.js';

export interface LabelHealthFilter {
  store?: string;
  group?: string;
  sku?: string;
  ap?: string;
  labelId?: string[];
  bound?: 'yes' | 'no';
  inSync?: 'yes' | 'no';
}

export interface LabelHealthRow {
  labelId: string;
  storeCode: string;
  groupId: string;
  sku: string | null;
  boundAt: Date | null;
  batteryMv: number | null;
  rssi: number | null;
  lastSeenAt: Date | null;
  lastConfirmedAt: Date | null;
  servingAp: string | null;
  apOnline: number | null;
  displayedHash: string | null;
  expectedHash: string | null;
  expectedImageHash: string | null;
}

/** A keyset page of labels by label id, within a store scope (store ids; null = every store). */
export async function pageLabelHealth(
  db: Queryable,
  p: PageRequest<LabelHealthFilter>,
  scope: readonly number[] | null = null,
) {
  const f = p.filters;
  const expected = `IF(p.price IS NULL, NULL, ${CONTENT_HASH_SQL})`;
  const image = `IF(p.price IS NULL, NULL, ${EXPECTED_IMAGE_SQL})`;
  const w = new Where()
    .eq('s.code', f.store)
    .eq('l.group_id', f.group)
    .eq('pr.sku', f.sku)
    .eq('l.last_ap_client_id', f.ap)
    .stores('l.store_id', scope);
  if (f.labelId?.length) w.add('l.label_id IN (?)', f.labelId);
  if (f.bound) w.add(f.bound === 'yes' ? 'l.product_id IS NOT NULL' : 'l.product_id IS NULL');
  if (f.inSync === 'yes')
    w.add(`l.displayed_hash IS NOT NULL AND (l.displayed_hash = ${expected} OR l.displayed_hash = ${image})`);
  if (f.inSync === 'no')
    w.add(
      `NOT (l.displayed_hash IS NOT NULL AND COALESCE(l.displayed_hash = ${expected} OR l.displayed_hash = ${image}, FALSE))`,
    );
  const tail = w.page('l.label_id', p);
  return queryRows<LabelHealthRow>(
    db,
    `SELECT l.label_id AS labelId, s.code AS storeCode, l.group_id AS groupId, pr.sku, l.bound_at AS boundAt,
       l.battery_mv AS batteryMv, l.rssi, l.last_status_at AS lastSeenAt, l.last_confirmed_at AS lastConfirmedAt,
       l.last_ap_client_id AS servingAp, a.online AS apOnline, l.displayed_hash AS displayedHash,
       ${expected} AS expectedHash, ${image} AS expectedImageHash
     FROM labels l
     JOIN stores s ON s.id = l.store_id
     LEFT JOIN products pr ON pr.id = l.product_id
     LEFT JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id
     LEFT JOIN aps a ON a.client_id = l.last_ap_client_id
     ${w.sql} ${tail}`,
    w.params,
  );
}
