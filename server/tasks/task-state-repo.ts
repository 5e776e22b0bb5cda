// SQL that moves whole tasks to their final states.
import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows } from '../db/query.js';
import { ACTIVE_TASK_STATES, OPEN_ITEM_STATES, type FinalTaskState } from './states.js';
import { adoptMessageSql } from './ack-repo.js';

export async function itemCounts(db: Queryable, taskId: string): Promise<Record<string, number>> {
  const rows = await queryRows<{ state: string; n: string }>(
    db,
    'SELECT state, COUNT(*) AS n FROM task_items WHERE task_id = ? GROUP BY state',
    [taskId],
  );
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Sets a final state if the task is still active; false when someone else finished it first. */
export async function finishTask(db: Queryable, taskId: string, state: FinalTaskState): Promise<boolean> {
  const res = await execute(
    db,
    'UPDATE tasks SET state = ?, finished_at = NOW(3) WHERE id = ? AND state IN (?)',
    [state, taskId, ACTIVE_TASK_STATES],
  );
  if (res.affectedRows !== 1) return false;
  await recordOutcome(db, taskId);
  // Nothing is pending any more: the dispatcher's cursors go (the task messages stay).
  await execute(db, 'DELETE FROM task_groups WHERE task_id = ?', [taskId]);
  await execute(
    db,
    'UPDATE task_messages SET answered_at = NOW(3) WHERE task_id = ? AND answered_at IS NULL',
    [taskId],
  );
  return true;
}

/**
 * The final task's outcome (dashboard charts read these, not the items): item counts and the
 * average and longest time from the task's creation to a label's confirmation, per store
 * (`task_store_outcomes`, what a store-scoped reader's charts count) and for the whole task on
 * its row, summed from the stores' rows. One pass over the task's items, through the
 * (task_id, state) index, once per task, in the transaction that ends it.
 */
async function recordOutcome(db: Queryable, taskId: string): Promise<void> {
  await execute(
    db,
    `INSERT INTO task_store_outcomes (task_id, store_id, finished_at, items_total, items_confirmed, items_timed_out,
       items_cancelled, confirm_sum_ms, confirm_max_ms)
     SELECT i.task_id, i.store_id, t.finished_at, COUNT(*), SUM(i.state = 'confirmed'), SUM(i.state = 'timed_out'),
       SUM(i.state = 'cancelled'),
       ROUND(SUM(IF(i.state = 'confirmed', GREATEST(0, TIMESTAMPDIFF(MICROSECOND, t.created_at, i.confirmed_at)), NULL)) / 1000),
       ROUND(MAX(IF(i.state = 'confirmed', GREATEST(0, TIMESTAMPDIFF(MICROSECOND, t.created_at, i.confirmed_at)), NULL)) / 1000)
     FROM task_items i JOIN tasks t ON t.id = i.task_id WHERE i.task_id = ?
     GROUP BY i.task_id, i.store_id, t.finished_at`,
    [taskId],
  );
  await execute(
    db,
    `UPDATE tasks t JOIN (
       SELECT COALESCE(SUM(items_total), 0) AS total, COALESCE(SUM(items_confirmed), 0) AS confirmed,
         COALESCE(SUM(items_timed_out), 0) AS timedOut, COALESCE(SUM(items_cancelled), 0) AS cancelled,
         SUM(confirm_sum_ms) / NULLIF(SUM(IF(confirm_sum_ms IS NULL, 0, items_confirmed)), 0) AS avgMs,
         MAX(confirm_max_ms) AS maxMs
       FROM task_store_outcomes WHERE task_id = ?
     ) o
     SET t.items_total = o.total, t.items_confirmed = o.confirmed, t.items_timed_out = o.timedOut,
       t.items_cancelled = o.cancelled, t.confirm_avg_ms = ROUND(o.avgMs), t.confirm_max_ms = o.maxMs
     WHERE t.id = ?`,
    [taskId, taskId],
  );
}

/** Locks an active task's row (the sweeper, cancel and ack completion serialise on it). */
export async function lockActiveTask(
  db: Queryable,
  taskId: string,
): Promise<{ id: string; state: string } | null> {
  return queryOne<{ id: string; state: string }>(
    db,
    'SELECT id, state FROM tasks WHERE id = ? AND state IN (?) FOR UPDATE',
    [taskId, ACTIVE_TASK_STATES],
  );
}

/** Every open item of a task ends timed out, with why. */
export async function timeOutItems(db: Queryable, taskId: string): Promise<number> {
  const res = await execute(
    db,
    `UPDATE task_items SET ${adoptMessageSql()}, state = 'timed_out', next_retry_at = NULL,
       error = LEFT(CONCAT('deadline passed: ', CASE
         WHEN attempts = 0 THEN 'never sent (group busy or no downlink)'
         WHEN error IS NOT NULL THEN CONCAT('no confirmation after ', attempts, ' attempt(s); last AP error: ', error)
         ELSE CONCAT('no ack from any AP after ', attempts, ' attempt(s)') END), 255)
     WHERE task_id = ? AND state IN (?)`,
    [taskId, OPEN_ITEM_STATES],
  );
  return res.affectedRows;
}

export async function cancelItems(db: Queryable, taskId: string, reason: string): Promise<number> {
  const res = await execute(
    db,
    `UPDATE task_items SET ${adoptMessageSql()}, state = 'cancelled', next_retry_at = NULL, error = ? WHERE task_id = ? AND state IN (?)`,
    [reason.slice(0, 255), taskId, OPEN_ITEM_STATES],
  );
  return res.affectedRows;
}

/** Active tasks whose deadline has passed. */
export async function overdueTasks(db: Queryable): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    'SELECT id FROM tasks WHERE state IN (?) AND deadline_at <= NOW(3) ORDER BY id LIMIT 100',
    [ACTIVE_TASK_STATES],
  );
  return rows.map((r) => String(r.id));
}

/** Running tasks with nothing left open (finished by acks in another process, or superseded). One probe per state, 'pending' first (see hasOpenItems). */
export async function drainedTasks(db: Queryable): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    `SELECT t.id FROM tasks t WHERE t.state = 'in_progress'
     AND NOT EXISTS (SELECT 1 FROM task_items i WHERE i.task_id = t.id AND i.state = 'pending')
     AND NOT EXISTS (SELECT 1 FROM task_items i WHERE i.task_id = t.id AND i.state = 'sent')
     AND NOT EXISTS (SELECT 1 FROM task_items i WHERE i.task_id = t.id AND i.state = 'failed')
     LIMIT 100`,
  );
  return rows.map((r) => String(r.id));
}
