// The SQL of label commands (migrations/022_label_commands.sql): the label and its serving AP
// as a command needs them, the commands themselves and their state changes.
import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows } from '../db/query.js';
import { storeScopeSql } from '../db/store-scope.js';
import type { CommandReason, CommandState } from './states.js';

/** A label with what a command needs to know about it: its model's pages and its serving AP. */
export interface CommandTarget {
  label_id: string;
  store_id: number;
  store_code: string;
  store_name: string;
  group_id: string;
  product_id: number | null;
  sku: string | null;
  product_name: string | null;
  pages: number;
  model_code: string;
  last_ap_client_id: string | null;
  ap_online: number | null;
  ap_caps: string | null;
}

const TARGET = `SELECT l.label_id, l.store_id, s.code AS store_code, s.name AS store_name, l.group_id, l.product_id, p.sku, p.name AS product_name,
    m.pages, l.model_code, l.last_ap_client_id, a.online AS ap_online, a.caps AS ap_caps
  FROM labels l JOIN stores s ON s.id = l.store_id JOIN label_models m ON m.code = l.model_code
  LEFT JOIN products p ON p.id = l.product_id LEFT JOIN aps a ON a.client_id = l.last_ap_client_id`;

export function findTarget(db: Queryable, labelId: string): Promise<CommandTarget | null> {
  return queryOne<CommandTarget>(db, `${TARGET} WHERE l.label_id = ?`, [labelId]);
}

/** The labels bound to a product (of one store when given, of a store scope's stores), at most `limit`. */
export function targetsOfProduct(
  db: Queryable,
  productId: number,
  storeId: number | null,
  limit: number,
  scope: readonly number[] | null = null,
): Promise<CommandTarget[]> {
  const sc = storeScopeSql('l.store_id', scope);
  return queryRows<CommandTarget>(
    db,
    `${TARGET} WHERE l.product_id = ?${storeId ? ' AND l.store_id = ?' : ''}${sc.sql} ORDER BY l.label_id LIMIT ?`,
    [productId, ...(storeId ? [storeId] : []), ...sc.params, limit],
  );
}

export function findProduct(db: Queryable, by: { id?: number; sku?: string }) {
  return queryOne<{ id: number; sku: string; name: string }>(
    db,
    `SELECT id, sku, name FROM products WHERE ${by.id ? 'id = ?' : 'sku = ?'}`,
    [by.id ?? by.sku],
  );
}

export function findStoreByCode(db: Queryable, code: string) {
  return queryOne<{ id: number; code: string; name: string }>(
    db,
    'SELECT id, code, name FROM stores WHERE code = ?',
    [code],
  );
}

export interface NewCommand {
  uid: string;
  batchUid: string | null;
  labelId: string;
  storeId: number;
  productId: number | null;
  kind: string;
  colour: string | null;
  pattern: string | null;
  durationSeconds: number | null;
  page: number | null;
  state: CommandState;
  reason: CommandReason | null;
  apClientId: string | null;
  requestedBy: string;
  finishedAt: Date | null;
}

export async function insertCommands(db: Queryable, rows: NewCommand[]) {
  if (!rows.length) return;
  await execute(
    db,
    `INSERT INTO label_commands (uid, batch_uid, label_id, store_id, product_id, kind, colour, pattern, duration_s, page,
       state, reason, ap_client_id, requested_by, finished_at) VALUES ?`,
    [
      rows.map((r) => [
        r.uid,
        r.batchUid,
        r.labelId,
        r.storeId,
        r.productId,
        r.kind,
        r.colour,
        r.pattern,
        r.durationSeconds,
        r.page,
        r.state,
        r.reason,
        r.apClientId,
        r.requestedBy,
        r.finishedAt,
      ]),
    ],
  );
}

export interface CommandRow {
  id: string;
  uid: string;
  batch_uid: string | null;
  label_id: string;
  store_id: number;
  product_id: number | null;
  kind: string;
  colour: string | null;
  pattern: string | null;
  duration_s: number | null;
  page: number | null;
  state: CommandState;
  reason: CommandReason | null;
  ap_error: string | null;
  ap_client_id: string | null;
  ap_result: string | null;
  requested_by: string;
  created_at: Date;
  sent_at: Date | null;
  deadline_at: Date | null;
  finished_at: Date | null;
}

export function commandsByUid(db: Queryable, uids: string[]): Promise<CommandRow[]> {
  if (!uids.length) return Promise.resolve([]);
  return queryRows<CommandRow>(db, 'SELECT * FROM label_commands WHERE uid IN (?) ORDER BY id', [uids]);
}

export function commandByUid(db: Queryable, uid: string, lock = false): Promise<CommandRow | null> {
  return queryOne<CommandRow>(db, `SELECT * FROM label_commands WHERE uid = ?${lock ? ' FOR UPDATE' : ''}`, [
    uid,
  ]);
}

export function commandById(db: Queryable, id: string): Promise<CommandRow | null> {
  return queryOne<CommandRow>(db, 'SELECT * FROM label_commands WHERE id = ?', [id]);
}

/** Newest first: of a label, a batch or a product, or all. */
export function listCommands(
  db: Queryable,
  f: {
    labelId?: string;
    batchUid?: string;
    productId?: number;
    limit: number;
    /** Store ids of the reader's scope; null or absent = every store. */
    scope?: readonly number[] | null;
  },
): Promise<(CommandRow & { store_code: string })[]> {
  const sc = storeScopeSql('c.store_id', f.scope);
  const by = (
    [
      ['c.label_id = ?', f.labelId],
      ['c.batch_uid = ?', f.batchUid],
      ['c.product_id = ?', f.productId],
    ] as const
  ).filter(([, v]) => v !== undefined);
  const where = by.map(([sql]) => sql);
  const args: unknown[] = by.map(([, v]) => v);
  return queryRows<CommandRow & { store_code: string }>(
    db,
    `SELECT c.*, s.code AS store_code FROM label_commands c JOIN stores s ON s.id = c.store_id
      WHERE TRUE${where.map((w) => ` AND ${w}`).join('')}${sc.sql} ORDER BY c.id DESC LIMIT ?`,
    [...args, ...sc.params, f.limit],
  );
}

/** Queued commands to send, locked (other workers skip them). */
export function lockQueued(
  db: Queryable,
  f: { uids?: string[]; olderThan?: Date; limit: number },
): Promise<CommandRow[]> {
  const by = f.uids ? 'uid IN (?)' : 'created_at < ?';
  return queryRows<CommandRow>(
    db,
    `SELECT * FROM label_commands WHERE state = 'queued' AND ${by} ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
    [f.uids ?? f.olderThan, f.limit],
  );
}

/** Whether these APs are online now and what they declared they can do. */
export async function apStates(
  db: Queryable,
  clientIds: string[],
): Promise<Map<string, { online: boolean; caps: string | null }>> {
  if (!clientIds.length) return new Map();
  const rows = await queryRows<{ client_id: string; online: number; caps: string | null }>(
    db,
    'SELECT client_id, online, caps FROM aps WHERE client_id IN (?)',
    [clientIds],
  );
  return new Map(rows.map((r) => [r.client_id, { online: r.online === 1, caps: r.caps }]));
}

export async function markSent(db: Queryable, ids: string[], sentAt: Date, deadline: Date) {
  if (!ids.length) return;
  await execute(
    db,
    "UPDATE label_commands SET state = 'sent', sent_at = ?, deadline_at = ? WHERE id IN (?) AND state = 'queued'",
    [sentAt, deadline, ids],
  );
}

/** Ends commands in a final state; only those still in one of `from` change. Returns how many did. */
export async function finish(
  db: Queryable,
  ids: string[],
  to: {
    state: CommandState;
    reason: CommandReason | null;
    apError?: string | null;
    apResult?: string | null;
  },
  from: CommandState[],
  at: Date,
): Promise<number> {
  if (!ids.length) return 0;
  const r = await execute(
    db,
    `UPDATE label_commands SET state = ?, reason = ?, ap_error = ?, ap_result = ?, finished_at = ?
      WHERE id IN (?) AND state IN (?)`,
    [to.state, to.reason, to.apError ?? null, to.apResult ?? null, at, ids, from],
  );
  return r.affectedRows;
}

/** Sent commands past their deadline, locked. */
export function lockOverdue(db: Queryable, now: Date, limit: number): Promise<CommandRow[]> {
  return queryRows<CommandRow>(
    db,
    `SELECT * FROM label_commands WHERE state = 'sent' AND deadline_at < ? ORDER BY deadline_at LIMIT ?
      FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
}
