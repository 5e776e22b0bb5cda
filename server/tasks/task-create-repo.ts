// SQL that writes a new task and its items. Runs inside the caller's transaction.
import type { Queryable } from '../db/pool.js';
import { CONTENT_HASH_SQL, EFFECTIVE_PROMO_SQL } from './content-hash-repo.js';
import { execute, queryRows } from '../db/query.js';
import { ACTIVE_TASK_STATES, OPEN_ITEM_STATES, type TaskSource } from './states.js';
import { adoptMessageSql } from './ack-repo.js';

export async function insertTask(
  db: Queryable,
  t: {
    source: TaskSource;
    createdBy: string;
    requestId: string | null;
    note: string;
    deadlineSeconds: number;
    parentTaskId?: string | null;
  },
): Promise<string> {
  const res = await execute(
    db,
    `INSERT INTO tasks (source, created_by, request_id, note, parent_task_id, deadline_at)
     VALUES (?, ?, ?, ?, ?, NOW(3) + INTERVAL ? SECOND)`,
    [
      t.source,
      t.createdBy.slice(0, 128),
      t.requestId,
      t.note.slice(0, 255),
      t.parentTaskId ?? null,
      t.deadlineSeconds,
    ],
  );
  return String(res.insertId);
}

const ITEM_SELECT = `
  SELECT ?, l.label_id, l.store_id, l.group_id, l.product_id, pr.sku, pr.name, p.price,
         ${EFFECTIVE_PROMO_SQL}, pr.currency, ${CONTENT_HASH_SQL}
  FROM labels l
  JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id
  JOIN products pr ON pr.id = l.product_id`;

// Item ids follow group, then the AP that last reported the label: the dispatcher sends items in
// id order, so a group message then mostly carries one AP's labels and draws one ack, not one per AP.
const ITEM_ORDER = 'ORDER BY l.group_id, l.last_ap_client_id, l.label_id';

const ITEM_COLUMNS =
  '(task_id, label_id, store_id, group_id, product_id, sku, name, price, promo_price, currency, content_hash)';

/**
 * One item per label of the store bound to one of the products, with the content it must show now.
 * (One store per statement: MariaDB plans `store_id = ? AND product_id IN (...)` as index ranges,
 * while a row-constructor IN over (store, product) pairs measured six times slower.)
 */
export async function insertItemsForStore(
  db: Queryable,
  taskId: string,
  storeId: number,
  productIds: number[],
): Promise<number> {
  const res = await execute(
    db,
    `INSERT INTO task_items ${ITEM_COLUMNS} ${ITEM_SELECT} WHERE l.store_id = ? AND l.product_id IN (?) ${ITEM_ORDER}`,
    [taskId, storeId, productIds],
  );
  return res.affectedRows;
}

/** One item per listed label that is still bound to a priced product (retries of failed items). */
export async function insertItemsForLabels(
  db: Queryable,
  taskId: string,
  labelIds: string[],
): Promise<number> {
  const res = await execute(
    db,
    `INSERT INTO task_items ${ITEM_COLUMNS} ${ITEM_SELECT} WHERE l.label_id IN (?) ${ITEM_ORDER}`,
    [taskId, labelIds],
  );
  return res.affectedRows;
}

/**
 * Older open items for the labels of this task would put a stale price back on the shelf if
 * they were retried later, so they end here as cancelled, naming the task that replaced them.
 */
export async function supersedeOpenItems(db: Queryable, taskId: string): Promise<number> {
  // Open items belong to active tasks only: from those tasks' open items (often none) to the new
  // task's item of the same label, rather than from each of the new items (one index dive per
  // label of the change). The active tasks are read first, without locking them.
  const others = (
    await queryRows<{ id: string }>(db, 'SELECT id FROM tasks WHERE state IN (?) AND id <> ?', [
      ACTIVE_TASK_STATES,
      taskId,
    ])
  ).map((r) => String(r.id));
  if (!others.length) return 0;
  const res = await execute(
    db,
    `UPDATE task_items o STRAIGHT_JOIN task_items n ON n.label_id = o.label_id AND n.task_id = ?
     SET ${adoptMessageSql('o')}, o.state = 'cancelled', o.next_retry_at = NULL, o.error = ?
     WHERE o.task_id IN (?) AND o.state IN (?)`,
    [taskId, `superseded by task ${taskId}`, others, OPEN_ITEM_STATES],
  );
  return res.affectedRows;
}

export async function deleteTask(db: Queryable, taskId: string): Promise<void> {
  await execute(db, 'DELETE FROM tasks WHERE id = ?', [taskId]);
}

/**
 * The task's (task, group) rows (migrations/024): its items' id range and count per Group ID, the
 * dispatcher's cursor before the first. One pass over the new items.
 */
export async function insertTaskGroups(db: Queryable, taskId: string): Promise<void> {
  await execute(
    db,
    // (a new task's items are all pending: the (task_id, state, group_id) index alone answers)
    `INSERT INTO task_groups (task_id, group_id, store_id, items, first_id, last_id, sent_to)
     SELECT i.task_id, i.group_id, sg.store_id, i.n, i.lo, i.hi, i.lo - 1 FROM (
       SELECT task_id, group_id, COUNT(*) AS n, MIN(id) AS lo, MAX(id) AS hi
       FROM task_items WHERE task_id = ? AND state = 'pending' GROUP BY group_id) i
     JOIN store_groups sg ON sg.group_id = i.group_id`,
    [taskId],
  );
}

/** Per-store item counts of a task (for the audit record), from its task_groups rows. */
export async function storeCounts(
  db: Queryable,
  taskId: string,
): Promise<{ storeId: number; groups: string; n: number }[]> {
  const rows = await queryRows<{ storeId: number; groups: string; n: string }>(
    db,
    `SELECT store_id AS storeId, GROUP_CONCAT(DISTINCT group_id ORDER BY group_id) AS \`groups\`, SUM(items) AS n
     FROM task_groups WHERE task_id = ? GROUP BY store_id ORDER BY store_id LIMIT 200`,
    [taskId],
  );
  return rows.map((r) => ({ storeId: r.storeId, groups: r.groups, n: Number(r.n) }));
}

/** Marks the task's items of these products in a store urgent (they go during quiet hours). */
export async function markUrgent(db: Queryable, taskId: string, storeId: number, productIds: number[]) {
  await execute(
    db,
    'UPDATE task_items SET urgent = 1 WHERE task_id = ? AND store_id = ? AND product_id IN (?)',
    [taskId, storeId, productIds],
  );
}

/** Moves a task's deadline later (never earlier). */
export async function extendDeadline(db: Queryable, taskId: string, deadlineAt: Date) {
  await execute(db, 'UPDATE tasks SET deadline_at = GREATEST(deadline_at, ?) WHERE id = ?', [
    deadlineAt,
    taskId,
  ]);
}
