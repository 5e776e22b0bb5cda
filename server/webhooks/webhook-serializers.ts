// The JSON the webhooks API answers with (shapes in webhook-schemas.ts). Never the secret,
// except once in the answer that creates or rotates it.
import type { DeliveryRow } from './deliveries-repo.js';
import type { EndpointRow } from './endpoints-repo.js';

export function endpointJson(e: EndpointRow) {
  return {
    id: Number(e.id),
    name: e.name,
    url: e.url,
    events: (e.events ?? '').split(' ').filter(Boolean),
    enabled: !!e.enabled,
    paused: !!e.paused_at,
    pausedAt: e.paused_at?.toISOString() ?? null,
    pauseReason: e.pause_reason,
    consecutiveFailures: Number(e.consecutive_failures),
    createdBy: e.created_by,
    createdAt: e.created_at.toISOString(),
    updatedAt: e.updated_at.toISOString(),
  };
}

export function deliveryJson(d: DeliveryRow) {
  return {
    id: d.uid,
    eventId: d.event_uid,
    eventType: d.event_type,
    state: d.state,
    attempts: Number(d.attempts),
    lastStatus: d.last_status === null ? null : Number(d.last_status),
    lastLatencyMs: d.last_latency_ms === null ? null : Number(d.last_latency_ms),
    lastError: d.last_error,
    createdAt: d.created_at.toISOString(),
    finishedAt: d.finished_at?.toISOString() ?? null,
  };
}
