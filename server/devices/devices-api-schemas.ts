// The answers of GET /api/v1/aps and GET /api/v1/labels/mismatches (devices-serializers.ts)
// as zod schemas, for the OpenAPI document. Times are ISO-8601 strings or null.
import { z } from 'zod';
import { listQuery } from '../core/list-page.js';

const ts = z.string().meta({ format: 'date-time' }).nullable();
const next = { nextCursor: z.string().nullable().meta({ description: 'The next page: pass as `cursor`' }) };
const storeId = z.coerce
  .number({ error: 'must be a store id' })
  .int('must be a store id')
  .min(1, 'must be a store id')
  .optional()
  .meta({ description: 'Store id' });

export const ApListQuery = listQuery({
  store: storeId,
  group: z
    .string({ error: 'give one Group ID' })
    .max(64, 'a Group ID has at most 64 characters')
    .optional()
    .meta({ description: 'Group ID' }),
  online: z.enum(['yes', 'no'], { error: 'must be yes or no' }).optional(),
  q: z
    .string({ error: 'give one text' })
    .max(64, 'at most 64 characters')
    .optional()
    .meta({ description: 'Part of the Client ID' }),
});

export const MismatchListQuery = listQuery({ store: storeId });

export const Ap = z.object({
  clientId: z.string(),
  groupId: z.string(),
  deviceId: z.string(),
  storeId: z.number().int().nullable(),
  storeCode: z.string().nullable(),
  online: z.boolean(),
  ip: z.string().nullable(),
  brokerNode: z.string().nullable(),
  connectedAt: ts,
  disconnectedAt: ts,
  disconnectReason: z.string().nullable(),
  lastSeenAt: ts,
  takeovers: z.number().int(),
  firmware: z.string().nullable(),
  lastStatusAt: ts,
  labelsReported: z.number().int(),
});

export const ApPage = z.object({
  total: z.number().int().meta({ description: 'APs of the filter' }),
  online: z.number().int().meta({ description: 'APs of the filter connected now' }),
  aps: z.array(Ap).meta({ description: 'By Client ID' }),
  ...next,
});

export const Mismatch = z.object({
  labelId: z.string(),
  storeId: z.number().int(),
  storeCode: z.string(),
  groupId: z.string(),
  sku: z.string(),
  name: z.string(),
  price: z.string().meta({ description: 'The price in force' }),
  displayedHash: z.string(),
  expectedHash: z.string(),
  lastAp: z.string().nullable(),
  apOnline: z
    .boolean()
    .nullable()
    .meta({ description: 'Whether that AP is connected now; null: unknown AP' }),
  lastStatusAt: ts,
  displayedPrice: z.string().nullable().meta({
    description:
      'The price the label shows, when a task of ours put that content there; null: unknown content',
  }),
  displayedPromo: z.string().nullable(),
  displayedImage: z.boolean().meta({
    description:
      'The displayed hash is that of a rendered image (an image-capable AP): /render/images/{displayedHash}.png shows it to a signed-in user',
  }),
  pendingTask: z.string().nullable().meta({ description: 'An open task item on its way to this label' }),
});

export const MismatchPage = z.object({
  labels: z.array(Mismatch).meta({ description: 'By label id' }),
  ...next,
});

const csv = (max: number, what: string) =>
  z
    .string({ error: `give ${what} once, comma-separated` })
    .max(max * 66)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .refine((a) => a.length <= max, `at most ${max}`);

/** The query of GET /api/v1/labels. */
export const LabelListQuery = listQuery({
  store: z
    .string({ error: 'give one store code' })
    .max(32, 'at most 32 characters')
    .optional()
    .meta({ description: 'Store code' }),
  group: z
    .string({ error: 'give one Group ID' })
    .max(64, 'at most 64 characters')
    .optional()
    .meta({ description: 'Group ID' }),
  sku: z
    .string({ error: 'give one SKU' })
    .max(64, 'at most 64 characters')
    .optional()
    .meta({ description: 'Bound to this SKU' }),
  ap: z
    .string({ error: 'give one Client ID' })
    .max(64, 'at most 64 characters')
    .optional()
    .meta({ description: 'Served by this AP' }),
  labelId: csv(1000, 'labelId')
    .optional()
    .meta({ description: 'These labels only: up to 1,000 label ids, comma-separated' }),
  bound: z.enum(['yes', 'no'], { error: 'must be yes or no' }).optional(),
  inSync: z
    .enum(['yes', 'no'], { error: 'must be yes or no' })
    .optional()
    .meta({ description: 'yes: displays what it should; no: anything else (unknown, outdated, unbound)' }),
});

export const LabelHealth = z.object({
  labelId: z.string(),
  store: z.string().meta({ description: 'Store code' }),
  groupId: z.string(),
  sku: z.string().nullable().meta({ description: 'The product it is bound to; null: unbound' }),
  boundAt: ts,
  batteryMv: z.number().int().nullable().meta({ description: 'Battery as last reported, millivolts' }),
  rssi: z.number().int().nullable().meta({ description: 'Signal as last reported, dBm' }),
  lastSeenAt: ts.meta({ description: 'Last status report naming the label' }),
  lastConfirmedAt: ts,
  servingAp: z
    .string()
    .nullable()
    .meta({ description: 'Client ID of the AP that last reported or confirmed it' }),
  servingApOnline: z
    .boolean()
    .nullable()
    .meta({ description: 'Whether that AP is connected now; null: none' }),
  displayedHash: z
    .string()
    .nullable()
    .meta({ description: 'What it displays, as last reported or confirmed' }),
  expectedHash: z.string().nullable().meta({
    description: 'What it should display: the content hash of the price in force; null without a price',
  }),
  inSync: z.boolean().meta({ description: 'It displays the expected content (or its rendered image)' }),
});

export const LabelHealthPage = z.object({
  labels: z.array(LabelHealth).meta({ description: 'By label id' }),
  nextCursor: z.string().nullable(),
});
