// The catalog API's shapes, as zod schemas: requests are checked with them and the
// OpenAPI document is generated from them (z.toJSONSchema), so the two cannot drift.
// Types only here; what a price or a time must look like is checked in price-input.ts.
import { z } from 'zod';
import { listQuery } from '../core/list-page.js';

const decimal = (what: string) =>
  z
    .string({ error: `${what} must be a decimal string like "3.50" (numbers in JSON lose cents)` })
    .meta({ examples: ['3.50'] });
const instant = (what: string) =>
  z
    .string({ error: `${what} must be an ISO-8601 time string` })
    .meta({ format: 'date-time', examples: ['2026-11-26T08:00:00Z'] });
const optional = <T extends z.ZodType>(s: T) => s.nullable().optional();

export const PriceChangeEntry = z
  .strictObject(
    {
      sku: z
        .string({ error: 'sku must be a string' })
        .meta({ description: 'Product SKU', examples: ['6901234567890'] }),
      store: z
        .string({ error: 'store must be a string' })
        .meta({ description: 'Store code', examples: ['S001'] }),
      price: decimal('price').meta({ description: 'Regular price: 0 to 99999999.99, at most 2 decimals' }),
      promoPrice: optional(decimal('promoPrice')).meta({
        description: 'Promotion price; needs promoTo. Omit to end any running promotion.',
      }),
      promoFrom: optional(instant('promoFrom')).meta({
        description: 'Promotion start (default: now or effectiveAt)',
      }),
      promoTo: optional(instant('promoTo')).meta({
        description: 'Promotion end: the price reverts by itself then',
      }),
      effectiveAt: optional(instant('effectiveAt')).meta({
        description: 'Apply later (must be in the future); omit to apply now',
      }),
    },
    {
      error: (i) =>
        i.code === 'unrecognized_keys'
          ? `unknown field(s): ${i.keys.join(', ')}`
          : 'each change must be an object',
    },
  )
  .meta({ id: 'PriceChangeEntry', description: 'The new price state of one product in one store' });

export const MAX_API_CHANGES = 5000;

const changesArray = <T extends z.ZodType>(item: T) =>
  z
    .array(item, { error: 'changes must be an array' })
    .min(1, 'send at least one change')
    .max(MAX_API_CHANGES, `at most ${MAX_API_CHANGES} changes per call`);
const note = z
  .string({ error: 'note must be a string' })
  .max(200)
  .optional()
  .meta({ description: 'Shown on the task and in the audit trail' });

/** The request checked before its entries: each entry is then checked on its own, so every bad one is named. */
export const PriceChangeEnvelope = z.object(
  { changes: changesArray(z.unknown()), note },
  { error: 'send {"changes": [...]} or an array' },
);

export const PriceChangeRequest = z
  .object({
    changes: changesArray(PriceChangeEntry),
    note,
  })
  .meta({
    id: 'PriceChangeRequest',
    description: 'All entries are validated first; if any is wrong, nothing is applied.',
  });

export const PriceChangeResult = z
  .object({
    taskIds: z
      .array(z.string())
      .meta({ description: 'Tasks created for the changes applied now (empty when no label shows them)' }),
    items: z.number().int().meta({ description: 'Labels the task updates' }),
    applied: z.number().int(),
    scheduled: z.array(z.string()).meta({ description: 'Ids of changes filed for later' }),
  })
  .meta({ id: 'PriceChangeResult' });

const StorePrice = z.object({
  store: z.string(),
  price: z.string(),
  promoPrice: z.string().nullable(),
  promoFrom: z.string().nullable(),
  promoTo: z.string().nullable(),
  updatedAt: z.string(),
});

export const Product = z
  .object({
    sku: z.string(),
    name: z.string(),
    unit: z.string(),
    currency: z.string(),
    prices: z.array(StorePrice),
  })
  .meta({ id: 'Product' });

export const ProductList = z
  .object({
    products: z.array(Product).meta({ description: 'By SKU' }),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'The next page: pass as `cursor`; null on the last' }),
  })
  .meta({ id: 'ProductList' });

export const StoreList = z
  .object({
    stores: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        timeZone: z.string(),
        timezone: z.string().meta({ deprecated: true, description: 'Same as timeZone' }),
        currency: z.string(),
        groups: z.array(z.string()).meta({ description: 'Group IDs of the APs serving the store' }),
      }),
    ),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'The next page: pass as `cursor`; null on the last' }),
  })
  .meta({ id: 'StoreList' });

/** The query of GET /api/v1/products: checked with this in the route, and documented from it. */
export const ProductListQuery = listQuery({
  sku: z.string({ error: 'give one SKU' }).optional().meta({ description: 'Exact SKU' }),
  q: z
    .string({ error: 'give one search text' })
    .max(100, 'at most 100 characters')
    .optional()
    .meta({ description: 'SKU prefix or part of the name' }),
});

/** The query of GET /api/v1/stores. */
export const StoreListQuery = listQuery({
  code: z
    .string({ error: 'give one store code' })
    .max(32, 'at most 32 characters')
    .optional()
    .meta({ description: 'Exact store code' }),
  group: z
    .string({ error: 'give one Group ID' })
    .max(64, 'at most 64 characters')
    .optional()
    .meta({ description: 'The store of this Group ID' }),
});

export const ApiError = z
  .object({
    error: z.object({
      code: z.string().meta({ examples: ['invalid_input'] }),
      message: z.string(),
      fields: z
        .record(z.string(), z.string())
        .optional()
        .meta({ description: 'Per entry and field, e.g. "changes[3].price": "\\"-1\\" is negative"' }),
      requestId: z.string(),
    }),
  })
  .meta({ id: 'Error' });
