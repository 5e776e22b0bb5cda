// SQL of the dispatcher: what a group may send now, and marking it sent.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows, querySingle } from '../db/query.js';
import { OPEN_ITEM_STATES, RETRY_ITEM_STATES } from './states.js';

export interface DispatchRow {
  id: string;
  taskId: string;
  labelId: string;
  sku: string;
  name: string;
  price: string;
  promoPrice: string | null;
  currency: string;
  contentHash: string;
  attempts: number;
  lastAp: string | null;
  deadlineAt: Date;
}

/**
 * Messages of the group published and not yet answered in full, whose ack time is still running:
 * task messages sent from the cursor (one row each) and items re-sent one by one (failed ones,
 * quiet hours' urgent ones), counted by the message that carried them.
 */
export async function countInflightMessages(db: Queryable, groupId: string): Promise<number> {
  const r = await querySingle<{ n: string }>(
    db,
    `SELECT (SELECT COUNT(*) FROM task_messages m STRAIGHT_JOIN tasks t ON t.id = m.task_id AND t.state = 'in_progress'
        WHERE m.group_id = ? AND m.answered_at IS NULL AND m.next_retry_at > NOW(3))
      + (SELECT COUNT(DISTINCT i.last_msg_id) FROM task_groups g
        STRAIGHT_JOIN task_items i ON i.task_id = g.task_id AND i.state = 'sent'
        WHERE g.group_id = ? AND i.group_id = g.group_id AND i.next_retry_at > NOW(3)) AS n`,
    [groupId, groupId],
  );
  return Number(r.n);
}

const ITEM_COLUMNS = `i.id, i.task_id AS taskId, i.label_id AS labelId, i.sku, i.name, i.price, i.promo_price AS promoPrice,
  i.currency, i.content_hash AS contentHash, i.attempts, t.deadline_at AS deadlineAt`;
const COLUMNS = `${ITEM_COLUMNS}, l.last_ap_client_id AS lastAp`;

/**
 * Items re-sent one by one whose retry is due (answered `failed`, or sent so and silent since),
 * oldest task first; `urgentOnly` during quiet hours. Reached through the group's running tasks.
 */
export async function pickDueRetries(
  db: Queryable,
  groupId: string,
  limit: number,
  urgentOnly = false,
): Promise<DispatchRow[]> {
  // One part per state: equalities on all three columns of (task_id, state, group_id) make each
  // a range of that index; with `state IN (...)` MariaDB only uses task_id and walks every item.
  const part = `(SELECT ${COLUMNS} FROM task_groups g
     STRAIGHT_JOIN tasks t ON t.id = g.task_id AND t.state = 'in_progress' AND t.deadline_at > NOW(3)
     STRAIGHT_JOIN task_items i ON i.task_id = g.task_id AND i.state = ? AND i.group_id = g.group_id
     LEFT JOIN labels l ON l.label_id = i.label_id
     WHERE g.group_id = ? AND i.next_retry_at <= NOW(3)${urgentOnly ? ' AND i.urgent = 1' : ''})`;
  return queryRows<DispatchRow>(
    db,
    `${RETRY_ITEM_STATES.map(() => part).join(' UNION ALL ')} ORDER BY taskId, id LIMIT ?`,
    [...RETRY_ITEM_STATES.flatMap((st) => [st, groupId]), limit],
  );
}

/** A task_messages row with its BIGINT ids as strings (mysql2 hands them back as numbers). */
export const messageIds = <T extends { id: unknown; taskId: unknown; fromId: unknown; toId: unknown }>(
  r: T,
) => ({
  ...r,
  id: String(r.id),
  taskId: String(r.taskId),
  fromId: String(r.fromId),
  toId: String(r.toId),
});

/** A task message sent from the cursor whose items are still pending (see migrations/024). */
export interface DueMessage {
  id: string;
  taskId: string;
  fromId: string;
  toId: string;
  attempts: number;
}

/**
 * Task messages whose silence timeout has passed with items still pending, oldest task first;
 * during quiet hours only those holding an urgent pending item.
 */
export async function pickDueMessages(
  db: Queryable,
  groupId: string,
  limit: number,
  urgentOnly = false,
): Promise<DueMessage[]> {
  const rows = await queryRows<DueMessage>(
    db,
    `SELECT m.id, m.task_id AS taskId, m.from_id AS fromId, m.to_id AS toId, m.attempts FROM task_messages m
     STRAIGHT_JOIN tasks t ON t.id = m.task_id AND t.state = 'in_progress' AND t.deadline_at > NOW(3)
     WHERE m.group_id = ? AND m.answered_at IS NULL AND m.next_retry_at <= NOW(3)${
       urgentOnly
         ? ` AND EXISTS (SELECT 1 FROM task_items i WHERE i.task_id = m.task_id AND i.state = 'pending'
               AND i.id BETWEEN m.from_id AND m.to_id AND i.group_id = m.group_id AND i.urgent = 1)`
         : ''
     }
     ORDER BY m.task_id, m.id LIMIT ?`,
    [groupId, limit],
  );
  return rows.map(messageIds);
}

/** The pending items of these messages (each row's `attempts` is its message's), in message order. */
export async function itemsOfMessages(
  db: Queryable,
  groupId: string,
  messages: DueMessage[],
  urgentOnly = false,
): Promise<(DispatchRow & { messageId: string })[]> {
  if (!messages.length) return [];
  const one = `(SELECT ${ITEM_COLUMNS.replace('i.attempts', '? AS attempts')}, l.last_ap_client_id AS lastAp, ? AS messageId
     FROM task_items i JOIN tasks t ON t.id = i.task_id LEFT JOIN labels l ON l.label_id = i.label_id
     WHERE i.task_id = ? AND i.state = 'pending' AND i.id BETWEEN ? AND ? AND i.group_id = ?${urgentOnly ? ' AND i.urgent = 1' : ''})`;
  const rows = await queryRows<DispatchRow & { messageId: string }>(
    db,
    messages.map(() => one).join(' UNION ALL ') + ' ORDER BY taskId, id',
    messages.flatMap((m) => [m.attempts, m.id, m.taskId, m.fromId, m.toId, groupId]),
  );
  return rows.map((r) => ({
    ...r,
    id: String(r.id),
    taskId: String(r.taskId),
    messageId: String(r.messageId),
    attempts: Number(r.attempts),
  }));
}

/** Where the first sends of a running task in this group stand. */
export interface GroupCursor {
  taskId: string;
  sentTo: string;
  lastId: string;
  deadlineAt: Date;
}

/**
 * Items never sent, in id order: the pending items after each running task's cursor, oldest task
 * first (the cursor's row bounds the range, so a round reads only its own group's items).
 */
export async function pickPending(
  db: Queryable,
  groupId: string,
  limit: number,
  urgentOnly = false,
): Promise<{ rows: DispatchRow[]; exhausted: string[] }> {
  const cursors = await queryRows<GroupCursor>(
    db,
    `SELECT g.task_id AS taskId, g.sent_to AS sentTo, g.last_id AS lastId, t.deadline_at AS deadlineAt
     FROM task_groups g
     STRAIGHT_JOIN tasks t ON t.id = g.task_id AND t.state = 'in_progress' AND t.deadline_at > NOW(3)
     WHERE g.group_id = ? AND g.sent_to < g.last_id ORDER BY g.task_id`,
    [groupId],
  );
  const rows: DispatchRow[] = [];
  const exhausted: string[] = [];
  for (const c of cursors) {
    if (rows.length >= limit) break;
    const want = limit - rows.length;
    const taskId = String(c.taskId);
    // Only the item's own columns: the task's id and deadline are the cursor's (one Date per task,
    // not one per row), and no join to labels: the last AP only matters for a P2P retry, and a
    // first send goes to the group topic. Never sent, so no attempt yet.
    const got = await queryRows<DispatchRow>(
      db,
      `SELECT i.id, i.label_id AS labelId, i.sku, i.name, i.price, i.promo_price AS promoPrice, i.currency,
         i.content_hash AS contentHash, i.attempts FROM task_items i
       WHERE i.task_id = ? AND i.state = 'pending' AND i.id > ? AND i.id <= ? AND i.group_id = ?${urgentOnly ? ' AND i.urgent = 1' : ''}
       ORDER BY i.id LIMIT ?`,
      [taskId, String(c.sentTo), String(c.lastId), groupId, want],
    );
    for (const r of got) {
      r.id = String(r.id);
      r.taskId = taskId;
      r.lastAp = null;
      r.deadlineAt = c.deadlineAt;
      rows.push(r);
    }
    // every pending item after this cursor is in hand (not during quiet hours: only urgent ones were asked)
    if (got.length < want && !urgentOnly) exhausted.push(taskId);
  }
  return { rows, exhausted };
}

/**
 * First sends from the cursor: one task_messages row per message (its items' id range), and the
 * cursor moved past them, in one transaction; no item row is written. Until the silence timeout
 * (TASK_RETRY_BASE_MS) the message counts against the group's window.
 */
export async function recordMessagesSent(
  db: Queryable,
  groupId: string,
  messages: { taskId: string; msgId: string; fromId: string; toId: string }[],
  baseMs: number,
): Promise<void> {
  if (!messages.length) return;
  await execute(
    db,
    `INSERT INTO task_messages (task_id, group_id, from_id, to_id, msg_id, attempts, sent_at, next_retry_at) VALUES ${messages
      .map(() => '(?, ?, ?, ?, ?, 1, NOW(3), NOW(3) + INTERVAL ? MICROSECOND)')
      .join(', ')}`,
    messages.flatMap((m) => [m.taskId, groupId, m.fromId, m.toId, m.msgId, baseMs * 1000]),
  );
  const to = new Map<string, bigint>();
  for (const m of messages)
    if (!to.has(m.taskId) || BigInt(m.toId) > to.get(m.taskId)!) to.set(m.taskId, BigInt(m.toId));
  for (const [taskId, sentTo] of to)
    await execute(
      db,
      'UPDATE task_groups SET sent_to = GREATEST(sent_to, ?) WHERE task_id = ? AND group_id = ?',
      [String(sentTo), taskId, groupId],
    );
}

/** Task messages re-sent whole (their pending items): one more attempt, the next timeout doubled (capped). */
export async function recordMessagesRetried(
  db: Queryable,
  messages: { id: string; msgId: string }[],
  baseMs: number,
  capMs: number,
): Promise<void> {
  if (!messages.length) return;
  await execute(
    db,
    `UPDATE task_messages
     SET next_retry_at = NOW(3) + INTERVAL LEAST(? * POW(2, attempts), ?) * 1000 MICROSECOND,
         attempts = attempts + 1, sent_at = NOW(3), msg_id = CASE ${messages.map(() => 'WHEN id = ? THEN ?').join(' ')} END
     WHERE id IN (?)`,
    [baseMs, capMs, ...messages.flatMap((m) => [m.id, m.msgId]), messages.map((m) => m.id)],
  );
}

/**
 * Items leaving their task message to be sent one by one (quiet hours' urgent retries): they
 * take the message's attempts and send time, then markSent counts the new attempt.
 */
export async function adoptMessageAttempts(
  db: Queryable,
  rows: { id: string; messageId: string }[],
): Promise<void> {
  if (!rows.length) return;
  await execute(
    db,
    `UPDATE task_items i JOIN task_messages m ON m.id = CASE ${rows.map(() => 'WHEN i.id = ? THEN ?').join(' ')} END
     SET i.attempts = m.attempts, i.last_sent_at = m.sent_at, i.last_msg_id = m.msg_id
     WHERE i.id IN (?) AND i.state = 'pending'`,
    [...rows.flatMap((r) => [r.id, r.messageId]), rows.map((r) => r.id)],
  );
}

/** Where a task message's items are: the pending items of its (task, group) in its id range. */
export interface MessageRange {
  id: string;
  taskId: string;
  groupId: string;
  fromId: string;
  toId: string;
}

/**
 * Of these task messages, those with no pending item left (a plain read: see markAnswered). One
 * range probe of (task_id, state, group_id) each, with its bounds as constants.
 */
export async function messagesWithoutPending(db: Queryable, messages: MessageRange[]): Promise<string[]> {
  if (!messages.length) return [];
  const still = new Set<string>();
  for (let k = 0; k < messages.length; k += 200) {
    const chunk = messages.slice(k, k + 200);
    const rows = await queryRows<{ m: string }>(
      db,
      chunk
        .map(
          () =>
            `(SELECT ? AS m FROM task_items WHERE task_id = ? AND state = 'pending' AND group_id = ? AND id BETWEEN ? AND ? LIMIT 1)`,
        )
        .join(' UNION ALL '),
      chunk.flatMap((m) => [m.id, m.taskId, m.groupId, Number(m.fromId), Number(m.toId)]),
    );
    for (const r of rows) still.add(String(r.m));
  }
  return messages.map((m) => m.id).filter((id) => !still.has(id));
}

/**
 * Task messages with nothing pending are answered: they leave the group's window. Called after
 * the answers committed, with ids from messagesWithoutPending (a plain read, so concurrent ack
 * batches never lock each other's items through it; the last batch to commit sees them all).
 */
export async function markAnswered(db: Queryable, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await execute(db, 'UPDATE task_messages SET answered_at = NOW(3) WHERE id IN (?) AND answered_at IS NULL', [
    ids,
  ]);
}

/**
 * Marks items re-sent one by one (retries of failed items, quiet hours' urgent items) sent, in
 * one statement (last_msg_id chosen per message by a CASE over id lists; one round trip and one
 * pass over the rows instead of one per message).
 * The retry time doubles with every attempt (capped), so an AP that is away is not flooded;
 * until then the message counts against the group's bound.
 * (MySQL evaluates single-table SET clauses left to right: next_retry_at sees the old attempts.)
 */
export async function markSent(
  db: Queryable,
  messages: { msgId: string; itemIds: string[] }[],
  baseMs: number,
  capMs: number,
): Promise<number> {
  const ms = messages.filter((m) => m.itemIds.length);
  if (!ms.length) return 0;
  const [msg, msgParams] =
    ms.length === 1
      ? ['?', [ms[0].msgId]]
      : [
          `CASE ${ms.map(() => 'WHEN id IN (?) THEN ?').join(' ')} END`,
          ms.flatMap((m) => [m.itemIds.map(Number), m.msgId]),
        ];
  const res = await execute(
    db,
    `UPDATE task_items
     SET next_retry_at = NOW(3) + INTERVAL LEAST(? * POW(2, attempts), ?) * 1000 MICROSECOND,
         attempts = attempts + 1, state = 'sent', last_msg_id = ${msg}, last_sent_at = NOW(3)
     WHERE id IN (?) AND state IN (?)`,
    [baseMs, capMs, ...msgParams, ms.flatMap((m) => m.itemIds), OPEN_ITEM_STATES],
  );
  return res.affectedRows;
}

/** A publish that failed: its items are due again at once (their attempt still counts). */
export async function rearmMessage(db: Queryable, msgId: string): Promise<void> {
  await execute(db, "UPDATE task_items SET next_retry_at = NOW(3) WHERE last_msg_id = ? AND state = 'sent'", [
    msgId,
  ]);
}

/** The same for a task message: by its row, or by where its items start. */
export async function rearmTaskMessage(
  db: Queryable,
  m: { id: string } | { taskId: string; groupId: string; fromId: string },
): Promise<void> {
  if ('id' in m) await execute(db, 'UPDATE task_messages SET next_retry_at = NOW(3) WHERE id = ?', [m.id]);
  else
    await execute(
      db,
      'UPDATE task_messages SET next_retry_at = NOW(3) WHERE task_id = ? AND group_id = ? AND from_id = ? AND answered_at IS NULL',
      [m.taskId, m.groupId, m.fromId],
    );
}

/**
 * Groups with work to send now, among their running tasks: never-sent items after the cursor,
 * task messages or items whose retry is due. Without `among`, every group (the sweeper); with
 * it, only those groups (after an ack batch: a group whose window an ack freed but which has
 * nothing to send needs no dispatch round).
 */
export async function groupsWithWork(db: Queryable, among?: string[]): Promise<string[]> {
  if (among && !among.length) return [];
  const groups = among ? 'g.group_id IN (?) AND' : '';
  // sent_to < last_id: items after the cursor (a round that finds none there moves the cursor to
  // the end). A due retry: one probe per state, each a range of (task_id, state, group_id) per
  // group of a running task, in that join order (STRAIGHT_JOIN): as an EXISTS, MariaDB may turn
  // the probe into a materialized scan of every item of every task when its statistics are stale
  // (right after a large task was created), which the sweeper then ran on each tick. DISTINCT
  // with columns of the first table only stops at a group's first due item.
  const running =
    "STRAIGHT_JOIN tasks t ON t.id = g.task_id AND t.state = 'in_progress' AND t.deadline_at > NOW(3)";
  const rows = await queryRows<{ g: string }>(
    db,
    `(SELECT g.group_id AS g FROM task_groups g ${running} WHERE ${groups} g.sent_to < g.last_id)
     ${RETRY_ITEM_STATES.map(
       () => `UNION
     (SELECT DISTINCT g.group_id AS g FROM task_groups g ${running}
       STRAIGHT_JOIN task_items i FORCE INDEX (ix_items_task_state_group)
         ON i.task_id = g.task_id AND i.state = ? AND i.group_id = g.group_id
       WHERE ${groups} i.next_retry_at <= NOW(3))`,
     ).join('\n     ')}
     UNION
     (SELECT DISTINCT m.group_id AS g FROM task_messages m FORCE INDEX (ix_task_messages_open)
       STRAIGHT_JOIN tasks t ON t.id = m.task_id AND t.state = 'in_progress' AND t.deadline_at > NOW(3)
       WHERE m.answered_at IS NULL ${among ? 'AND m.group_id IN (?)' : ''} AND m.next_retry_at <= NOW(3))
     LIMIT 1000`,
    among ? [among, ...RETRY_ITEM_STATES.flatMap((s) => [s, among]), among] : [...RETRY_ITEM_STATES],
  );
  return rows.map((r) => r.g);
}

/** No pending item is left after the cursor of these tasks in the group: it moves to the end. */
export async function cursorsToEnd(db: Queryable, groupId: string, taskIds: string[]): Promise<void> {
  if (!taskIds.length) return;
  await execute(db, 'UPDATE task_groups SET sent_to = last_id WHERE group_id = ? AND task_id IN (?)', [
    groupId,
    taskIds,
  ]);
}
