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

/** Messages of the group published and not yet answered in full, whose ack time is still running. */
export async function countInflightMessages(db: Queryable, groupId: string): Promise<number> {
  const r = await querySingle<{ n: string }>(
    db,
    `SELECT COUNT(DISTINCT last_msg_id) AS n FROM task_items
     WHERE group_id = ? AND state = 'sent' AND next_retry_at > NOW(3)`,
    [groupId],
  );
  return Number(r.n);
}

const ITEM_COLUMNS = `i.id, i.task_id AS taskId, i.label_id AS labelId, i.sku, i.name, i.price, i.promo_price AS promoPrice,
  i.currency, i.content_hash AS contentHash, i.attempts, t.deadline_at AS deadlineAt`;
const COLUMNS = `${ITEM_COLUMNS}, l.last_ap_client_id AS lastAp`;

/** Items whose retry is due (sent without an answer, or failed), oldest task first; `urgentOnly` during quiet hours. */
export async function pickDueRetries(
  db: Queryable,
  groupId: string,
  limit: number,
  urgentOnly = false,
): Promise<DispatchRow[]> {
  return queryRows<DispatchRow>(
    db,
    `SELECT ${COLUMNS} FROM task_items i
     STRAIGHT_JOIN tasks t ON t.id = i.task_id AND t.state = 'in_progress' AND t.deadline_at > NOW(3)
     LEFT JOIN labels l ON l.label_id = i.label_id
     WHERE i.group_id = ? AND i.state IN (?) AND i.next_retry_at <= NOW(3)${urgentOnly ? ' AND i.urgent = 1' : ''}
     ORDER BY i.task_id, i.id LIMIT ?`,
    [groupId, RETRY_ITEM_STATES, limit],
  );
}

/**
 * Items never sent, in id order. STRAIGHT_JOIN keeps the plan on the (group_id, state) index,
 * which hands rows out in id order: left to itself the optimiser starts from the few running
 * tasks and then filters and sorts every pending item of theirs, for every round of every group.
 */
export async function pickPending(
  db: Queryable,
  groupId: string,
  limit: number,
  urgentOnly = false,
): Promise<DispatchRow[]> {
  // No join to labels: the last AP only matters for a P2P retry; a first send goes to the group topic.
  return queryRows<DispatchRow>(
    db,
    `SELECT ${ITEM_COLUMNS}, NULL AS lastAp FROM task_items i
     STRAIGHT_JOIN tasks t ON t.id = i.task_id AND t.state = 'in_progress' AND t.deadline_at > NOW(3)
     WHERE i.group_id = ? AND i.state = 'pending'${urgentOnly ? ' AND i.urgent = 1' : ''}
     ORDER BY i.id LIMIT ?`,
    [groupId, limit],
  );
}

/**
 * Marks a round's messages' items sent, in one statement (last_msg_id chosen per message by a
 * CASE over id lists; one round trip and one pass over the rows instead of one per message).
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
          ms.flatMap((m) => [m.itemIds, m.msgId]),
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

/**
 * Groups with work to send now: due retries, or pending items of running tasks. Without `among`,
 * every group (the sweeper); with it, only those groups (after an ack batch: a group whose
 * window an ack freed but which has nothing to send needs no dispatch round, and each round
 * costs a count over the group's in-flight items).
 */
export async function groupsWithWork(db: Queryable, among?: string[]): Promise<string[]> {
  if (among && !among.length) return [];
  const only = among ? 'AND group_id IN (?)' : '';
  const due = await queryRows<{ g: string }>(
    db,
    `SELECT DISTINCT group_id AS g FROM task_items WHERE state IN (?) AND next_retry_at <= NOW(3) ${only} LIMIT 1000`,
    among ? [RETRY_ITEM_STATES, among] : [RETRY_ITEM_STATES],
  );
  // GROUP BY on the (group_id, state) index is a loose index scan: one probe per group, not per item.
  const pending = await queryRows<{ g: string }>(
    db,
    `SELECT group_id AS g FROM task_items WHERE state = 'pending' ${only} GROUP BY group_id LIMIT 1000`,
    among ? [among] : [],
  );
  return [...new Set([...due, ...pending].map((r) => r.g))];
}
