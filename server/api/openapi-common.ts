// The building blocks every part of the OpenAPI document uses: references to named schemas,
// JSON bodies and answers, the shared error answers and the Idempotency-Key parameter.
import { IDEMPOTENCY_HEADER } from './idempotency.js';

export const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
export const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
export const errors = {
  400: json('Error', 'Invalid input: `error.fields` names each entry and field'),
  401: json('Error', 'No or unknown API key'),
  403: json('Error', 'The key lacks the scope'),
};
export const body = (id: string) => ({
  required: true,
  content: { 'application/json': { schema: ref(id) } },
});
export const noContent = { description: 'Done; no body' };
export const pathParam = (name: string, description: string, schema: object = { type: 'string' }) => ({
  name,
  in: 'path',
  required: true,
  schema,
  description,
});
/** Every POST takes an Idempotency-Key (server/api/idempotency.ts). */
export const idempotencyKey = {
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
  description:
    'Makes the POST safe to retry: a request with the same key, method, path and body within 24 hours gets the first response again (header `Idempotent-Replayed: true`) and does nothing; the same key with another request is refused with 422; while the first is still running a duplicate waits, then gets 409. Keys are per API key.',
};
export const idempotencyErrors = {
  409: json('Error', 'A request with this Idempotency-Key is still being processed'),
  422: json('Error', 'This Idempotency-Key was used for a different request'),
};

/** The query parameters of a route, from the zod object its handler checks the query with. */
export { queryParams } from '../core/list-page.js';
