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
  ProductListQuery,
  StoreList,
  PriceHistory,
  PriceHistoryEntry,
  PriceHistoryQuery,
  StoreListQuery,
} from '../catalog/api-schemas.js';
import {
  MAX_BULK_ITEMS,
  GroupAssignRequest,
  LabelCreateItem,
  LabelCreateRequest,
  LabelCreateResult,
  LabelMoveItem,
  LabelMoveRequest,
  LabelMoveResult,
  LabelUnbindItem,
  LabelUnbindRequest,
  LabelUnbindResult,
  ProductUpsertItem,
  ProductUpsertRequest,
  ProductUpsertResult,
  Store,
  StoreCreateRequest,
  QuietHoursRequest,
} from '../catalog/api-bulk-schemas.js';
import {
  Blocked,
  Forecast,
  Task,
  TaskCancelResult,
  TaskItem,
  TaskItemPage,
  TaskPage,
  TaskRetryResult,
} from './openapi-tasks.js';
import { TaskItemListQuery, TaskListQuery } from '../tasks/task-api-schemas.js';
import { body, errors, idempotencyErrors, idempotencyKey, json, queryParams, ref } from './openapi-common.js';
import { registryPaths, registrySchemas } from './openapi-registry.js';
import {
  Ap,
  ApListQuery,
  ApPage,
  LabelHealth,
  LabelHealthPage,
  LabelListQuery,
  Mismatch,
  MismatchListQuery,
  MismatchPage,
} from '../devices/devices-api-schemas.js';
import { WEBHOOK_SCHEMAS, webhookPaths } from '../webhooks/webhook-openapi.js';
import { COMMAND_SCHEMAS, commandPaths } from '../commands/commands-openapi.js';
import { auditPaths, auditSchemas } from './openapi-audit.js';

function components() {
  const reg = z.registry<{ id: string }>();
  const named = {
    PriceChangeEntry,
    PriceChangeRequest,
    PriceChangeResult,
    Product,
    ProductList,
    StoreList,
    Store,
    StoreCreateRequest,
    GroupAssignRequest,
    ProductUpsertItem,
    ProductUpsertRequest,
    ProductUpsertResult,
    LabelCreateItem,
    LabelCreateRequest,
    LabelCreateResult,
    LabelUnbindItem,
    LabelUnbindRequest,
    LabelUnbindResult,
    LabelMoveItem,
    LabelMoveRequest,
    LabelMoveResult,
    Error: ApiError,
    Task,
    TaskBlocked: Blocked,
    TaskForecast: Forecast,
    TaskItem,
    TaskItemPage,
    TaskPage,
    TaskCancelResult,
    TaskRetryResult,
    Ap,
    ApPage,
    Mismatch,
    MismatchPage,
    LabelHealth,
    LabelHealthPage,
    ...registrySchemas,
    ...WEBHOOK_SCHEMAS,
    ...COMMAND_SCHEMAS,
    PriceHistory,
    PriceHistoryEntry,
    QuietHoursRequest,
    ...auditSchemas,
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

const createLabelsPath = {
  post: {
    operationId: 'createLabels',
    tags: ['catalog'],
    summary: 'Create labels in their stores and bind each to its SKU, in bulk (scope prices:write)',
    description: `Up to ${MAX_BULK_ITEMS} items, all or nothing; errors name \`items[i].field\`. A label that exists in the same store is (re)bound; one in another store is an error. Labels bound to a priced product get their content in one task. Audit: one \`label.created\` record per store and Group ID, one \`label.bound\` per label.`,
    parameters: [idempotencyKey],
    requestBody: body('LabelCreateRequest'),
    responses: {
      200: json('LabelCreateResult', 'Written'),
      ...errors,
      ...idempotencyErrors,
    },
  },
};

const taskId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } };

export function openApiDocument(serverUrl = '/') {
  return {
    openapi: '3.1.0',
    info: {
      title: 'ESL platform API',
      version: '1',
      description:
        'Stores, products, labels and price changes for ERP, POS and installers; task results; APs; the MQTT registry. Prices are decimal strings, times ISO-8601 UTC. Interactive reference: /api/docs.',
    },
    servers: [{ url: serverUrl }],
    tags: [
      { name: 'catalog', description: 'Stores, products, labels and prices' },
      { name: 'tasks', description: 'The tasks that send content to labels, and their per-label results' },
      { name: 'devices', description: 'Smart APs and what labels display' },
      {
        name: 'registry',
        description: 'The MQTT registry: parent topics, Group IDs, credentials, tokens, sessions',
      },
      {
        name: 'audit',
        description: 'The hash-chained audit trail and the evidence for one SKU in one store',
      },
      { name: 'meta', description: 'This document' },
    ],
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/api/v1/price-changes': {
        post: {
          operationId: 'createPriceChanges',
          tags: ['catalog'],
          summary: 'Change prices in bulk (scope prices:write)',
          description:
            'Every entry is validated first; if any is wrong nothing is applied. Entries without effectiveAt are applied now in one transaction with one task; the others are scheduled. A bare array of entries is accepted too.',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: ref('PriceChangeRequest') } },
          },
          parameters: [idempotencyKey],
          responses: {
            201: json('PriceChangeResult', 'Applied and/or scheduled'),
            ...errors,
            ...idempotencyErrors,
          },
        },
      },
      '/api/v1/products': {
        post: {
          operationId: 'upsertProducts',
          tags: ['catalog'],
          summary: 'Create or update products by SKU, in bulk (scope prices:write)',
          description: `Up to ${MAX_BULK_ITEMS} items. Every item is validated first (errors name \`items[i].field\`); if any is wrong nothing is written. Existing SKUs are updated (an omitted unit or currency keeps its value); a change of name, unit or currency of a priced product creates one task re-sending its labels. One audit record per product created or changed.`,
          parameters: [idempotencyKey],
          requestBody: body('ProductUpsertRequest'),
          responses: {
            200: json('ProductUpsertResult', 'Written'),
            ...errors,
            ...idempotencyErrors,
          },
        },
        get: {
          operationId: 'listProducts',
          tags: ['catalog'],
          summary: 'Products with their price in each store (scope tasks:read or prices:write)',
          parameters: queryParams(ProductListQuery),
          responses: { 200: json('ProductList', 'A page of products, by SKU'), ...errors },
        },
      },
      '/api/v1/products/{sku}/price-history': {
        get: {
          operationId: 'getPriceHistory',
          tags: ['catalog'],
          summary:
            "A product's price history per store: every price state with when, who and the task or schedule that set it, and the shelf price as steps (scope tasks:read or prices:write)",
          description:
            'The lowest price of the 30 days before a running promotion (Omnibus) is computed from this history and answered as `lowestPrice30d` in GET /api/v1/products.',
          parameters: [
            {
              name: 'sku',
              in: 'path',
              required: true,
              schema: { type: 'string' },
              description: 'Product SKU',
            },
            ...queryParams(PriceHistoryQuery),
          ],
          responses: {
            200: json('PriceHistory', 'The history, newest entries first'),
            404: json('Error', 'No such product or store'),
            ...errors,
          },
        },
      },
      '/api/v1/stores/{code}/quiet-hours': {
        put: {
          operationId: 'setQuietHours',
          tags: ['catalog'],
          summary: "Set or remove a store's quiet hours (scope admin)",
          description:
            "Store-local times (the store's IANA zone, daylight saving included); `from` after `to` crosses midnight. Non-urgent items of the store wait until the window ends (the task diagnosis names them `quiet_hours` with the end); changes sent with `urgent: true` go at once. Audited as `store.quiet_hours_set`.",
          parameters: [
            {
              name: 'code',
              in: 'path',
              required: true,
              schema: { type: 'string' },
              description: 'Store code',
            },
          ],
          requestBody: body('QuietHoursRequest'),
          responses: {
            200: json('Store', 'The store with its quiet hours'),
            404: json('Error', 'No such store'),
            ...errors,
          },
        },
      },
      '/api/v1/stores': {
        post: {
          operationId: 'createStore',
          tags: ['catalog'],
          summary: 'Create a store (scope admin)',
          parameters: [idempotencyKey],
          requestBody: body('StoreCreateRequest'),
          responses: {
            201: json('Store', 'Created'),
            ...errors,
            ...idempotencyErrors,
          },
        },
        get: {
          operationId: 'listStores',
          tags: ['catalog'],
          summary: 'Store codes to use in price changes (scope tasks:read or prices:write)',
          parameters: queryParams(StoreListQuery),
          responses: { 200: json('StoreList', 'A page of stores, by code'), ...errors },
        },
      },
      '/api/v1/stores/{code}/groups': {
        post: {
          operationId: 'assignStoreGroup',
          tags: ['catalog'],
          summary: "Give a registered Group ID to a store: that group's APs serve its labels (scope admin)",
          parameters: [
            {
              name: 'code',
              in: 'path',
              required: true,
              schema: { type: 'string' },
              description: 'Store code',
            },
            idempotencyKey,
          ],
          requestBody: body('GroupAssignRequest'),
          responses: {
            200: json('Store', 'The store with its Group IDs'),
            404: json('Error', 'No such store'),
            409: json('Error', 'The Group ID belongs to another store, or the Idempotency-Key is in use'),
            422: idempotencyErrors[422],
            ...errors,
          },
        },
      },
      '/api/v1/labels/unbind': {
        post: {
          operationId: 'unbindLabels',
          tags: ['catalog'],
          summary: 'Unbind labels from their products, in bulk (scope prices:write)',
          description: `Up to ${MAX_BULK_ITEMS} items, all or nothing; errors name \`items[i].field\` (an unknown label too). One \`label.unbound\` audit record per label that was bound, naming its SKU and store.`,
          parameters: [idempotencyKey],
          requestBody: body('LabelUnbindRequest'),
          responses: { 200: json('LabelUnbindResult', 'Written'), ...errors, ...idempotencyErrors },
        },
      },
      '/api/v1/labels/move': {
        post: {
          operationId: 'moveLabels',
          tags: ['catalog'],
          summary:
            'Move labels to another store or Group ID and/or bind them to another product, in bulk (scope prices:write)',
          description: `Up to ${MAX_BULK_ITEMS} items, all or nothing; errors name \`items[i].field\`. A label ending bound to a product priced in its store gets its content in one task. Audit: \`label.moved\` (store or Group ID changed), else \`label.bound\` / \`label.unbound\`, one per label, with before and after.`,
          parameters: [idempotencyKey],
          requestBody: body('LabelMoveRequest'),
          responses: { 200: json('LabelMoveResult', 'Written'), ...errors, ...idempotencyErrors },
        },
      },
      '/api/v1/tasks': {
        get: {
          operationId: 'listTasks',
          tags: ['tasks'],
          summary:
            'Tasks, newest first, with item counts and, for running ones, their diagnosis (scope tasks:read)',
          parameters: queryParams(TaskListQuery),
          responses: { 200: json('TaskPage', 'A page of tasks'), ...errors },
        },
      },
      '/api/v1/tasks/{id}': {
        get: {
          operationId: 'getTask',
          tags: ['tasks'],
          summary:
            'A task with item counts per state and per AP, and for a running task what blocks its labels and how many will miss the deadline (scope tasks:read)',
          parameters: [taskId],
          responses: { 200: json('Task', 'The task'), 404: json('Error', 'No such task'), ...errors },
        },
      },
      '/api/v1/tasks/{id}/items': {
        get: {
          operationId: 'listTaskItems',
          tags: ['tasks'],
          summary: 'Per-label results of a task (scope tasks:read)',
          parameters: [taskId, ...queryParams(TaskItemListQuery)],
          responses: {
            200: json('TaskItemPage', 'One page of items'),
            404: json('Error', 'No such task'),
            ...errors,
          },
        },
      },
      '/api/v1/tasks/{id}/cancel': {
        post: {
          operationId: 'cancelTask',
          tags: ['tasks'],
          summary: 'Cancel a running task: its open items end as cancelled (scope prices:write)',
          parameters: [taskId, idempotencyKey],
          responses: {
            200: json('TaskCancelResult', 'Cancelled'),
            404: json('Error', 'No such task'),
            ...errors,
            ...idempotencyErrors,
            409: json('Error', 'The task has already finished, or the Idempotency-Key is in use'),
          },
        },
      },
      '/api/v1/tasks/{id}/retry': {
        post: {
          operationId: 'retryTask',
          tags: ['tasks'],
          summary:
            'A new task for the labels of this one that did not confirm (failed, timed out, or cancelled and not superseded), with the prices in force now (scope prices:write)',
          parameters: [taskId, idempotencyKey],
          responses: {
            201: json('TaskRetryResult', 'The new task'),
            404: json('Error', 'No such task'),
            ...errors,
            ...idempotencyErrors,
            409: json(
              'Error',
              'The task is still running, has no label to retry, or the Idempotency-Key is in use',
            ),
          },
        },
      },
      '/api/v1/aps': {
        get: {
          operationId: 'listAps',
          tags: ['devices'],
          summary: 'Smart APs with their store, connection and last status (scope tasks:read)',
          parameters: queryParams(ApListQuery),
          responses: {
            200: json('ApPage', 'A page of APs'),
            ...errors,
          },
        },
      },
      ...webhookPaths(errors, idempotencyKey),
      ...commandPaths({ json, body, errors, idempotencyKey }),
      '/api/v1/labels': {
        ...createLabelsPath,
        get: {
          operationId: 'listLabels',
          tags: ['devices'],
          summary:
            'Labels with their store, product and health: battery, signal, last seen, serving AP, displayed against expected content (scope tasks:read)',
          parameters: queryParams(LabelListQuery),
          responses: { 200: json('LabelHealthPage', 'A page of labels'), ...errors },
        },
      },
      '/api/v1/labels/mismatches': {
        get: {
          operationId: 'listMismatches',
          tags: ['devices'],
          summary: 'Labels whose displayed content differs from the price in force (scope tasks:read)',
          parameters: queryParams(MismatchListQuery),
          responses: {
            200: json('MismatchPage', 'A page of labels'),
            ...errors,
          },
        },
      },
      '/api/v1/labels/{labelId}/image': {
        get: {
          operationId: 'getLabelImage',
          tags: ['catalog'],
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
      ...registryPaths,
      ...auditPaths,
      '/api/v1/openapi.json': {
        get: {
          operationId: 'getOpenApiDocument',
          tags: ['meta'],
          summary: 'This document (no authentication needed)',
          security: [],
          responses: {
            200: { description: 'The OpenAPI 3.1 document', content: { 'application/json': {} } },
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
