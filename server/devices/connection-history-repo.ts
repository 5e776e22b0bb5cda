// The SQL of the connection history (migrations/016_connection_history.sql): the events, one
// multi-row INSERT per batch; the churn counts per AP and hour, one multi-row upsert per batch;
// what the AP's page reads; and the pruning of old rows.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows, querySingle } from '../db/query.js';
import { hourOf, type HistoryRow } from './connection-history.js';

export async function insertHistory(db: Queryable, rows: HistoryRow[]): Promise<void> {
  if (!rows.length) return;
  await execute(
    db,
    `INSERT INTO ap_connection_events
       (at, client_id, group_id, kind, reason, broker_node, previous_node, credential_kind, access_key_id, ip, clean_session)
     VALUES ?`,
    [
      rows.map((r) => [
        r.at,
        r.clientId,
        r.groupId,
        r.kind,
        r.reason,
        r.brokerNode,
        r.previousNode,
        r.credentialKind,
        r.accessKeyId,
        r.ip,
        r.cleanSession === null ? null : r.cleanSession ? 1 : 0,
      ]),
    ],
  );
}

/** Adds the batch's events to the per-AP, per-hour counts. */
export async function addChurn(db: Queryable, rows: HistoryRow[]): Promise<void> {
  const counts = new Map<string, { clientId: string; hour: Date; c: number[] }>();
  for (const r of rows) {
    const hour = hourOf(r.at);
    const k = `${r.clientId}|${hour.getTime()}`;
    let e = counts.get(k);
    if (!e) counts.set(k, (e = { clientId: r.clientId, hour, c: [0, 0, 0, 0] }));
    e.c[['connect', 'disconnect', 'takeover', 'resumed'].indexOf(r.kind)]++;
  }
  if (!counts.size) return;
  await execute(
    db,
    `INSERT INTO ap_connection_churn (client_id, hour, connects, disconnects, takeovers, resumed) VALUES ?
     ON DUPLICATE KEY UPDATE connects = connects + VALUES(connects), disconnects = disconnects + VALUES(disconnects),
       takeovers = takeovers + VALUES(takeovers), resumed = resumed + VALUES(resumed)`,
    [[...counts.values()].map((e) => [e.clientId, e.hour, ...e.c])],
  );
}

export interface HistoryEntry {
  at: Date;
  kind: string;
  reason: string | null;
  brokerNode: string;
  previousNode: string | null;
  credentialKind: string | null;
  accessKeyId: string | null;
  ip: string | null;
}

/** One AP's events, newest first. */
export function listHistory(db: Queryable, clientId: string, limit: number, offset: number) {
  return queryRows<HistoryEntry>(
    db,
    `SELECT at, kind, reason, broker_node AS brokerNode, previous_node AS previousNode,
            credential_kind AS credentialKind, access_key_id AS accessKeyId, ip
       FROM ap_connection_events WHERE client_id = ? ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`,
    [clientId, limit, offset],
  );
}

export async function countHistory(db: Queryable, clientId: string): Promise<number> {
  const r = await querySingle<{ n: number }>(
    db,
    'SELECT COUNT(*) AS n FROM ap_connection_events WHERE client_id = ?',
    [clientId],
  );
  return Number(r.n);
}

export interface ChurnHour {
  hour: Date;
  connects: number;
  disconnects: number;
  takeovers: number;
  resumed: number;
}

/** One AP's churn counts since a time, newest hour first. */
export function listChurn(db: Queryable, clientId: string, since: Date) {
  return queryRows<ChurnHour>(
    db,
    `SELECT hour, connects, disconnects, takeovers, resumed FROM ap_connection_churn
      WHERE client_id = ? AND hour >= ? ORDER BY hour DESC`,
    [clientId, since],
  );
}

/** Deletes up to `limit` events and churn rows older than `before`; returns how many went. */
export async function pruneHistory(db: Queryable, before: Date, limit: number): Promise<number> {
  const a = await execute(db, 'DELETE FROM ap_connection_events WHERE at < ? ORDER BY at LIMIT ?', [
    before,
    limit,
  ]);
  const b = await execute(db, 'DELETE FROM ap_connection_churn WHERE hour < ? ORDER BY hour LIMIT ?', [
    hourOf(before),
    limit,
  ]);
  return a.affectedRows + b.affectedRows;
}
