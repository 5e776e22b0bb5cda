// Read side of tasks: lists, counts, per-AP breakdown, items. Used by the pages and the API.
import type { Queryable } from '../db/pool.js';
import { queryRows } from '../db/query.js';
import {
  ACTIVE_TASK_STATES,
  UNCONFIRMED_ITEM_STATES,
  type ItemState,
  type TaskSource,
  type TaskState,
} from './states.js';

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
  f: {
    state?: string;
    finishedSince?: Date;
    limit: number;
    offset: number;
    beforeId?: string;
    source?: string;
  },
): Promise<TaskRow[]> {
  const conds: string[] = [];
  const args: unknown[] = [];
  if (f.beforeId) {
    conds.push('id < ?');
    args.push(f.beforeId);
  }
  if (f.source) {
    conds.push('source = ?');
    args.push(f.source);
  }
  if (f.state) {
    conds.push('state = ?');
    args.push(f.state);
  }
  if (f.finishedSince) {
    conds.push('finished_at >= ?'); // through ix_tasks_finished
    args.push(f.finishedSince);
  }
  const rows = await queryRows<TaskRow>(
    db,
    `SELECT ${TASK_COLS} FROM tasks ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ? OFFSET ?`,
    [...args, f.limit, f.offset],
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
  nextRetryAt: Date | null;
  confirmedBy: string | null;
  confirmedAt: Date | null;
  error: string | null;
  /** the AP that last reported or confirmed the label, its group and connection (for the diagnosis) */
  ap: string | null;
  apGroupId: string | null;
  apOnline: boolean | null;
  apDisconnectedAt: Date | null;
  /** the store's IANA time zone (the task page shows the label's times in it) */
  storeTimezone: string;
}

export async function listItems(
  db: Queryable,
  taskId: string,
  f: { state?: string; limit: number; offset: number; afterId?: string },
): Promise<ItemRow[]> {
  const rows = await queryRows<Omit<ItemRow, 'apOnline'> & { apOnline: number | null }>(
    db,
    `SELECT i.id, i.label_id AS labelId, i.store_id AS storeId, i.group_id AS groupId, i.sku, i.name, i.price,
       i.promo_price AS promoPrice, i.currency, i.content_hash AS contentHash, i.state, i.attempts,
       i.last_sent_at AS lastSentAt, i.next_retry_at AS nextRetryAt, i.confirmed_by AS confirmedBy,
       i.confirmed_at AS confirmedAt, i.error, l.last_ap_client_id AS ap, a.group_id AS apGroupId,
       a.online AS apOnline, a.disconnected_at AS apDisconnectedAt, s.timezone AS storeTimezone
     FROM task_items i
     JOIN stores s ON s.id = i.store_id
     LEFT JOIN labels l ON l.label_id = i.label_id
     LEFT JOIN aps a ON a.client_id = l.last_ap_client_id
     WHERE i.task_id = ? ${f.state ? 'AND i.state = ?' : ''} ${f.afterId ? 'AND i.id > ?' : ''} ORDER BY i.id LIMIT ? OFFSET ?`,
    [taskId, ...(f.state ? [f.state] : []), ...(f.afterId ? [f.afterId] : []), f.limit, f.offset],
  );
  return rows.map((r) => ({
    ...r,
    id: String(r.id),
    apOnline: r.apOnline === null ? null : Number(r.apOnline) === 1,
  }));
}

/** Active tasks (for the diagnosis of the task list and the dashboard), newest first. */
export async function activeTasks(db: Queryable, limit: number): Promise<TaskRow[]> {
  const rows = await queryRows<TaskRow>(
    db,
    `SELECT ${TASK_COLS} FROM tasks WHERE state IN (?) ORDER BY id DESC LIMIT ?`,
    [ACTIVE_TASK_STATES, limit],
  );
  return rows.map(fix);
}

/**
 * Labels of a finished task that did not confirm: failed, timed out or cancelled, except those
 * superseded by a newer task (re-sending them would undo that task's work), optionally only some.
 */
export async function unconfirmedLabels(db: Queryable, taskId: string, only?: string[]): Promise<string[]> {
  if (only && !only.length) return [];
  const rows = await queryRows<{ l: string }>(
    db,
    `SELECT label_id AS l FROM task_items WHERE task_id = ? AND state IN (?)
       AND (error IS NULL OR error NOT LIKE 'superseded%') ${only ? 'AND label_id IN (?)' : ''}`,
    only ? [taskId, UNCONFIRMED_ITEM_STATES, only] : [taskId, UNCONFIRMED_ITEM_STATES],
  );
  return rows.map((r) => r.l);
}
