// The OpenAPI 3.1 document of /api/v1, generated from the zod schemas the routes use
// (3.1 speaks JSON Schema 2020-12, which is what z.toJSONSchema emits).
import type { Router } from 'express';
import { z } from 'zod';
import {
  ApiError,
  PriceChangeRequest,
  PriceChangeResult,
  PriceChangeEntry,
  Product,
  ProductList,
  StoreList,
} from '../catalog/api-schemas.js';
import { ITEM_STATE_VALUES, Task, TaskItem, TaskItemPage } from './openapi-tasks.js';

function components() {
  const reg = z.registry<{ id: string }>();
  const named = {
    PriceChangeEntry,
    PriceChangeRequest,
    PriceChangeResult,
    Product,
    ProductList,
    StoreList,
    Error: ApiError,
    Task,
    TaskItem,
    TaskItemPage,
  };
  for (const [id, schema] of Object.entries(named)) reg.add(schema, { id });
  const { schemas } = z.toJSONSchema(reg, {
    uri: (id) => `#/components/schemas/${id}`,
    io: 'input',
    unrepresentable: 'any',
  });
  for (const s of Object.values(schemas)) {
    delete (s as Record<string, unknown>).$schema;
    delete (s as Record<string, unknown>).$id;
  }
  return schemas;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(id) } },
});
const errors = {
  400: json('Error', 'Invalid input: `error.fields` names each entry and field'),
  401: json('Error', 'No or unknown API key'),
  403: json('Error', 'The key lacks the scope'),
};
const taskId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } };

export function openApiDocument(serverUrl = '/') {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ESL platform API',
      version: '1',
      description:
        'Price changes and task results for ERP and POS systems. Prices are decimal strings, times ISO-8601 UTC.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/api/v1/price-changes': {
        post: {
          operationId: 'createPriceChanges',
          summary: 'Change prices in bulk (scope prices:write)',
          description:
            'Every entry is validated first; if any is wrong nothing is applied. Entries without effectiveAt are applied now in one transaction with one task; the others are scheduled. A bare array of entries is accepted too.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('PriceChangeRequest') } },
          },
          responses: { 201: json('PriceChangeResult', 'Applied and/or scheduled'), ...errors },
        },
      },
      '/api/v1/products': {
        get: {
          operationId: 'listProducts',
          summary: 'Products with their price in each store (scope tasks:read or prices:write)',
          parameters: [
            { name: 'sku', in: 'query', schema: { type: 'string' }, description: 'Exact SKU' },
            {
              name: 'q',
              in: 'query',
              schema: { type: 'string' },
              description: 'SKU prefix or part of the name',
            },
            { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
          ],
          responses: { 200: json('ProductList', 'A page of products (100 per page)'), ...errors },
        },
      },
      '/api/v1/stores': {
        get: {
          operationId: 'listStores',
          summary: 'Store codes to use in price changes (scope tasks:read or prices:write)',
          responses: { 200: json('StoreList', 'Every store'), ...errors },
        },
      },
      '/api/v1/tasks/{id}': {
        get: {
          operationId: 'getTask',
          summary: 'A task with item counts per state and per AP (scope tasks:read)',
          parameters: [taskId],
          responses: { 200: json('Task', 'The task'), 404: json('Error', 'No such task'), ...errors },
        },
      },
      '/api/v1/tasks/{id}/items': {
        get: {
          operationId: 'listTaskItems',
          summary: 'Per-label results of a task (scope tasks:read)',
          parameters: [
            taskId,
            { name: 'state', in: 'query', schema: { type: 'string', enum: [...ITEM_STATE_VALUES] } },
            { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
            { name: 'pageSize', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: {
            200: json('TaskItemPage', 'One page of items'),
            404: json('Error', 'No such task'),
            ...errors,
          },
        },
      },
      '/api/v1/aps': {
        get: {
          operationId: 'listAps',
          summary: 'Smart APs with their store, connection and last status (scope tasks:read)',
          parameters: [
            { name: 'store', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'Store id' },
            {
              name: 'group',
              in: 'query',
              schema: { type: 'string', maxLength: 64 },
              description: 'Group ID',
            },
            { name: 'online', in: 'query', schema: { type: 'string', enum: ['yes', 'no'] } },
            {
              name: 'q',
              in: 'query',
              schema: { type: 'string', maxLength: 64 },
              description: 'Part of the Client ID',
            },
            { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
          ],
          responses: {
            200: {
              description:
                '`{ total, online, page, pageSize, aps: [...] }`, 100 per page; times ISO-8601 or null',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...errors,
          },
        },
      },
      '/api/v1/labels/mismatches': {
        get: {
          operationId: 'listMismatches',
          summary: 'Labels whose displayed content differs from the price in force (scope tasks:read)',
          parameters: [
            { name: 'store', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'Store id' },
            { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
          ],
          responses: {
            200: {
              description: '`{ total, page, pageSize, labels: [...] }`, 100 per page',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...errors,
          },
        },
      },
      '/api/v1/labels/{labelId}/image': {
        get: {
          operationId: 'getLabelImage',
          summary: 'The PNG the label must show now, or at `at` (scope tasks:read)',
          parameters: [
            { name: 'labelId', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } },
            {
              name: 'at',
              in: 'query',
              schema: { type: 'string', format: 'date-time' },
              description: 'ISO-8601 time with zone: scheduled changes due by then are applied',
            },
            {
              name: 'page',
              in: 'query',
              schema: { type: 'integer', minimum: 1 },
              description: 'Page of a multi-page model',
            },
          ],
          responses: {
            200: {
              description:
                'The image, of the label model size. `X-Image-Hash` and `ETag` carry its SHA-256; the same content gives the same bytes.',
              content: { 'image/png': { schema: { type: 'string', format: 'binary' } } },
            },
            404: json('Error', 'No such label, or it is unbound or its product has no price in its store'),
            ...errors,
          },
        },
      },
    },
    components: {
      schemas: components(),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key issued by an admin: esl_<id>_<secret>',
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
  };
}

/** Served without authentication: it describes the API, it holds no data. */
export function openApiRoutes() {
  const doc = openApiDocument();
  return (app: Router) => {
    app.get('/api/v1/openapi.json', (_req, res) => {
      res.json(doc);
    });
  };
}
