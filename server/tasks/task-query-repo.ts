// Read side of tasks: lists, counts, per-AP breakdown, items. Used by the pages and the API.
import type { Queryable } from '../db/pool.js';
import { queryRows } from '../db/query.js';
import { UNCONFIRMED_ITEM_STATES, type ItemState, type TaskSource, type TaskState } from './states.js';

export interface TaskRow {
  id: string;
  kind: string;
  state: TaskState;
  source: TaskSource;
  createdBy: string;
  note: string;
  parentTaskId: string | null;
  createdAt: Date;
  deadlineAt: Date;
  dispatchedAt: Date | null;
  finishedAt: Date | null;
}

const TASK_COLS = `id, kind, state, source, created_by AS createdBy, note, parent_task_id AS parentTaskId,
  created_at AS createdAt, deadline_at AS deadlineAt, dispatched_at AS dispatchedAt, finished_at AS finishedAt`;

const fix = (r: TaskRow): TaskRow => ({
  ...r,
  id: String(r.id),
  parentTaskId: r.parentTaskId === null ? null : String(r.parentTaskId),
});

export async function findTask(db: Queryable, id: string): Promise<TaskRow | null> {
  const rows = await queryRows<TaskRow>(db, `SELECT ${TASK_COLS} FROM tasks WHERE id = ?`, [id]);
  return rows[0] ? fix(rows[0]) : null;
}

export async function listTasks(
  db: Queryable,
  f: { state?: string; limit: number; offset: number },
): Promise<TaskRow[]> {
  const rows = await queryRows<TaskRow>(
    db,
    `SELECT ${TASK_COLS} FROM tasks ${f.state ? 'WHERE state = ?' : ''} ORDER BY id DESC LIMIT ? OFFSET ?`,
    f.state ? [f.state, f.limit, f.offset] : [f.limit, f.offset],
  );
  return rows.map(fix);
}

/** item counts per state for each of the given tasks */
export async function countsFor(db: Queryable, ids: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (!ids.length) return out;
  const rows = await queryRows<{ t: string; state: string; n: string }>(
    db,
    'SELECT task_id AS t, state, COUNT(*) AS n FROM task_items WHERE task_id IN (?) GROUP BY task_id, state',
    [ids],
  );
  for (const r of rows) {
    const m = out.get(String(r.t)) ?? out.set(String(r.t), {}).get(String(r.t))!;
    m[r.state] = Number(r.n);
  }
  return out;
}

export interface ApBreakdownRow {
  groupId: string;
  /** the AP that confirmed, or null for items not confirmed */
  ap: string | null;
  state: ItemState;
  n: number;
}

export async function apBreakdown(db: Queryable, taskId: string): Promise<ApBreakdownRow[]> {
  const rows = await queryRows<Omit<ApBreakdownRow, 'n'> & { n: string }>(
    db,
    `SELECT group_id AS groupId, confirmed_by AS ap, state, COUNT(*) AS n FROM task_items WHERE task_id = ?
     GROUP BY group_id, confirmed_by, state ORDER BY group_id, confirmed_by LIMIT 2000`,
    [taskId],
  );
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

export interface ItemRow {
  id: string;
  labelId: string;
  storeId: number;
  groupId: string;
  sku: string;
  name: string;
  price: string;
  promoPrice: string | null;
  currency: string;
  contentHash: string;
  state: ItemState;
  attempts: number;
  lastSentAt: Date | null;
  confirmedBy: string | null;
  confirmedAt: Date | null;
  error: string | null;
}

export async function listItems(
  db: Queryable,
  taskId: string,
  f: { state?: string; limit: number; offset: number },
): Promise<ItemRow[]> {
  const rows = await queryRows<ItemRow>(
    db,
    `SELECT id, label_id AS labelId, store_id AS storeId, group_id AS groupId, sku, name, price, promo_price AS promoPrice, currency,
       content_hash AS contentHash, state, attempts, last_sent_at AS lastSentAt, confirmed_by AS confirmedBy,
       confirmed_at AS confirmedAt, error
     FROM task_items WHERE task_id = ? ${f.state ? 'AND state = ?' : ''} ORDER BY id LIMIT ? OFFSET ?`,
    f.state ? [taskId, f.state, f.limit, f.offset] : [taskId, f.limit, f.offset],
  );
  return rows.map((r) => ({ ...r, id: String(r.id) }));
}

/** Labels of a finished task that did not confirm. */
export async function unconfirmedLabels(db: Queryable, taskId: string): Promise<string[]> {
  const rows = await queryRows<{ l: string }>(
    db,
    'SELECT label_id AS l FROM task_items WHERE task_id = ? AND state IN (?)',
    [taskId, UNCONFIRMED_ITEM_STATES],
  );
  return rows.map((r) => r.l);
}
