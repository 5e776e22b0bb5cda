// Shapes of the catalog's write API (stores, products in bulk, labels in bulk), as zod schemas:
// requests are checked with them and the OpenAPI document is generated from them. Field rules
// (what a SKU or a time zone must look like) are the forms' own, from schemas.ts.
import { z } from 'zod';
import {
  currencySchema,
  labelIdSchema,
  nameSchema,
  skuSchema,
  storeCode,
  storeNameSchema,
  timezoneSchema,
  unitSchema,
} from './schemas.js';

export const MAX_BULK_ITEMS = 5000;

const strict = <T extends z.ZodRawShape>(shape: T, what: string) =>
  z.strictObject(shape, {
    error: (i) =>
      i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : `${what} must be an object`,
  });

const groupIdSchema = z
  .string({ error: 'groupId must be a string' })
  .regex(/^GID[_-][a-zA-Z0-9_-]{3,60}$/, 'a Group ID: GID_ or GID- and 3-60 letters, digits, - or _')
  .meta({ examples: ['GID_S001_A'] });

export const StoreCreateRequest = strict(
  {
    code: storeCode.meta({ description: 'Store code, unique', examples: ['S001'] }),
    name: storeNameSchema.meta({ examples: ['Xuhui Road'] }),
    timeZone: timezoneSchema.meta({ description: 'IANA time zone', examples: ['Asia/Shanghai'] }),
    currency: currencySchema.optional().meta({ description: 'ISO 4217, default CNY', examples: ['CNY'] }),
  },
  'the request',
).meta({ id: 'StoreCreateRequest' });

const QuietHours = z.object({
  from: z.string().meta({ examples: ['22:00'] }),
  to: z.string().meta({ examples: ['07:00'] }),
});

export const Store = z
  .object({
    code: z.string(),
    name: z.string(),
    timeZone: z.string(),
    currency: z.string(),
    groups: z.array(z.string()).meta({ description: 'Group IDs of the APs serving the store' }),
    quietHours: QuietHours.nullable().meta({
      description: "The store's quiet hours in its local time, or null for none",
    }),
  })
  .meta({ id: 'Store' });

export const QuietHoursRequest = strict(
  {
    from: z
      .string({ error: 'a time of day like "22:00", or null' })
      .nullable()
      .meta({
        description: 'Start, store-local 24-hour clock; null (both) turns quiet hours off',
        examples: ['22:00'],
      }),
    to: z
      .string({ error: 'a time of day like "07:00", or null' })
      .nullable()
      .meta({
        description: 'End (exclusive); before the start = the window crosses midnight',
        examples: ['07:00'],
      }),
  },
  'the request',
).meta({
  id: 'QuietHoursRequest',
  description:
    "During the window (store-local time, DST-correct) the store's non-urgent label updates wait until it ends; urgent changes go at once.",
});

export const GroupAssignRequest = strict(
  { groupId: groupIdSchema.meta({ description: 'A registered Group ID that belongs to no other store' }) },
  'the request',
).meta({ id: 'GroupAssignRequest' });

export const ProductUpsertItem = strict(
  {
    sku: skuSchema.meta({ examples: ['6901234567890'] }),
    name: nameSchema.meta({ examples: ['Cola 330ml'] }),
    unit: unitSchema.optional().meta({ description: 'Default "pcs" for a new product', examples: ['pcs'] }),
    currency: currencySchema.optional().meta({ description: 'ISO 4217, default CNY for a new product' }),
  },
  'each item',
).meta({ id: 'ProductUpsertItem', description: 'A product by SKU: created, or updated when it exists' });

const itemsOf = (item: z.ZodType) =>
  z
    .array(item, { error: 'items must be an array' })
    .min(1, 'send at least one item')
    .max(MAX_BULK_ITEMS, `at most ${MAX_BULK_ITEMS} items per call`);

export const ProductUpsertRequest = z.object({ items: itemsOf(ProductUpsertItem) }).meta({
  id: 'ProductUpsertRequest',
  description: 'All items are checked first; if any is wrong, nothing is written.',
});

export const ProductUpsertResult = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    taskIds: z.array(z.string()).meta({
      description: 'Tasks updating the labels of renamed or re-unitised products that have a price',
    }),
  })
  .meta({ id: 'ProductUpsertResult' });

export const LabelCreateItem = strict(
  {
    labelId: labelIdSchema.meta({ examples: ['ESL-0A1B2C3D'] }),
    store: storeCode.meta({ description: 'Store code', examples: ['S001'] }),
    sku: skuSchema
      .nullable()
      .optional()
      .meta({ description: 'Product to bind the label to; null or omitted leaves it unbound' }),
    groupId: groupIdSchema.optional().meta({
      description: "The store's Group ID serving the label; needed only when the store has several",
    }),
  },
  'each item',
).meta({ id: 'LabelCreateItem' });

export const LabelCreateRequest = z.object({ items: itemsOf(LabelCreateItem) }).meta({
  id: 'LabelCreateRequest',
  description:
    'Creates each label in its store and binds it to its SKU; an existing label of the same store is (re)bound. All or nothing.',
});

export const LabelCreateResult = z
  .object({
    created: z.number().int(),
    bound: z.number().int(),
    taskIds: z.array(z.string()).meta({ description: 'The task sending the bound labels their content' }),
  })
  .meta({ id: 'LabelCreateResult' });

/** The envelope, checked before its entries so that every bad entry can be named on its own. */
export const ItemsEnvelope = z.object({ items: itemsOf(z.unknown()) }, { error: 'send {"items": [...]}' });

export const LabelUnbindItem = strict(
  { labelId: labelIdSchema.meta({ examples: ['ESL-0A1B2C3D'] }) },
  'each item',
).meta({ id: 'LabelUnbindItem' });

export const LabelUnbindRequest = z.object({ items: itemsOf(LabelUnbindItem) }).meta({
  id: 'LabelUnbindRequest',
  description: 'Unbinds each label from its product. All or nothing.',
});

export const LabelUnbindResult = z
  .object({
    unbound: z.number().int(),
    unchanged: z.number().int().meta({ description: 'Labels that were bound to nothing already' }),
  })
  .meta({ id: 'LabelUnbindResult' });

export const LabelMoveItem = strict(
  {
    labelId: labelIdSchema.meta({ examples: ['ESL-0A1B2C3D'] }),
    store: storeCode.optional().meta({ description: 'Store code to move the label to; omitted: it stays' }),
    groupId: groupIdSchema.optional().meta({
      description: "The target store's Group ID serving the label; needed only when that store has several",
    }),
    sku: skuSchema
      .nullable()
      .optional()
      .meta({ description: 'Product to bind it to; null unbinds it; omitted keeps its product' }),
  },
  'each item',
).meta({ id: 'LabelMoveItem', description: 'Give at least one of store, groupId, sku' });

export const LabelMoveRequest = z.object({ items: itemsOf(LabelMoveItem) }).meta({
  id: 'LabelMoveRequest',
  description:
    'Moves each label to another store (and Group ID) and/or binds it to another product. All or nothing; errors name items[i].field.',
});

export const LabelMoveResult = z
  .object({
    moved: z.number().int().meta({ description: 'Labels now in another store or Group ID' }),
    rebound: z.number().int().meta({ description: 'Labels now bound to another product (or unbound)' }),
    unchanged: z.number().int(),
    taskIds: z.array(z.string()).meta({ description: 'The task sending the labels their new content' }),
  })
  .meta({ id: 'LabelMoveResult' });
