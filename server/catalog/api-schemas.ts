// The catalog API's shapes, as zod schemas: requests are checked with them and the
// OpenAPI document is generated from them (z.toJSONSchema), so the two cannot drift.
// Types only here; what a price or a time must look like is checked in price-input.ts.
import { z } from 'zod';
import { PRICE_HISTORY_REASONS } from './states.js';
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
      urgent: z
        .boolean({ error: 'urgent must be true or false' })
        .optional()
        .meta({ description: "Send at once, even during the store's quiet hours (default false)" }),
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
const confirm = z.boolean().optional().meta({
  description:
    'Apply changes that raise price warnings (a promotion not below the regular price, a price of 0, a change larger than PRICE_CONFIRM_CHANGE_PERCENT); without it such a request answers 422 price_confirmation_required listing items[i] warnings',
});

export const PriceChangeEnvelope = z.object(
  { changes: changesArray(z.unknown()), note, confirm },
  { error: 'send {"changes": [...]} or an array' },
);

export const PriceChangeRequest = z
  .object({
    changes: changesArray(PriceChangeEntry),
    note,
    confirm,
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
  lowestPrice30d: z.string().nullable().meta({
    description:
      'During a promotion: the lowest price of the 30 days before it started (Omnibus), from the price history; null without a promotion or without any price known then',
  }),
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
        quietHours: z
          .object({ from: z.string(), to: z.string() })
          .nullable()
          .meta({ description: "Quiet hours in the store's local time (non-urgent updates wait), or null" }),
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

/** The query of GET /api/v1/products/{sku}/price-history. */
export const PriceHistoryQuery = z.object({
  store: z
    .string({ error: 'give one store code' })
    .optional()
    .meta({ description: 'Only this store (its code)' }),
  limit: z.coerce
    .number({ error: 'must be a whole number from 1 to 1000' })
    .int('must be a whole number from 1 to 1000')
    .min(1, 'must be a whole number from 1 to 1000')
    .max(1000, 'must be a whole number from 1 to 1000')
    .default(200)
    .meta({ description: 'The newest states at most, over all stores' }),
});

const ts = z.string().meta({ format: 'date-time' });

export const PriceHistoryEntry = z
  .object({
    validFrom: ts.meta({ description: 'From when this state was in force (until the next entry)' }),
    price: z.string(),
    promoPrice: z.string().nullable(),
    promoFrom: ts.nullable(),
    promoTo: ts.nullable(),
    reason: z.enum(PRICE_HISTORY_REASONS).meta({
      description:
        'initial: the state when history began; change: a price change (form, API, import, schedule); promo_start, promo_end: a promotion beginning or ending',
    }),
    source: z.string().meta({ description: 'ui, api, import, schedule, promotion or initial' }),
    taskId: z
      .string()
      .nullable()
      .meta({ description: 'The task that sent it to the labels, if any label showed it' }),
    scheduleId: z.string().nullable(),
    actor: z.string().meta({ description: 'Who: a user, an API key, or schedule:<id>' }),
  })
  .meta({ id: 'PriceHistoryEntry' });

export const PriceHistory = z
  .object({
    sku: z.string(),
    currency: z.string(),
    stores: z.array(
      z.object({
        store: z.string(),
        entries: z.array(PriceHistoryEntry).meta({ description: 'Newest first' }),
        steps: z
          .array(
            z.object({
              from: ts,
              to: ts.nullable().meta({ description: 'null: still in force' }),
              price: z.string(),
              promo: z.boolean(),
            }),
          )
          .meta({ description: 'The shelf price over time, oldest first, promotions split at their edges' }),
      }),
    ),
  })
  .meta({ id: 'PriceHistory' });

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
