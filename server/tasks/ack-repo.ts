// SQL of ack application. Everything here runs inside one transaction per ack batch.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';
import { OPEN_ITEM_STATES, type ItemState } from './states.js';

/** The open states in the order hasOpenItems probes them (see there). */
const OPEN_ITEMS_PROBE_ORDER = [
  'sent',
  'failed',
  'pending',
] as const satisfies readonly (typeof OPEN_ITEM_STATES)[number][];

export interface LockedItem {
  id: string;
  taskId: string;
  labelId: string;
  groupId: string;
  state: ItemState;
  contentHash: string;
  /** the rendered image's hash, for items sent to image-capable APs (docs/ap-protocol-image.md) */
  imageHash: string | null;
  /** the product and store the item showed, for the confirmation's audit record */
  sku: string;
  storeCode: string;
}

/** Locks the items named by a batch, in id order (concurrent batches then never deadlock on them). */
export async function lockItems(db: Queryable, ids: string[]): Promise<LockedItem[]> {
  const rows = await queryRows<Omit<LockedItem, 'imageHash' | 'storeCode'>>(
    db,
    `SELECT id, task_id AS taskId, label_id AS labelId, group_id AS groupId, state, content_hash AS contentHash, sku
     FROM task_items WHERE id IN (?) ORDER BY id FOR UPDATE`,
    [ids],
  );
  // The rendered images (only the render worker writes them) and the store codes (never
  // change) are read without locks, in one statement.
  const extra = await queryRows<{ item_id: string; image_hash: string | null; store_code: string }>(
    db,
    `SELECT i.id AS item_id, img.image_hash, s.code AS store_code
     FROM task_items i JOIN stores s ON s.id = i.store_id LEFT JOIN task_item_images img ON img.item_id = i.id
     WHERE i.id IN (?)`,
    [ids],
  );
  const byId = new Map(extra.map((i) => [String(i.item_id), i]));
  return rows.map((r) => ({
    ...r,
    id: String(r.id),
    taskId: String(r.taskId),
    imageHash: byId.get(String(r.id))?.image_hash ?? null,
    storeCode: byId.get(String(r.id))?.store_code ?? '',
  }));
}

/** The APs among these that declared they take PNG images. */
export async function imageCapableAps(db: Queryable, clientIds: string[]): Promise<Set<string>> {
  if (!clientIds.length) return new Set();
  const rows = await queryRows<{ client_id: string }>(
    db,
    'SELECT client_id FROM aps WHERE client_id IN (?) AND caps LIKE ?',
    [clientIds, '%"image/png"%'],
  );
  return new Set(rows.map((r) => r.client_id));
}

/**
 * Confirms the items of a whole batch, whichever APs confirmed them, in two statements: the
 * items (confirmed_by chosen per AP by a CASE over id lists), then their labels, which take
 * what they now show and the confirming AP from the rows just written. Set-based, so a batch
 * costs two round trips instead of two per AP.
 */
export async function confirmItems(db: Queryable, byAp: Map<string, string[]>, at: Date): Promise<void> {
  const all = [...byAp.values()].flat();
  if (!all.length) return;
  const aps = [...byAp].filter(([, ids]) => ids.length);
  const [by, byParams] =
    aps.length === 1
      ? ['?', [aps[0][0]]]
      : [
          `CASE ${aps.map(() => 'WHEN id IN (?) THEN ?').join(' ')} END`,
          aps.flatMap(([ap, ids]) => [ids, ap]),
        ];
  await execute(
    db,
    `UPDATE task_items SET state = 'confirmed', confirmed_by = ${by}, confirmed_at = ?, next_retry_at = NULL, error = NULL
     WHERE id IN (?)`,
    [...byParams, at, all],
  );
  await execute(
    db,
    // An image-capable AP shows the item's image: the label displays that image's hash.
    `UPDATE labels l JOIN task_items i ON i.label_id = l.label_id
       LEFT JOIN aps a ON a.client_id = i.confirmed_by AND a.caps LIKE '%"image/png"%'
       LEFT JOIN task_item_images img ON img.item_id = i.id AND a.client_id IS NOT NULL
     SET l.displayed_hash = COALESCE(img.image_hash, i.content_hash), l.last_confirmed_at = ?, l.last_ap_client_id = i.confirmed_by
     WHERE i.id IN (?)`,
    [at, all],
  );
}

/**
 * Failed results, one statement per batch: the items keep the AP's reason and are due again after
 * the failed-retry backoff (base x 2^(attempts - 1), capped), replacing the silence timeout that
 * was set when they were sent. The sweeper wakes their groups once that time has come.
 */
export async function failItems(
  db: Queryable,
  byError: Map<string, string[]>,
  baseMs: number,
  capMs: number,
): Promise<void> {
  const errs = [...byError].filter(([, ids]) => ids.length);
  if (!errs.length) return;
  await execute(
    db,
    `UPDATE task_items SET state = 'failed',
       error = CASE ${errs.map(() => 'WHEN id IN (?) THEN ?').join(' ')} END,
       next_retry_at = NOW(3) + INTERVAL LEAST(? * POW(2, GREATEST(attempts, 1) - 1), ?) * 1000 MICROSECOND
     WHERE id IN (?)`,
    [...errs.flatMap(([e, ids]) => [ids, e.slice(0, 255)]), baseMs, capMs, errs.flatMap(([, ids]) => ids)],
  );
}

/**
 * One probe per open state, 'sent' first: while a task runs its items are mostly sent, and
 * `state IN (...)` would first walk the (task_id, 'pending') range, which after dispatch holds
 * only delete-marked entries until purge catches up (thousands of visibility checks per call).
 */
export async function hasOpenItems(db: Queryable, taskId: string): Promise<boolean> {
  for (const state of OPEN_ITEMS_PROBE_ORDER) {
    const rows = await queryRows<object>(
      db,
      'SELECT 1 FROM task_items WHERE task_id = ? AND state = ? LIMIT 1',
      [taskId, state],
    );
    if (rows.length) return true;
  }
  return false;
}
