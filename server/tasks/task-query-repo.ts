// Read side of tasks: lists, counts, per-AP breakdown, items. Used by the pages and the API.
import type { Queryable } from '../db/pool.js';
import { queryOne, queryRows } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';
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

/** `scope`: store ids (tasks with an item in one of them); `storeId`: tasks with an item in that store. */
export async function listTasks(
  db: Queryable,
  f: {
    state?: string;
    finishedSince?: Date;
    scope?: readonly number[] | null;
    storeId?: number | null;
    limit: number;
    offset: number;
    beforeId?: string;
    source?: string;
  },
): Promise<TaskRow[]> {
  const conds: string[] = [];
  const args: unknown[] = [];
  const st = taskStoreConds(f);
  conds.push(...st.conds);
  args.push(...st.args);
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

/** The conditions on `tasks` for a store scope and a store filter (an item of the task in those stores). */
function taskStoreConds(f: { scope?: readonly number[] | null; storeId?: number | null }) {
  const conds: string[] = [];
  const args: unknown[] = [];
  if (f.scope) {
    const s = storeScopeSql('x.store_id', f.scope);
    conds.push(`EXISTS (SELECT 1 FROM task_items x WHERE x.task_id = tasks.id${s.sql})`);
    args.push(...s.params);
  }
  if (f.storeId) {
    conds.push('EXISTS (SELECT 1 FROM task_items y WHERE y.task_id = tasks.id AND y.store_id = ?)');
    args.push(f.storeId);
  }
  return { conds, args };
}

/** item counts per state for each of the given tasks (only items of the scope's stores, when given) */
export async function countsFor(
  db: Queryable,
  ids: string[],
  scope: readonly number[] | null = null,
): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (!ids.length) return out;
  const sc = storeScopeSql('store_id', scope);
  const rows = await queryRows<{ t: string; state: string; n: string }>(
    db,
    `SELECT task_id AS t, state, COUNT(*) AS n FROM task_items WHERE task_id IN (?)${sc.sql} GROUP BY task_id, state`,
    [ids, ...sc.params],
  );
  for (const r of rows) {
    const m = out.get(String(r.t)) ?? out.set(String(r.t), {}).get(String(r.t))!;
    m[r.state] = Number(r.n);
  }
  for (const r of await sentPending(db, ids, scope, false)) {
    const m = out.get(String(r.t));
    if (!m || !r.n) continue;
    const n = Number(r.n);
    m.pending = (m.pending ?? 0) - n;
    if (!m.pending) delete m.pending;
    m.sent = (m.sent ?? 0) + n;
  }
  return out;
}

/**
 * Pending items that are in a sent task message (at or below their group's cursor): these read
 * as `sent` (migrations/024). Per task, or per task and group. One index range per group.
 */
async function sentPending(
  db: Queryable,
  ids: string[],
  scope: readonly number[] | null,
  byGroup: boolean,
): Promise<{ t: string; g: string; n: string }[]> {
  const sc = storeScopeSql('g.store_id', scope);
  return queryRows<{ t: string; g: string; n: string }>(
    db,
    `SELECT g.task_id AS t, ${byGroup ? 'g.group_id' : "''"} AS g, COUNT(*) AS n FROM task_groups g
     STRAIGHT_JOIN task_items i ON i.task_id = g.task_id AND i.state = 'pending' AND i.group_id = g.group_id
       AND i.id BETWEEN g.first_id AND g.sent_to
     WHERE g.task_id IN (?)${sc.sql} GROUP BY g.task_id${byGroup ? ', g.group_id' : ''}`,
    [ids, ...sc.params],
  );
}

/** The state an item reads as (`i` items, `g` its task_groups row): pending in a sent task message is sent. */
const ITEM_STATE_SQL = "IF(i.state = 'pending' AND i.id <= g.sent_to, 'sent', i.state)";

export interface ApBreakdownRow {
  groupId: string;
  /** the AP that confirmed, or null for items not confirmed */
  ap: string | null;
  state: ItemState;
  n: number;
}

export async function apBreakdown(
  db: Queryable,
  taskId: string,
  scope: readonly number[] | null = null,
): Promise<ApBreakdownRow[]> {
  const sc = storeScopeSql('store_id', scope);
  const rows = await queryRows<Omit<ApBreakdownRow, 'n'> & { n: string }>(
    db,
    `SELECT group_id AS groupId, confirmed_by AS ap, state, COUNT(*) AS n FROM task_items WHERE task_id = ?${sc.sql}
     GROUP BY group_id, confirmed_by, state ORDER BY group_id, confirmed_by LIMIT 2000`,
    [taskId, ...sc.params],
  );
  const out = rows.map((r) => ({ ...r, n: Number(r.n) }));
  for (const r of await sentPending(db, [taskId], scope, true)) {
    const n = Number(r.n);
    const p = out.find((x) => x.groupId === r.g && x.ap === null && x.state === 'pending');
    if (!p || !n) continue;
    p.n -= n;
    const at = out.indexOf(p);
    out.splice(at + 1, 0, { groupId: r.g, ap: null, state: 'sent', n });
    if (!p.n) out.splice(at, 1);
  }
  return out;
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
  /** goes during its store's quiet hours */
  urgent: boolean;
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
  f: { state?: string; scope?: readonly number[] | null; limit: number; offset: number; afterId?: string },
): Promise<ItemRow[]> {
  const sc = storeScopeSql('i.store_id', f.scope);
  const rows = await queryRows<
    Omit<ItemRow, 'apOnline' | 'urgent'> & { apOnline: number | null; urgent: number }
  >(
    db,
    `SELECT i.id, i.label_id AS labelId, i.store_id AS storeId, i.group_id AS groupId, i.sku, i.name, i.price,
       i.promo_price AS promoPrice, i.currency, i.content_hash AS contentHash, ${ITEM_STATE_SQL} AS state,
       IF(m.id IS NULL, i.attempts, m.attempts) AS attempts, IF(m.id IS NULL, i.last_sent_at, m.sent_at) AS lastSentAt,
       IF(m.id IS NULL, i.next_retry_at, m.next_retry_at) AS nextRetryAt, i.confirmed_by AS confirmedBy,
       i.confirmed_at AS confirmedAt, i.error, l.last_ap_client_id AS ap, a.group_id AS apGroupId,
       a.online AS apOnline, a.disconnected_at AS apDisconnectedAt, s.timezone AS storeTimezone, i.urgent
     FROM task_items i
     JOIN stores s ON s.id = i.store_id
     LEFT JOIN task_groups g ON g.task_id = i.task_id AND g.group_id = i.group_id
     LEFT JOIN task_messages m ON i.state = 'pending' AND i.id <= g.sent_to AND m.id = (
       SELECT m2.id FROM task_messages m2 WHERE m2.task_id = i.task_id AND m2.group_id = i.group_id AND m2.from_id <= i.id
       ORDER BY m2.from_id DESC LIMIT 1)
     LEFT JOIN labels l ON l.label_id = i.label_id
     LEFT JOIN aps a ON a.client_id = l.last_ap_client_id
     WHERE i.task_id = ? ${stateFilter(f.state)}${sc.sql} ${f.afterId ? 'AND i.id > ?' : ''} ORDER BY i.id LIMIT ? OFFSET ?`,
    [
      taskId,
      ...(f.state && f.state !== 'sent' && f.state !== 'pending' ? [f.state] : []),
      ...sc.params,
      ...(f.afterId ? [f.afterId] : []),
      f.limit,
      f.offset,
    ],
  );
  return rows.map((r) => ({
    ...r,
    id: String(r.id),
    apOnline: r.apOnline === null ? null : Number(r.apOnline) === 1,
    urgent: Number(r.urgent) === 1,
  }));
}

/** The condition for items reading as `state` (see ITEM_STATE_SQL); '' for none. */
function stateFilter(state: string | undefined): string {
  if (!state) return '';
  if (state === 'sent') return "AND (i.state = 'sent' OR (i.state = 'pending' AND i.id <= g.sent_to))";
  if (state === 'pending') return "AND i.state = 'pending' AND (g.sent_to IS NULL OR i.id > g.sent_to)";
  return 'AND i.state = ?';
}

/** Active tasks (for the diagnosis of the task list and the dashboard), newest first. */
export async function activeTasks(
  db: Queryable,
  limit: number,
  scope: readonly number[] | null = null,
): Promise<TaskRow[]> {
  const st = taskStoreConds({ scope });
  const rows = await queryRows<TaskRow>(
    db,
    `SELECT ${TASK_COLS} FROM tasks WHERE state IN (?)${st.conds.map((c) => ` AND ${c}`).join('')} ORDER BY id DESC LIMIT ?`,
    [ACTIVE_TASK_STATES, ...st.args, limit],
  );
  return rows.map(fix);
}

/**
 * Labels of a finished task that did not confirm: failed, timed out or cancelled, except those
 * superseded by a newer task (re-sending them would undo that task's work), optionally only some.
 */
/** The first store of a task's items outside a scope (by code), or null when every item is inside. */
export async function taskStoreOutside(
  db: Queryable,
  taskId: string,
  scope: readonly number[],
  labels?: string[],
): Promise<{ id: number; code: string; name: string } | null> {
  if (labels && !labels.length) return null;
  return queryOne<{ id: number; code: string; name: string }>(
    db,
    `SELECT s.id, s.code, s.name FROM task_items i JOIN stores s ON s.id = i.store_id
      WHERE i.task_id = ?${scope.length ? ' AND i.store_id NOT IN (?)' : ''}${labels ? ' AND i.label_id IN (?)' : ''}
      ORDER BY s.code LIMIT 1`,
    [taskId, ...(scope.length ? [scope] : []), ...(labels ? [labels] : [])],
  );
}

/** Whether a task has an item in one of these stores. */
export async function taskTouchesStores(
  db: Queryable,
  taskId: string,
  scope: readonly number[],
): Promise<boolean> {
  if (!scope.length) return false;
  const r = await queryOne<{ x: number }>(
    db,
    'SELECT 1 AS x FROM task_items WHERE task_id = ? AND store_id IN (?) LIMIT 1',
    [taskId, scope],
  );
  return r !== null;
}

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

/** The stores (of a scope, when given) for a store filter. */
export async function storeChoices(db: Queryable, scope: readonly number[] | null) {
  const sc = storeScopeSql('id', scope);
  return queryRows<{ id: number; code: string; name: string }>(
    db,
    `SELECT id, code, name FROM stores WHERE TRUE${sc.sql} ORDER BY code`,
    sc.params,
  );
}
