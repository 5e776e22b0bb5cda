// The AP list: every AP the platform has seen (a row appears on its first connection), with its
// store, connection state as the broker events left it, and what its last status report said.
import type { Queryable } from '../db/pool.js';
import { storeScopeSql } from '../db/store-scope.js';
import { queryOne, queryRows, querySingle } from '../db/query.js';

export interface ApListRow {
  clientId: string;
  groupId: string;
  deviceId: string;
  storeId: number | null;
  storeCode: string | null;
  storeName: string | null;
  /** the store's IANA time zone, when the AP's Group ID is bound to a store */
  storeTimezone: string | null;
  online: boolean;
  ip: string | null;
  brokerNode: string | null;
  connectedAt: Date | null;
  disconnectedAt: Date | null;
  disconnectReason: string | null;
  lastSeenAt: Date | null;
  takeovers: number;
  firmware: string | null;
  lastStatusAt: Date | null;
  labelsReported: number;
}

export interface ApListFilter {
  storeId?: number;
  groupId?: string;
  online?: boolean;
  /** part of the Client ID */
  q?: string;
  /** Store ids of the reader's scope; null or absent = every AP (those of no store too). */
  scope?: readonly number[] | null;
  limit: number;
  offset: number;
  /** The API's keyset page: Client IDs after this one, in Client ID order. */
  afterClientId?: string;
  byClientId?: boolean;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function where(f: ApListFilter): [string, unknown[]] {
  const conds: [string, unknown][] = [];
  if (f.storeId !== undefined) conds.push(['sg.store_id = ?', f.storeId]);
  if (f.groupId !== undefined) conds.push(['a.group_id = ?', f.groupId]);
  if (f.online !== undefined) conds.push(['a.online = ?', f.online ? 1 : 0]);
  if (f.q) conds.push(['a.client_id LIKE ?', `%${escapeLike(f.q)}%`]);
  if (f.afterClientId !== undefined) conds.push(['a.client_id > ?', f.afterClientId]);
  const clauses = conds.map(([c]) => c);
  const args = conds.map(([, a]) => a);
  const sc = storeScopeSql('sg.store_id', f.scope);
  return [`WHERE TRUE${clauses.map((c) => ` AND ${c}`).join('')}${sc.sql}`, [...args, ...sc.params]];
}

const SELECT = `SELECT a.client_id AS clientId, a.group_id AS groupId, a.device_id AS deviceId, sg.store_id AS storeId,
  s.code AS storeCode, s.name AS storeName, s.timezone AS storeTimezone, a.online, a.ip, a.broker_node AS brokerNode, a.connected_at AS connectedAt,
  a.disconnected_at AS disconnectedAt, a.disconnect_reason AS disconnectReason, a.last_seen_at AS lastSeenAt,
  a.takeovers, a.firmware, a.last_status_at AS lastStatusAt, a.labels_reported AS labelsReported`;
const FROM =
  'FROM aps a LEFT JOIN store_groups sg ON sg.group_id = a.group_id LEFT JOIN stores s ON s.id = sg.store_id';

type DbRow = Omit<ApListRow, 'online'> & { online: number };
const toRow = (r: DbRow): ApListRow => ({ ...r, online: Number(r.online) === 1 });

export async function listAps(db: Queryable, f: ApListFilter): Promise<ApListRow[]> {
  const [w, args] = where(f);
  const rows = await queryRows<DbRow>(
    db,
    `${SELECT} ${FROM} ${w} ORDER BY ${f.byClientId ? '' : 's.code, '}a.client_id LIMIT ? OFFSET ?`,
    [...args, f.limit, f.offset],
  );
  return rows.map(toRow);
}

/** One AP as the list shows it (its health page reads it too), or null when it never connected. */
export async function findAp(db: Queryable, clientId: string): Promise<ApListRow | null> {
  const r = await queryOne<DbRow>(db, `${SELECT} ${FROM} WHERE a.client_id = ?`, [clientId]);
  return r ? toRow(r) : null;
}

export async function countAps(
  db: Queryable,
  f: Omit<ApListFilter, 'limit' | 'offset'>,
): Promise<{ total: number; online: number }> {
  const [w, args] = where({ ...f, afterClientId: undefined, limit: 0, offset: 0 });
  const r = await querySingle<{ total: string; online: string }>(
    db,
    `SELECT COUNT(*) AS total, COALESCE(SUM(a.online), 0) AS online ${FROM} ${w}`,
    args,
  );
  return { total: Number(r.total), online: Number(r.online) };
}
