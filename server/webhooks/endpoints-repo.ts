// SQL of webhook endpoints and their subscriptions.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';

export interface EndpointRow {
  id: number;
  name: string;
  url: string;
  secret_sealed: string;
  enabled: number;
  paused_at: Date | null;
  pause_reason: string | null;
  consecutive_failures: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  /** space-delimited event types */
  events: string | null;
}

const SELECT = `SELECT e.*, (SELECT GROUP_CONCAT(s.event_type ORDER BY s.event_type SEPARATOR ' ')
  FROM webhook_subscriptions s WHERE s.endpoint_id = e.id) AS events FROM webhook_endpoints e`;

export async function listEndpoints(db: Queryable): Promise<EndpointRow[]> {
  const rows = await queryRows<EndpointRow>(db, `${SELECT} ORDER BY e.id`);
  return rows;
}

export async function findEndpoint(db: Queryable, id: number, lock = false): Promise<EndpointRow | null> {
  const rows = await queryRows<EndpointRow>(db, `${SELECT} WHERE e.id = ?${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ?? null;
}

export async function insertEndpoint(
  db: Queryable,
  e: { name: string; url: string; secretSealed: string; enabled: boolean; createdBy: string },
): Promise<number> {
  const r = await execute(
    db,
    'INSERT INTO webhook_endpoints (name, url, secret_sealed, enabled, created_by) VALUES (?, ?, ?, ?, ?)',
    [e.name, e.url, e.secretSealed, e.enabled ? 1 : 0, e.createdBy],
  );
  return r.insertId;
}

export async function updateEndpoint(
  db: Queryable,
  id: number,
  e: { name: string; url: string; enabled: boolean },
): Promise<void> {
  await db.query(
    'UPDATE webhook_endpoints SET name = ?, url = ?, enabled = ?, updated_at = NOW(3) WHERE id = ?',
    [e.name, e.url, e.enabled ? 1 : 0, id],
  );
}

export async function setSubscriptions(db: Queryable, id: number, events: readonly string[]): Promise<void> {
  await db.query('DELETE FROM webhook_subscriptions WHERE endpoint_id = ?', [id]);
  if (events.length)
    await db.query('INSERT INTO webhook_subscriptions (endpoint_id, event_type) VALUES ?', [
      events.map((t) => [id, t]),
    ]);
}

export async function setSecret(db: Queryable, id: number, sealed: string): Promise<void> {
  await db.query('UPDATE webhook_endpoints SET secret_sealed = ?, updated_at = NOW(3) WHERE id = ?', [
    sealed,
    id,
  ]);
}

export async function deleteEndpoint(db: Queryable, id: number): Promise<void> {
  await db.query('DELETE FROM webhook_endpoints WHERE id = ?', [id]);
}

/** Clears a pause and the failure count (an admin resumed the endpoint). */
export async function resumeEndpoint(db: Queryable, id: number): Promise<void> {
  await db.query(
    'UPDATE webhook_endpoints SET paused_at = NULL, pause_reason = NULL, consecutive_failures = 0, updated_at = NOW(3) WHERE id = ?',
    [id],
  );
}

/** After a successful attempt. */
export async function clearFailures(db: Queryable, id: number): Promise<void> {
  await db.query(
    'UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = ? AND consecutive_failures <> 0',
    [id],
  );
}

/**
 * After a failed attempt: the new count, whether this attempt paused the endpoint, and whether
 * it is paused now (by this attempt or before).
 */
export async function countFailure(
  db: Queryable,
  id: number,
  pauseAfter: number,
  reason: string,
): Promise<{ failures: number; pausedNow: boolean; paused: boolean }> {
  const rows = await queryRows<{ n: number; paused_at: Date | null }>(
    db,
    'SELECT consecutive_failures AS n, paused_at FROM webhook_endpoints WHERE id = ? FOR UPDATE',
    [id],
  );
  if (!rows[0]) return { failures: 0, pausedNow: false, paused: false };
  const failures = Number(rows[0].n) + 1;
  const pausedNow = !rows[0].paused_at && failures >= pauseAfter;
  await db.query(
    `UPDATE webhook_endpoints SET consecutive_failures = ?,
       paused_at = IF(?, NOW(3), paused_at), pause_reason = IF(?, ?, pause_reason) WHERE id = ?`,
    [failures, pausedNow, pausedNow, reason.slice(0, 255), id],
  );
  return { failures, pausedNow, paused: pausedNow || !!rows[0].paused_at };
}

/** Locks the endpoint's row; whether it is paused (null: gone). */
export async function lockEndpointState(db: Queryable, id: number): Promise<{ paused: boolean } | null> {
  const rows = await queryRows<{ paused_at: Date | null }>(
    db,
    'SELECT paused_at FROM webhook_endpoints WHERE id = ? FOR UPDATE',
    [id],
  );
  return rows[0] ? { paused: !!rows[0].paused_at } : null;
}
