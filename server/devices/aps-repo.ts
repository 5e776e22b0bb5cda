// The only writer of the table aps (migrations/004_catalog.sql): each AP's connection state, kept by
// the broker's connection events, and what its last status report said.
import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows } from '../db/query.js';

export interface ApConnRow {
  client_id: string;
  group_id: string;
  device_id: string;
  online: number;
  ip: string | null;
  broker_node: string | null;
  connected_at: Date | null;
  disconnected_at: Date | null;
  disconnect_reason: string | null;
  last_seen_at: Date | null;
  takeovers: number;
}

export async function findAp(db: Queryable, clientId: string): Promise<ApConnRow | null> {
  return queryOne<ApConnRow>(
    db,
    `SELECT client_id, group_id, device_id, online, ip, broker_node, connected_at, disconnected_at, disconnect_reason, last_seen_at, takeovers
       FROM aps WHERE client_id = ? FOR UPDATE`,
    [clientId],
  );
}

/** First sight of an AP creates its row; later connects update it. */
export async function recordConnect(
  db: Queryable,
  e: { clientId: string; groupId: string; deviceId: string; ip: string | null; node: string; at: Date },
) {
  await execute(
    db,
    `INSERT INTO aps (client_id, group_id, device_id, online, ip, broker_node, connected_at, last_seen_at)
       VALUES (?, ?, ?, 1, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE online = 1, ip = VALUES(ip), broker_node = VALUES(broker_node),
       connected_at = VALUES(connected_at), last_seen_at = VALUES(last_seen_at), disconnect_reason = NULL`,
    [e.clientId, e.groupId, e.deviceId, e.ip, e.node, e.at, e.at],
  );
}

/** Marks the AP offline, unless a later connection has been recorded meanwhile. */
export async function recordDisconnect(
  db: Queryable,
  e: { clientId: string; reason: string; at: Date; offline: boolean },
) {
  await execute(
    db,
    `UPDATE aps SET disconnected_at = ?, disconnect_reason = ?, last_seen_at = GREATEST(COALESCE(last_seen_at, ?), ?),
       online = IF(? AND (connected_at IS NULL OR connected_at <= ?), 0, online)
     WHERE client_id = ?`,
    [e.at, e.reason, e.at, e.at, e.offline, e.at, e.clientId],
  );
}

export async function recordTakeover(
  db: Queryable,
  e: { clientId: string; groupId: string; deviceId: string },
) {
  await execute(
    db,
    `INSERT INTO aps (client_id, group_id, device_id, takeovers) VALUES (?, ?, ?, 1)
     ON DUPLICATE KEY UPDATE takeovers = takeovers + 1`,
    [e.clientId, e.groupId, e.deviceId],
  );
}

/** The broker nodes that APs marked online are connected to, as the last events said. */
export async function onlineNodes(db: Queryable): Promise<string[]> {
  const rows = await queryRows<{ node: string }>(
    db,
    'SELECT DISTINCT broker_node AS node FROM aps WHERE online = 1 AND broker_node IS NOT NULL',
  );
  return rows.map((r) => r.node);
}

/** Marks offline the APs still online on a node that stopped; returns them (locked, for the audit records). */
export async function markNodeLost(
  db: Queryable,
  node: string,
  at: Date,
): Promise<{ clientId: string; groupId: string; ip: string | null }[]> {
  const rows = await queryRows<{ clientId: string; groupId: string; ip: string | null }>(
    db,
    'SELECT client_id AS clientId, group_id AS groupId, ip FROM aps WHERE broker_node = ? AND online = 1 FOR UPDATE',
    [node],
  );
  if (!rows.length) return [];
  await execute(
    db,
    `UPDATE aps SET online = 0, disconnected_at = ?, disconnect_reason = 'node_lost'
     WHERE client_id IN (?) AND broker_node = ? AND online = 1`,
    [at, rows.map((r) => r.clientId), node],
  );
  return rows;
}

/** A status report: the AP's firmware, the time, how many labels it reported and its capabilities. */
export async function upsertApStatus(
  db: Queryable,
  ap: {
    clientId: string;
    groupId: string;
    deviceId: string;
    firmware: string | null;
    at: Date;
    labelsReported: number;
    /** JSON array of the capabilities the AP declared (docs/ap-protocol-image.md), or null */
    caps: string | null;
  },
): Promise<void> {
  await execute(
    db,
    `INSERT INTO aps (client_id, group_id, device_id, firmware, last_status_at, last_seen_at, labels_reported, caps)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE firmware = COALESCE(VALUES(firmware), firmware), last_status_at = VALUES(last_status_at), caps = VALUES(caps),
       last_seen_at = GREATEST(COALESCE(last_seen_at, VALUES(last_seen_at)), VALUES(last_seen_at)), labels_reported = VALUES(labels_reported)`,
    [ap.clientId, ap.groupId, ap.deviceId, ap.firmware, ap.at, ap.at, ap.labelsReported, ap.caps],
  );
}
