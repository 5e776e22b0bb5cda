// The webhooks API's shapes as zod schemas: requests are checked with them and the OpenAPI
// document is generated from them.
import { z } from 'zod';
import { listQuery } from '../core/list-page.js';
import { EVENT_TYPES } from './events.js';

const ts = z.string().meta({ format: 'date-time' });
const EventType = z.enum(EVENT_TYPES);

export const WebhookCreateRequest = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .meta({ examples: ['ERP price confirmations'] }),
  url: z
    .string()
    .max(2048)
    .meta({
      description: 'http:// or https:// URL the events are POSTed to',
      examples: ['https://erp.example.com/esl/hooks'],
    }),
  events: z.array(EventType).min(1).meta({ description: 'Event types to deliver' }),
  secret: z
    .string()
    .min(16)
    .max(256)
    .optional()
    .meta({ description: 'Signing secret (16+ characters); omitted: one is generated and returned once' }),
  enabled: z.boolean().optional().meta({ description: 'Default true' }),
});

export const WebhookUpdateRequest = z.strictObject({
  name: WebhookCreateRequest.shape.name.optional(),
  url: WebhookCreateRequest.shape.url.optional(),
  events: WebhookCreateRequest.shape.events.optional(),
  enabled: z.boolean().optional(),
});

export const WebhookEndpoint = z.object({
  id: z.number().int(),
  name: z.string(),
  url: z.string(),
  events: z.array(EventType),
  enabled: z.boolean(),
  paused: z.boolean().meta({ description: 'Paused after repeated failures; deliveries wait until resumed' }),
  pausedAt: ts.nullable(),
  pauseReason: z.string().nullable(),
  consecutiveFailures: z.number().int(),
  createdBy: z.string(),
  createdAt: ts,
  updatedAt: ts,
});

export const WebhookEndpointList = z.object({
  webhooks: z.array(WebhookEndpoint).meta({ description: 'By id' }),
  nextCursor: z.string().nullable().meta({ description: 'The next page: pass as `cursor`' }),
});

export const WebhookListQuery = listQuery({
  enabled: z.enum(['yes', 'no'], { error: 'must be yes or no' }).optional(),
  event: z
    .string({ error: 'give one event type' })
    .max(64, 'at most 64 characters')
    .optional()
    .meta({ description: 'Subscribed to this event' }),
});

export const WebhookDeliveryListQuery = listQuery({
  state: z
    .enum(['pending', 'queued', 'succeeded', 'failed'], {
      error: 'must be pending, queued, succeeded or failed',
    })
    .optional(),
});

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({
  secret: z.string().nullable().meta({
    description:
      'The signing secret: shown only in this answer (null in a replay under the same Idempotency-Key: it is not stored)',
  }),
});

export const WebhookDelivery = z.object({
  id: z.string().meta({ description: 'Delivery id, sent as X-ESL-Delivery (the same on every attempt)' }),
  eventId: z.string(),
  eventType: z.string(),
  state: z.enum(['pending', 'queued', 'succeeded', 'failed']),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastLatencyMs: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: ts,
  finishedAt: ts.nullable(),
});

export const WebhookDeliveryPage = z.object({
  deliveries: z.array(WebhookDelivery),
  nextCursor: z.string().nullable().meta({ description: 'The next (older) page: pass as `cursor`' }),
});

export const WebhookTestResult = z.object({ eventId: z.string() });
