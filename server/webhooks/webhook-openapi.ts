// The webhooks API in the OpenAPI document (server/api/openapi.ts adds these): the named
// schemas of webhook-schemas.ts and the paths of webhook-api-routes.ts.
import {
  WebhookCreateRequest,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
  WebhookTestResult,
  WebhookUpdateRequest,
  WebhookDeliveryListQuery,
  WebhookListQuery,
} from './webhook-schemas.js';
import { queryParams } from '../core/list-page.js';

export const WEBHOOK_SCHEMAS = {
  WebhookCreateRequest,
  WebhookUpdateRequest,
  WebhookEndpoint,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
  WebhookDelivery,
  WebhookDeliveryPage,
  WebhookTestResult,
};

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
const body = (id: string) => ({ required: true, content: { 'application/json': { schema: ref(id) } } });
const id = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const SIGNED =
  'Each delivery is a POST of `{ id, type, createdAt, data }` with `X-ESL-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, `X-ESL-Delivery` (the same on every retry: deduplicate on it), `X-ESL-Event` and `X-ESL-Event-Id`; see docs/webhooks.md.';

/** Paths, given the document's shared error responses and the Idempotency-Key parameter. */
export function webhookPaths(errors: Record<string, unknown>, idempotencyKey: unknown) {
  const notFound = { 404: json('Error', 'No such webhook endpoint') };
  return {
    '/api/v1/webhooks': {
      get: {
        operationId: 'listWebhooks',
        summary: 'Webhook endpoints (scope admin)',
        parameters: queryParams(WebhookListQuery),
        responses: { 200: json('WebhookEndpointList', 'A page of endpoints, by id'), ...errors },
      },
      post: {
        operationId: 'createWebhook',
        summary: 'Register a webhook endpoint (scope admin)',
        description: `${SIGNED} Without \`secret\` one is generated; the answer is the only time it is shown. Unless the platform allows private addresses (WEBHOOK_ALLOW_PRIVATE), the URL must resolve to public addresses.`,
        parameters: [idempotencyKey],
        requestBody: body('WebhookCreateRequest'),
        responses: { 201: json('WebhookEndpointWithSecret', 'Registered'), ...errors },
      },
    },
    '/api/v1/webhooks/{id}': {
      get: {
        operationId: 'getWebhook',
        summary: 'A webhook endpoint (scope admin)',
        parameters: [id],
        responses: { 200: json('WebhookEndpoint', 'The endpoint'), ...notFound, ...errors },
      },
      patch: {
        operationId: 'updateWebhook',
        summary: 'Change name, URL, events or enabled (scope admin)',
        parameters: [id],
        requestBody: body('WebhookUpdateRequest'),
        responses: { 200: json('WebhookEndpoint', 'Saved'), ...notFound, ...errors },
      },
      delete: {
        operationId: 'deleteWebhook',
        summary: 'Delete an endpoint with its deliveries (scope admin)',
        parameters: [id],
        responses: { 204: { description: 'Deleted' }, ...notFound, ...errors },
      },
    },
    '/api/v1/webhooks/{id}/resume': {
      post: {
        operationId: 'resumeWebhook',
        summary: 'Resume an endpoint paused after repeated failures; held deliveries go out (scope admin)',
        parameters: [id, idempotencyKey],
        responses: { 200: json('WebhookEndpoint', 'Resumed'), ...notFound, ...errors },
      },
    },
    '/api/v1/webhooks/{id}/rotate-secret': {
      post: {
        operationId: 'rotateWebhookSecret',
        summary: 'A new signing secret, generated or given as `{ "secret": "..." }` (scope admin)',
        parameters: [id, idempotencyKey],
        responses: {
          200: json('WebhookEndpointWithSecret', 'The new secret, shown once'),
          ...notFound,
          ...errors,
        },
      },
    },
    '/api/v1/webhooks/{id}/test': {
      post: {
        operationId: 'testWebhook',
        summary: 'Send a `webhook.test` event to this endpoint (scope admin)',
        parameters: [id, idempotencyKey],
        responses: { 202: json('WebhookTestResult', 'Queued'), ...notFound, ...errors },
      },
    },
    '/api/v1/webhooks/{id}/deliveries': {
      get: {
        operationId: 'listWebhookDeliveries',
        summary: 'Recent deliveries, newest first (scope admin)',
        parameters: [id, ...queryParams(WebhookDeliveryListQuery)],
        responses: { 200: json('WebhookDeliveryPage', 'One page'), ...notFound, ...errors },
      },
    },
    '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': {
      post: {
        operationId: 'redeliverWebhook',
        summary: 'Send a finished delivery again, with a new round of attempts (scope admin)',
        parameters: [
          id,
          { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          idempotencyKey,
        ],
        responses: { 202: json('WebhookDelivery', 'Queued again'), ...notFound, ...errors },
      },
    },
  };
}
