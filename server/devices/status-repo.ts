// SQL of AP status reports on the labels an AP serves (the AP's own row: aps-repo.ts).
import type { Queryable } from '../db/pool.js';
import { CONTENT_HASH_SQL, EXPECTED_IMAGE_SQL } from '../tasks/content-hash-repo.js';
import { execute, queryRows } from '../db/query.js';

export interface ReportedLabel {
  labelId: string;
  battery: number | null;
  rssi: number | null;
  contentHash: string | null;
}

/**
 * Updates the labels of the reporting AP's own group (a label of another group is left
 * alone, whatever the AP claims). Returns how many labels matched.
 */
export async function updateReportedLabels(
  db: Queryable,
  groupId: string,
  clientId: string,
  at: Date,
  labels: ReportedLabel[],
): Promise<number> {
  if (!labels.length) return 0;
  const rows = labels.map(() => 'SELECT ? AS label_id, ? AS battery, ? AS rssi, ? AS h').join(' UNION ALL ');
  const params = labels.flatMap((l) => [l.labelId, l.battery, l.rssi, l.contentHash]);
  const res = await execute(
    db,
    `UPDATE labels l JOIN (${rows}) v ON v.label_id = l.label_id
     SET l.last_ap_client_id = ?, l.battery_mv = v.battery, l.rssi = v.rssi,
         l.displayed_hash = COALESCE(v.h, l.displayed_hash), l.last_status_at = ?
     WHERE l.group_id = ?`,
    [...params, clientId, at, groupId],
  );
  return res.affectedRows;
}

export interface LabelExpectation {
  labelId: string;
  /** what we last knew it displayed */
  previous: string | null;
  /** the hash of the price in force now */
  expected: string;
  /** the hash of the image rendered for it (image-capable APs show that) */
  expectedImage: string | null;
  /** an open task item is on its way to it */
  pending: boolean;
}

/** For reported labels of the group: what they showed before this report and what they should show. */
export async function labelExpectations(
  db: Queryable,
  groupId: string,
  labelIds: string[],
): Promise<LabelExpectation[]> {
  if (!labelIds.length) return [];
  const rows = await queryRows<Omit<LabelExpectation, 'pending'> & { pending: number | string }>(
    db,
    `SELECT l.label_id AS labelId, l.displayed_hash AS previous, ${CONTENT_HASH_SQL} AS expected, ${EXPECTED_IMAGE_SQL} AS expectedImage,
       EXISTS (SELECT 1 FROM task_items i WHERE i.label_id = l.label_id AND i.state IN ('pending', 'sent', 'failed')) AS pending
     FROM labels l
     JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id
     JOIN products pr ON pr.id = l.product_id
     WHERE l.group_id = ? AND l.label_id IN (?)`,
    [groupId, labelIds],
  );
  return rows.map((r) => ({ ...r, pending: Number(r.pending) === 1 }));
}

/** What the platform last knew each of these labels of the group displayed (one primary-key read per label). */
export async function knownDisplayed(
  db: Queryable,
  groupId: string,
  labelIds: string[],
): Promise<Map<string, string | null>> {
  if (!labelIds.length) return new Map();
  const rows = await queryRows<{ labelId: string; h: string | null }>(
    db,
    'SELECT label_id AS labelId, displayed_hash AS h FROM labels WHERE group_id = ? AND label_id IN (?)',
    [groupId, labelIds],
  );
  return new Map(rows.map((r) => [r.labelId, r.h]));
}

/**
 * Labels of the group whose reported model (a known one) differs from their model: set it.
 * Returns the labels changed, with their previous model, and the reported models that are unknown.
 */
export async function applyReportedModels(
  db: Queryable,
  groupId: string,
  reported: Map<string, string>,
): Promise<{ changed: { labelId: string; from: string; to: string }[]; unknown: string[] }> {
  if (!reported.size) return { changed: [], unknown: [] };
  const models = [...new Set(reported.values())];
  const known = await queryRows<{ code: string }>(db, 'SELECT code FROM label_models WHERE code IN (?)', [
    models,
  ]);
  const ok = new Set(known.map((k) => k.code));
  const rows = await queryRows<{ label_id: string; model_code: string }>(
    db,
    'SELECT label_id, model_code FROM labels WHERE group_id = ? AND label_id IN (?) FOR UPDATE',
    [groupId, [...reported.keys()]],
  );
  const changed = rows
    .filter((r) => ok.has(reported.get(r.label_id)!) && reported.get(r.label_id) !== r.model_code)
    .map((r) => ({ labelId: r.label_id, from: r.model_code, to: reported.get(r.label_id)! }));
  for (const to of new Set(changed.map((c) => c.to)))
    await execute(db, 'UPDATE labels SET model_code = ? WHERE group_id = ? AND label_id IN (?)', [
      to,
      groupId,
      changed.filter((c) => c.to === to).map((c) => c.labelId),
    ]);
  return { changed, unknown: models.filter((m) => !ok.has(m)) };
}

export interface ApStatusSample {
  clientId: string;
  at: Date;
  firmware: string | null;
  labelsReported: number;
  batteryMin: number | null;
  batteryAvg: number | null;
  rssiMin: number | null;
  rssiAvg: number | null;
}

/** The AP's latest status samples, newest first (through (client_id, at)); its health page shows them. */
export async function statusHistory(
  db: Queryable,
  clientId: string,
  limit: number,
): Promise<Omit<ApStatusSample, 'clientId'>[]> {
  return queryRows<Omit<ApStatusSample, 'clientId'>>(
    db,
    `SELECT at, firmware, labels_reported AS labelsReported, battery_min AS batteryMin, battery_avg AS batteryAvg,
       rssi_min AS rssiMin, rssi_avg AS rssiAvg
     FROM ap_status_log WHERE client_id = ? ORDER BY at DESC LIMIT ?`,
    [clientId, limit],
  );
}

const SAMPLE_EVERY_SECONDS = 300;
const SAMPLE_KEEP_DAYS = 30;

/**
 * The AP's status history: a sample unless one was taken in the last SAMPLE_EVERY_SECONDS (so a
 * report a minute costs one index probe, and a row every five minutes), then the AP's samples
 * past SAMPLE_KEEP_DAYS go. Both through (client_id, at).
 */
export async function sampleApStatus(db: Queryable, s: ApStatusSample): Promise<boolean> {
  const recent = await queryRows<object>(
    db,
    'SELECT 1 FROM ap_status_log WHERE client_id = ? AND at > ? - INTERVAL ? SECOND LIMIT 1',
    [s.clientId, s.at, SAMPLE_EVERY_SECONDS],
  );
  if (recent.length) return false;
  await execute(
    db,
    `INSERT INTO ap_status_log (client_id, at, firmware, labels_reported, battery_min, battery_avg, rssi_min, rssi_avg)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [s.clientId, s.at, s.firmware, s.labelsReported, s.batteryMin, s.batteryAvg, s.rssiMin, s.rssiAvg],
  );
  await execute(db, 'DELETE FROM ap_status_log WHERE client_id = ? AND at < ? - INTERVAL ? DAY', [
    s.clientId,
    s.at,
    SAMPLE_KEEP_DAYS,
  ]);
  return true;
}
