// The label health list: each label's battery, signal, last report, serving AP (and whether it
// is online) and whether what it displays is what its price says it should, filtered by store
// and health band. The content hash of the price in force is computed for the page's rows only.
import type { Queryable } from '../db/pool.js';
import { queryRows, querySingle } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';
import { CONTENT_HASH_SQL, EXPECTED_IMAGE_SQL } from '../tasks/content-hash-repo.js';
import {
  batterySql,
  seenSql,
  signalSql,
  type BatteryBand,
  type SeenBand,
  type SignalBand,
} from './health-bands.js';

export interface LabelHealthFilter {
  storeId?: number;
  battery?: BatteryBand;
  signal?: SignalBand;
  seen?: SeenBand;
  /** the AP that serves it */
  ap?: string;
  /** Store ids of the reader's scope; null or absent = every store. */
  scope?: readonly number[] | null;
  limit: number;
  offset: number;
}

export interface LabelHealthRow {
  labelId: string;
  storeId: number;
  storeCode: string;
  storeName: string;
  groupId: string;
  sku: string | null;
  batteryMv: number | null;
  rssi: number | null;
  lastStatusAt: Date | null;
  lastConfirmedAt: Date | null;
  ap: string | null;
  apOnline: boolean | null;
  displayedHash: string | null;
  expectedHash: string | null;
  /** the hash of the image rendered for its current content (what an image-capable AP shows), if any */
  expectedImage: string | null;
}

function where(f: LabelHealthFilter): [string, unknown[]] {
  const conds: [string, unknown[]][] = [];
  if (f.storeId !== undefined) conds.push(['l.store_id = ?', [f.storeId]]);
  if (f.battery) conds.push(batterySql(f.battery));
  if (f.signal) conds.push(signalSql(f.signal));
  if (f.seen) conds.push(seenSql(f.seen));
  if (f.ap) conds.push(['l.last_ap_client_id = ?', [f.ap]]);
  if (f.scope) {
    const sc = storeScopeSql('l.store_id', f.scope);
    conds.push([`TRUE${sc.sql}`, sc.params]);
  }
  return [conds.length ? `WHERE ${conds.map(([c]) => c).join(' AND ')}` : '', conds.flatMap(([, a]) => a)];
}

export async function listLabelHealth(db: Queryable, f: LabelHealthFilter): Promise<LabelHealthRow[]> {
  const [w, args] = where(f);
  const rows = await queryRows<Omit<LabelHealthRow, 'apOnline'> & { apOnline: number | null }>(
    db,
    `SELECT l.label_id AS labelId, l.store_id AS storeId, s.code AS storeCode, s.name AS storeName, l.group_id AS groupId, pr.sku,
       l.battery_mv AS batteryMv, l.rssi, l.last_status_at AS lastStatusAt, l.last_confirmed_at AS lastConfirmedAt,
       l.last_ap_client_id AS ap, a.online AS apOnline, l.displayed_hash AS displayedHash,
       IF(p.product_id IS NULL, NULL, ${CONTENT_HASH_SQL}) AS expectedHash,
       IF(p.product_id IS NULL, NULL, ${EXPECTED_IMAGE_SQL}) AS expectedImage
     FROM labels l JOIN stores s ON s.id = l.store_id
     LEFT JOIN products pr ON pr.id = l.product_id
     LEFT JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id
     LEFT JOIN aps a ON a.client_id = l.last_ap_client_id
     ${w} ORDER BY l.label_id LIMIT ? OFFSET ?`,
    [...args, f.limit, f.offset],
  );
  return rows.map((r) => ({ ...r, apOnline: r.apOnline === null ? null : Number(r.apOnline) === 1 }));
}

export async function countLabelHealth(
  db: Queryable,
  f: Omit<LabelHealthFilter, 'limit' | 'offset'>,
): Promise<number> {
  const [w, args] = where({ ...f, limit: 0, offset: 0 });
  const r = await querySingle<{ n: string }>(db, `SELECT COUNT(*) AS n FROM labels l ${w}`, args);
  return Number(r.n);
}
