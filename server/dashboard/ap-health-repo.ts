// One AP's connection history for its health page: the audit trail's ap.* records, by
// (object_type, object_id). The AP itself and its status history are read from server/devices.
import type { Queryable } from '../db/pool.js';
import { queryRows } from '../db/query.js';

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
