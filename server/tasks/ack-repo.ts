// SQL of ack application. Everything here runs inside one transaction per ack batch.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';
import { messageIds } from './dispatch-repo.js';
import { OPEN_ITEM_STATES, type ItemState } from './states.js';

/** The open states in the order hasOpenItems probes them (see there). */
const OPEN_ITEMS_PROBE_ORDER = [
  'pending',
  'sent',
  'failed',
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
  /** for a pending item: the task message it went in (none: never sent) */
  message: CoveringMessage | null;
}

/** A task message sent from the cursor (migrations/024): its items are the pending ones of its range. */
export interface CoveringMessage {
  id: string;
  taskId: string;
  groupId: string;
  fromId: string;
  toId: string;
  attempts: number;
  sentAt: Date;
  msgId: string;
}

/**
 * Store codes by id, one map per database (the pool's). A store's code is set when it is created
 * and never changed (stores-repo updates name, zone, currency and quiet hours only), and stores are
 * not deleted, so a code read once stays right for the life of the process.
 */
export type StoreCodes = Map<number, string>;

/**
 * Locks the items named by a batch, in id order (concurrent batches then never deadlock on them).
 * `withImages`: an image-capable AP is among the senders, so the items' rendered images are read.
 * `storeCodes`: codes already known (see StoreCodes); the missing ones are read and added.
 */
export async function lockItems(
  db: Queryable,
  ids: string[],
  withImages = true,
  storeCodes: StoreCodes = new Map(),
): Promise<LockedItem[]> {
  const rows = await queryRows<{
    id: number | string;
    taskId: number | string;
    labelId: string;
    groupId: string;
    state: ItemState;
    contentHash: string;
    sku: string;
    storeId: number;
  }>(
    db,
    `SELECT id, task_id AS taskId, label_id AS labelId, group_id AS groupId, state, content_hash AS contentHash, sku,
       store_id AS storeId
     FROM task_items WHERE id IN (?) ORDER BY id FOR UPDATE`,
    [ids],
  );
  // The rendered images (only the render worker writes them), the store codes (never change)
  // and the task messages the pending items went in (rows the dispatcher only adds to) are read
  // without locks.
  const missing = new Set<number>();
  for (const r of rows) if (!storeCodes.has(r.storeId)) missing.add(r.storeId);
  if (missing.size)
    for (const r of await queryRows<{ id: number; code: string }>(
      db,
      'SELECT id, code FROM stores WHERE id IN (?)',
      [[...missing]],
    ))
      storeCodes.set(Number(r.id), r.code);
  const images =
    withImages && rows.length
      ? new Map(
          (
            await queryRows<{ item_id: string; image_hash: string | null }>(
              db,
              'SELECT item_id, image_hash FROM task_item_images WHERE item_id IN (?)',
              [ids],
            )
          ).map((i) => [String(i.item_id), i.image_hash]),
        )
      : null;
  const items: LockedItem[] = new Array(rows.length);
  const pending: LockedItem[] = [];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    const id = String(r.id);
    const it: LockedItem = {
      id,
      taskId: String(r.taskId),
      labelId: r.labelId,
      groupId: r.groupId,
      state: r.state,
      contentHash: r.contentHash,
      imageHash: images?.get(id) ?? null,
      sku: r.sku,
      storeCode: storeCodes.get(r.storeId) ?? '',
      message: null,
    };
    items[k] = it;
    if (it.state === 'pending') pending.push(it);
  }
  if (!pending.length) return items;
  const messages = await coveringMessages(db, pending);
  // Each item's message, among those of its task and group (ids fit a double: MySQL's BIGINT
  // ids here stay far below 2^53), bounds parsed once.
  const byPair = new Map<string, { m: CoveringMessage; lo: number; hi: number }[]>();
  for (const m of messages) {
    const k = `${m.taskId}\n${m.groupId}`;
    (byPair.get(k) ?? byPair.set(k, []).get(k)!).push({ m, lo: Number(m.fromId), hi: Number(m.toId) });
  }
  for (const i of pending) {
    const id = Number(i.id);
    i.message = byPair.get(`${i.taskId}\n${i.groupId}`)?.find((r) => r.lo <= id && id <= r.hi)?.m ?? null;
  }
  return items;
}

/** The task messages whose id ranges cover any of these items (one range query per task and group). */
async function coveringMessages(
  db: Queryable,
  items: { id: string; taskId: string; groupId: string }[],
): Promise<CoveringMessage[]> {
  // ids fit a double (see lockItems)
  const byPair = new Map<string, { taskId: string; groupId: string; lo: number; hi: number }>();
  for (const i of items) {
    const id = Number(i.id);
    const k = `${i.taskId}\n${i.groupId}`;
    const p = byPair.get(k);
    if (!p) byPair.set(k, { taskId: i.taskId, groupId: i.groupId, lo: id, hi: id });
    else {
      if (id < p.lo) p.lo = id;
      if (id > p.hi) p.hi = id;
    }
  }
  if (!byPair.size) return [];
  const pairs = [...byPair.values()];
  const rows = await queryRows<CoveringMessage>(
    db,
    pairs
      .map(
        () => `(SELECT id, task_id AS taskId, group_id AS groupId, from_id AS fromId, to_id AS toId, attempts, sent_at AS sentAt,
            msg_id AS msgId FROM task_messages WHERE task_id = ? AND group_id = ? AND from_id <= ? AND to_id >= ?)`,
      )
      .join(' UNION ALL '),
    pairs.flatMap((p) => [p.taskId, p.groupId, p.hi, p.lo]),
  );
  return rows.map(messageIds);
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
 * Confirms the items of a whole batch and their labels: one multi-table statement per confirming
 * AP (a label row that is gone leaves its item confirmed all the same). Each item row (state, the
 * AP, time, and for an item confirmed out of a task message that message's attempts, send time
 * and id) and its label's row (what it now shows, when, and the AP) are written in one pass.
 * `imageConfirmed`: the items confirmed by an image-capable AP, whose labels show their rendered
 * image (its hash) rather than the content hash.
 *
 * Per AP rather than one statement for the batch: the AP is then a constant, and the message
 * fields a CASE over that AP's few messages, where one statement needed a CASE over every AP of
 * the batch (twice) and every message (three times), evaluated per row: 30 % less of MariaDB's
 * time for 7,500 items of ~40 APs and ~75 messages (bench/README.md, "Confirmation statement").
 *
 * Every item named here was read under its row lock in this transaction (lockItems) and is
 * open; the ones in `fromMessages` were pending. No SET clause reads a column another one
 * writes, so the order MariaDB applies them in (not defined for a multi-table UPDATE) does not
 * matter.
 */
export async function confirmItems(
  db: Queryable,
  byAp: Map<string, string[]>,
  at: Date,
  fromMessages: (CoveringMessage & { itemIds: string[] })[] = [],
  imageConfirmed: string[] = [],
): Promise<void> {
  const messageOf = new Map<string, CoveringMessage>();
  for (const m of fromMessages) for (const id of m.itemIds) messageOf.set(id, m);
  const image = new Set(imageConfirmed);
  for (const [ap, ids] of byAp) if (ids.length) await confirmByAp(db, ap, ids, at, messageOf, image);
}

async function confirmByAp(
  db: Queryable,
  ap: string,
  ids: string[],
  at: Date,
  messageOf: Map<string, CoveringMessage>,
  image: Set<string>,
): Promise<void> {
  // Items confirmed out of a task message take its attempts, send time and id (their rows were
  // not written when it was sent).
  const fromMessage: { id: number; m: CoveringMessage }[] = [];
  for (const id of ids) {
    const m = messageOf.get(id);
    if (m) fromMessage.push({ id: Number(id), m });
  }
  const sql: string[] = [];
  const params: unknown[] = [];
  // One branch per distinct value (a round's messages share their send time, first sends their
  // attempt); a single value for every item is a plain assignment. Ids are passed as numbers:
  // MariaDB then sorts each list once and searches it per row (strings are compared one by one).
  const adopt = (col: string, value: (m: CoveringMessage) => string | number | Date) => {
    const byValue = new Map<string | number, { v: unknown; ids: number[] }>();
    for (const { id, m } of fromMessage) {
      const v = value(m);
      const k = v instanceof Date ? v.getTime() : v;
      (byValue.get(k) ?? byValue.set(k, { v, ids: [] }).get(k)!).ids.push(id);
    }
    if (!byValue.size) return;
    const branches = [...byValue.values()];
    if (branches.length === 1 && fromMessage.length === ids.length) {
      sql.push(`i.${col} = ?,`);
      params.push(branches[0].v);
      return;
    }
    sql.push(`i.${col} = CASE ${branches.map(() => 'WHEN i.id IN (?) THEN ?').join(' ')} ELSE i.${col} END,`);
    for (const b of branches) params.push(b.ids, b.v);
  };
  adopt('attempts', (m) => m.attempts);
  adopt('last_sent_at', (m) => m.sentAt);
  adopt('last_msg_id', (m) => m.msgId);
  const images = ids.filter((id) => image.has(id));
  await execute(
    db,
    `UPDATE task_items i LEFT JOIN labels l ON l.label_id = i.label_id
       ${images.length ? 'LEFT JOIN task_item_images img ON img.item_id = i.id AND i.id IN (?)' : ''}
     SET ${sql.join(' ')} i.state = 'confirmed', i.confirmed_by = ?, i.confirmed_at = ?, i.next_retry_at = NULL,
       i.error = NULL,
       l.displayed_hash = ${images.length ? 'COALESCE(img.image_hash, i.content_hash)' : 'i.content_hash'},
       l.last_confirmed_at = ?, l.last_ap_client_id = ?
     WHERE i.id IN (?)`,
    [...(images.length ? [images.map(Number)] : []), ...params, ap, at, at, ap, ids.map(Number)],
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
    `UPDATE task_items SET ${ADOPT_MESSAGE_SQL}, state = 'failed',
       error = CASE ${errs.map(() => 'WHEN id IN (?) THEN ?').join(' ')} END,
       next_retry_at = NOW(3) + INTERVAL LEAST(? * POW(2, GREATEST(attempts, 1) - 1), ?) * 1000 MICROSECOND
     WHERE id IN (?)`,
    [
      ...errs.flatMap(([e, ids]) => [ids.map(Number), e.slice(0, 255)]),
      baseMs,
      capMs,
      errs.flatMap(([, ids]) => ids),
    ],
  );
}

/**
 * An item leaving its task message (failed, cancelled, superseded, timed out) takes the message's
 * attempts, send time and id into its row. For single-table UPDATEs of task_items, before `state`
 * is set (MySQL applies SET clauses left to right). Not for hot paths: one probe per row.
 */
const MESSAGE_OF = (t: string, col: string) =>
  `(SELECT m.${col} FROM task_messages m WHERE m.task_id = ${t}.task_id AND m.group_id = ${t}.group_id
     AND m.from_id <= ${t}.id AND m.to_id >= ${t}.id ORDER BY m.from_id DESC LIMIT 1)`;
export const adoptMessageSql = (t = 'task_items') =>
  `${t}.attempts = IF(${t}.state = 'pending' AND ${t}.attempts = 0, COALESCE(${MESSAGE_OF(t, 'attempts')}, 0), ${t}.attempts),
  ${t}.last_msg_id = IF(${t}.state = 'pending' AND ${t}.last_msg_id IS NULL, ${MESSAGE_OF(t, 'msg_id')}, ${t}.last_msg_id),
  ${t}.last_sent_at = IF(${t}.state = 'pending' AND ${t}.last_sent_at IS NULL, ${MESSAGE_OF(t, 'sent_at')}, ${t}.last_sent_at)`;
const ADOPT_MESSAGE_SQL = adoptMessageSql();

/**
 * One probe per open state, 'pending' first: while a task runs its items are mostly pending (sent
 * in task messages, their rows untouched until answered), so the first probe usually answers.
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
