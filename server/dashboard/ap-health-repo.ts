// One AP's health page: the AP, its status history (ap_status_log, by (client_id, at)) and its
// connection history (the audit trail's ap.* records, by (object_type, object_id)).
import type { Queryable } from '../db/pool.js';
import { queryOne, queryRows } from '../db/query.js';

export interface ApHealth {
  clientId: string;
  groupId: string;
  storeId: number | null;
  storeCode: string | null;
  online: boolean;
  ip: string | null;
  brokerNode: string | null;
  connectedAt: Date | null;
  disconnectedAt: Date | null;
  disconnectReason: string | null;
  firmware: string | null;
  lastStatusAt: Date | null;
  labelsReported: number;
  takeovers: number;
}

export async function findApHealth(db: Queryable, clientId: string): Promise<ApHealth | null> {
  const row = await queryOne<Omit<ApHealth, 'online'> & { online: number }>(
    db,
    `SELECT a.client_id AS clientId, a.group_id AS groupId, sg.store_id AS storeId, s.code AS storeCode, a.online, a.ip,
       a.broker_node AS brokerNode, a.connected_at AS connectedAt, a.disconnected_at AS disconnectedAt,
       a.disconnect_reason AS disconnectReason, a.firmware, a.last_status_at AS lastStatusAt,
       a.labels_reported AS labelsReported, a.takeovers
     FROM aps a LEFT JOIN store_groups sg ON sg.group_id = a.group_id LEFT JOIN stores s ON s.id = sg.store_id
     WHERE a.client_id = ?`,
    [clientId],
  );
  return row ? { ...row, online: Number(row.online) === 1 } : null;
}

export interface StatusSample {
  at: Date;
  firmware: string | null;
  labelsReported: number;
  batteryMin: number | null;
  batteryAvg: number | null;
  rssiMin: number | null;
  rssiAvg: number | null;
}

export async function statusHistory(db: Queryable, clientId: string, limit: number): Promise<StatusSample[]> {
  return queryRows<StatusSample>(
    db,
    `SELECT at, firmware, labels_reported AS labelsReported, battery_min AS batteryMin, battery_avg AS batteryAvg,
       rssi_min AS rssiMin, rssi_avg AS rssiAvg
     FROM ap_status_log WHERE client_id = ? ORDER BY at DESC LIMIT ?`,
    [clientId, limit],
  );
}

export interface ConnectionEntry {
  ts: Date;
  action: string;
  summary: string;
  after: Record<string, unknown>;
}

export async function connectionHistory(
  db: Queryable,
  clientId: string,
  limit: number,
): Promise<ConnectionEntry[]> {
  const rows = await queryRows<{ ts: Date; action: string; summary: string; afterJson: string | null }>(
    db,
    `SELECT ts, action, summary, after_json AS afterJson FROM audit_log
     WHERE object_type = 'ap' AND object_id = ? AND action IN ('ap.connected', 'ap.disconnected', 'ap.taken_over')
     ORDER BY id DESC LIMIT ?`,
    [clientId, limit],
  );
  return rows.map((r) => {
    let after: Record<string, unknown> = {};
    try {
      after = r.afterJson ? (JSON.parse(r.afterJson) as Record<string, unknown>) : {};
    } catch {
      // a record that is not JSON is shown without its details
    }
    return { ts: r.ts, action: r.action, summary: r.summary, after };
  });
}
