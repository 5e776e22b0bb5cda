// SQL of the outbox: events, their deliveries and every attempt.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';
import type { WebhookBody } from './events.js';

/** A delivery's states (the CHECK constraint holds the same list). */
export const DELIVERY_STATES = ['pending', 'queued', 'succeeded', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** Enabled endpoints subscribed to a type (a plain read: takes no lock in the caller's transaction). */
export async function subscribedEndpoints(db: Queryable, type: string): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(
    db,
    `SELECT s.endpoint_id AS id FROM webhook_subscriptions s JOIN webhook_endpoints e ON e.id = s.endpoint_id
     WHERE s.event_type = ? AND e.enabled = 1`,
    [type],
  );
  return rows.map((r) => Number(r.id));
}

export async function insertEvent(db: Queryable, body: WebhookBody): Promise<number> {
  const r = await execute(
    db,
    'INSERT INTO webhook_events (uid, type, body, created_at) VALUES (?, ?, ?, ?)',
    [body.id, body.type, JSON.stringify(body), new Date(body.createdAt)],
  );
  return r.insertId;
}

export async function insertDeliveries(
  db: Queryable,
  eventId: number,
  list: { endpointId: number; uid: string }[],
): Promise<void> {
  await db.query('INSERT INTO webhook_deliveries (uid, event_id, endpoint_id) VALUES ?', [
    list.map((d) => [d.uid, eventId, d.endpointId]),
  ]);
}

export interface DeliveryRow {
  id: string;
  uid: string;
  event_id: string;
  endpoint_id: number;
  state: DeliveryState;
  generation: number;
  attempts: number;
  last_status: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: Date;
  queued_at: Date | null;
  finished_at: Date | null;
  event_uid: string;
  event_type: string;
}

const SELECT = `SELECT d.*, ev.uid AS event_uid, ev.type AS event_type FROM webhook_deliveries d
  JOIN webhook_events ev ON ev.id = d.event_id`;

/** Pending deliveries of endpoints that are enabled and not paused, oldest first. */
export async function deliverable(
  db: Queryable,
  limit: number,
): Promise<{ id: string; generation: number }[]> {
  const rows = await queryRows<{ id: string; generation: number }>(
    db,
    `SELECT d.id, d.generation FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE d.state = 'pending' AND e.enabled = 1 AND e.paused_at IS NULL ORDER BY d.id LIMIT ?`,
    [limit],
  );
  return rows.map((r) => ({ id: String(r.id), generation: Number(r.generation) }));
}

/** The job of this generation exists now: pending -> queued (false when someone else moved it). */
export async function markQueued(db: Queryable, id: string, generation: number): Promise<boolean> {
  const r = await execute(
    db,
    `UPDATE webhook_deliveries SET state = 'queued', generation = ?, queued_at = NOW(3)
     WHERE id = ? AND state = 'pending' AND generation = ?`,
    [generation + 1, id, generation],
  );
  return r.affectedRows === 1;
}

/** Deliveries queued longer than this, to check that their job still exists. */
export async function queuedBefore(db: Queryable, olderThanMs: number, limit = 200) {
  const rows = await queryRows<{ id: string; generation: number }>(
    db,
    `SELECT id, generation FROM webhook_deliveries WHERE state = 'queued' AND queued_at < NOW(3) - INTERVAL ? SECOND
     ORDER BY id LIMIT ?`,
    [olderThanMs / 1000, limit],
  );
  return rows.map((r) => ({ id: String(r.id), generation: Number(r.generation) }));
}

/** Back to pending (held for a paused endpoint, a lost job, or an admin's redelivery). */
export async function requeue(db: Queryable, id: string, from: readonly string[]): Promise<boolean> {
  const r = await execute(
    db,
    `UPDATE webhook_deliveries SET state = 'pending', finished_at = NULL WHERE id = ? AND state IN (?)`,
    [id, from],
  );
  return r.affectedRows === 1;
}

/** What a delivery job needs: the delivery, its endpoint and the event's body. */
export async function loadForSend(db: Queryable, id: string, lock = false) {
  const rows = await queryRows<{
    id: string;
    uid: string;
    state: string;
    attempts: number;
    endpoint_id: number;
    body: string;
    event_uid: string;
    event_type: string;
    url: string;
    secret_sealed: string;
    enabled: number;
    paused_at: Date | null;
  }>(
    db,
    `SELECT d.id, d.uid, d.state, d.attempts, d.endpoint_id, ev.body, ev.uid AS event_uid, ev.type AS event_type,
       e.url, e.secret_sealed, e.enabled, e.paused_at
     FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE d.id = ?${lock ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ?? null;
}

export interface AttemptResult {
  startedAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  snippet: string | null;
}

/** Logs one attempt and moves the delivery: succeeded, failed (no attempt left), or still queued. */
export async function recordAttempt(
  db: Queryable,
  id: string,
  a: AttemptResult,
  state: DeliveryState,
): Promise<number | null> {
  const rows = await queryRows<{ attempts: number }>(
    db,
    'SELECT attempts FROM webhook_deliveries WHERE id = ? FOR UPDATE',
    [id],
  );
  if (!rows[0]) return null; // its endpoint was deleted meanwhile
  const attempt = Number(rows[0]?.attempts ?? 0) + 1;
  await db.query(
    `INSERT INTO webhook_attempts (delivery_id, attempt, started_at, status_code, latency_ms, error, response_snippet)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      id,
      attempt,
      a.startedAt,
      a.statusCode,
      a.latencyMs,
      a.error?.slice(0, 255) ?? null,
      a.snippet?.slice(0, 255) ?? null,
    ],
  );
  await db.query(
    `UPDATE webhook_deliveries SET attempts = ?, last_status = ?, last_latency_ms = ?, last_error = ?, state = ?,
       finished_at = IF(? IN ('succeeded', 'failed'), NOW(3), NULL) WHERE id = ?`,
    [attempt, a.statusCode, a.latencyMs, a.error?.slice(0, 255) ?? null, state, state, id],
  );
  return attempt;
}

export async function recentDeliveries(
  db: Queryable,
  endpointId: number,
  limit: number,
  before?: string,
  state?: string,
) {
  const rows = await queryRows<DeliveryRow>(
    db,
    `${SELECT} WHERE d.endpoint_id = ?${before ? ' AND d.id < ?' : ''}${state ? ' AND d.state = ?' : ''} ORDER BY d.id DESC LIMIT ?`,
    [endpointId, ...(before ? [before] : []), ...(state ? [state] : []), limit],
  );
  return rows;
}

/** A filter of an endpoint's deliveries page: its state and its event type. */
export interface DeliveryFilter {
  state?: DeliveryState;
  eventType?: string;
}

const deliveryWhere = (endpointId: number, f: DeliveryFilter) => ({
  sql: `d.endpoint_id = ?${f.state ? ' AND d.state = ?' : ''}${f.eventType ? ' AND ev.type = ?' : ''}`,
  params: [endpointId, ...(f.state ? [f.state] : []), ...(f.eventType ? [f.eventType] : [])],
});

/**
 * A page of an endpoint's deliveries, newest first, and how many match: through
 * (endpoint_id, id), each joined to its event by primary key (finished deliveries are purged
 * after the retention, so an endpoint's rows stay bounded).
 */
export async function deliveriesPage(
  db: Queryable,
  endpointId: number,
  f: DeliveryFilter & { limit: number; offset: number },
): Promise<{ rows: DeliveryRow[]; total: number }> {
  const w = deliveryWhere(endpointId, f);
  const [rows, count] = await Promise.all([
    queryRows<DeliveryRow>(db, `${SELECT} WHERE ${w.sql} ORDER BY d.id DESC LIMIT ? OFFSET ?`, [
      ...w.params,
      f.limit,
      f.offset,
    ]),
    queryRows<{ n: string }>(
      db,
      `SELECT COUNT(*) AS n FROM webhook_deliveries d${f.eventType ? ' JOIN webhook_events ev ON ev.id = d.event_id' : ''} WHERE ${w.sql}`,
      w.params,
    ),
  ]);
  return { rows, total: Number(count[0]?.n ?? 0) };
}

export async function findDelivery(
  db: Queryable,
  endpointId: number,
  id: string,
): Promise<DeliveryRow | null> {
  const rows = await queryRows<DeliveryRow>(db, `${SELECT} WHERE d.endpoint_id = ? AND d.id = ?`, [
    endpointId,
    id,
  ]);
  return rows[0] ?? null;
}

export interface AttemptRow {
  id: string;
  attempt: number;
  started_at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_snippet: string | null;
}

export async function attemptsOf(db: Queryable, deliveryId: string): Promise<AttemptRow[]> {
  const rows = await queryRows<AttemptRow>(
    db,
    'SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY id DESC LIMIT 100',
    [deliveryId],
  );
  return rows;
}

/** Per endpoint: deliveries waiting (pending or queued), and the last attempt's time. */
export async function endpointStats(
  db: Queryable,
): Promise<Map<number, { waiting: number; failed: number }>> {
  const rows = await queryRows<{ endpoint_id: number; waiting: string; failed: string }>(
    db,
    `SELECT endpoint_id, SUM(state IN ('pending', 'queued')) AS waiting, SUM(state = 'failed') AS failed
     FROM webhook_deliveries GROUP BY endpoint_id`,
  );
  return new Map(
    rows.map((r) => [Number(r.endpoint_id), { waiting: Number(r.waiting), failed: Number(r.failed) }]),
  );
}

/** Deletes finished deliveries (attempts cascade) and then events left without deliveries, older than the cut-off; a batch at a time. */
export async function purgeBefore(db: Queryable, cutoff: Date, batch = 1000): Promise<number> {
  const d = await execute(
    db,
    `DELETE FROM webhook_deliveries WHERE state IN ('succeeded', 'failed') AND created_at < ? ORDER BY id LIMIT ?`,
    [cutoff, batch],
  );
  const e = await execute(
    db,
    `DELETE FROM webhook_events WHERE created_at < ?
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id) ORDER BY id LIMIT ?`,
    [cutoff, batch],
  );
  return d.affectedRows + e.affectedRows;
}

export async function findDeliveryByUid(
  db: Queryable,
  endpointId: number,
  uid: string,
): Promise<DeliveryRow | null> {
  const rows = await queryRows<DeliveryRow>(db, `${SELECT} WHERE d.endpoint_id = ? AND d.uid = ?`, [
    endpointId,
    uid,
  ]);
  return rows[0] ?? null;
}
