// The answers of GET /api/v1/aps and GET /api/v1/labels/mismatches (devices-serializers.ts)
// as zod schemas, for the OpenAPI document. Times are ISO-8601 strings or null.
import { z } from 'zod';

const ts = z.string().meta({ format: 'date-time' }).nullable();
const paging = { total: z.number().int(), page: z.number().int(), pageSize: z.number().int() };

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
  ...paging,
  online: z.number().int().meta({ description: 'APs of the filter connected now' }),
  aps: z.array(Ap),
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

export const MismatchPage = z.object({ ...paging, labels: z.array(Mismatch) });
