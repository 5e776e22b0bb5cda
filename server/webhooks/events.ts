// The events endpoints subscribe to, and the calls the domains make to record one inside the
// transaction of the state change that causes it. An event is written to the outbox only when
// an enabled endpoint subscribes to its type, with one delivery per such endpoint; the relay
// (outbox-relay.ts) hands the deliveries to BullMQ after commit.
import crypto from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import { insertDeliveries, insertEvent, subscribedEndpoints } from './deliveries-repo.js';

export const EVENT_TYPES = [
  'task.completed',
  'task.timed_out',
  'item.failed',
  'ap.online',
  'ap.offline',
  'mismatch.detected',
  'alert.fired',
  'alert.acknowledged',
  'alert.resolved',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** Sent by an admin's "send test event" to one endpoint, whatever it subscribes to. */
export const TEST_EVENT = 'webhook.test';

/** The JSON posted to an endpoint. */
export interface WebhookBody {
  id: string;
  type: string;
  createdAt: string;
  data: Record<string, unknown>;
}

/**
 * Records an event in the caller's transaction: nothing when no enabled endpoint subscribes to
 * the type, else the event and a delivery per subscribed endpoint. Returns the event's id.
 * `only` restricts it to one endpoint (the test event, which needs no subscription).
 */
export async function recordEvent(
  conn: Queryable,
  type: EventType | typeof TEST_EVENT,
  data: Record<string, unknown>,
  only?: number,
): Promise<string | null> {
  const endpoints = only ? [only] : await subscribedEndpoints(conn, type);
  if (!endpoints.length) return null;
  const body: WebhookBody = { id: crypto.randomUUID(), type, createdAt: new Date().toISOString(), data };
  const eventId = await insertEvent(conn, body);
  await insertDeliveries(
    conn,
    eventId,
    endpoints.map((endpointId) => ({ endpointId, uid: crypto.randomUUID() })),
  );
  return body.id;
}

/** A broker connection event as the devices module applies it: connect is ap.online, a disconnect (other than a take-over) ap.offline. */
export async function recordConnectionEvent(
  conn: Queryable,
  e: {
    type: string;
    clientId: string;
    groupId: string;
    deviceId: string;
    at: number | string;
    reason?: string;
    ip?: string | null;
    brokerNode?: string;
  },
): Promise<void> {
  const base = {
    clientId: e.clientId,
    groupId: e.groupId,
    deviceId: e.deviceId,
    at: new Date(e.at).toISOString(),
  };
  if (e.type === 'connect')
    await recordEvent(conn, 'ap.online', { ...base, ip: e.ip ?? null, brokerNode: e.brokerNode ?? null });
  else if (e.type === 'disconnect' && e.reason !== 'takeover')
    await recordEvent(conn, 'ap.offline', { ...base, reason: e.reason ?? 'lost' });
}

/** APs found offline without a disconnect event (their broker node stopped). */
export async function recordApsOffline(
  conn: Queryable,
  aps: { clientId: string; groupId: string }[],
  reason: string,
  at: Date,
): Promise<void> {
  for (const ap of aps)
    await recordEvent(conn, 'ap.offline', {
      clientId: ap.clientId,
      groupId: ap.groupId,
      deviceId: ap.clientId.split('@@@')[1] ?? '',
      at: at.toISOString(),
      reason,
    });
}

/** Items an AP reported failed, one event per task (they are retried until the deadline). */
export async function recordItemsFailed(
  conn: Queryable,
  clientId: string,
  error: string,
  items: { id: string; taskId: string; labelId: string }[],
): Promise<void> {
  const byTask = new Map<string, { itemId: string; labelId: string }[]>();
  for (const i of items)
    (byTask.get(i.taskId) ?? byTask.set(i.taskId, []).get(i.taskId)!).push({
      itemId: i.id,
      labelId: i.labelId,
    });
  for (const [taskId, list] of byTask)
    await recordEvent(conn, 'item.failed', { taskId, ap: clientId, error, items: list });
}

/** An alert's state change (server/alerts), in the transaction that makes it. */
export async function recordAlertEvent(
  conn: Queryable,
  type: 'alert.fired' | 'alert.acknowledged' | 'alert.resolved',
  a: { id: string; kind: string; subject: string; summary: string; openedAt?: Date | null },
  change: { by: string; at: Date; stores: string[] },
): Promise<void> {
  await recordEvent(conn, type, {
    alertId: a.id,
    kind: a.kind,
    subject: a.subject,
    state: type === 'alert.fired' ? 'open' : type === 'alert.acknowledged' ? 'acknowledged' : 'resolved',
    summary: a.summary,
    stores: change.stores,
    openedAt: (a.openedAt ?? change.at).toISOString(),
    at: change.at.toISOString(),
    by: change.by,
  });
}
