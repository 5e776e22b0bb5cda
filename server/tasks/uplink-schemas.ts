// The AP's uplink messages (ap-protocol.md, v1), validated strictly: a message that breaks
// these shapes is not applied at all. Unknown fields are ignored (zod strips them).
import { z } from 'zod';

const id64 = z.string().min(1).max(64);
const hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

export const ackResultSchema = z.discriminatedUnion('status', [
  z.object({
    itemId: z.string().regex(/^[1-9][0-9]{0,19}$/),
    labelId: id64,
    status: z.literal('ok'),
    contentHash: hash,
  }),
  z.object({
    itemId: z.string().regex(/^[1-9][0-9]{0,19}$/),
    labelId: id64,
    status: z.literal('failed'),
    error: z.string().max(255).optional(),
  }),
]);

export const ackSchema = z.object({
  v: z.literal(1),
  type: z.literal('price.ack'),
  msgId: z.string().min(1).max(64),
  results: z.array(ackResultSchema).min(1).max(1000),
});

export const statusSchema = z.object({
  v: z.literal(1),
  type: z.literal('status'),
  ts: z.iso.datetime({ offset: true }),
  fw: z.string().max(64).optional(),
  /** what the AP can show besides fields, e.g. ["image/png"] (docs/ap-protocol-image.md) */
  caps: z.array(z.string().min(1).max(32)).max(16).optional(),
  labels: z
    .array(
      z.object({
        labelId: id64,
        battery: z.number().int().min(0).max(100_000).nullish(),
        rssi: z.number().int().min(-200).max(50).nullish(),
        contentHash: hash.nullish(),
        /** the label's model (label_models.code), for APs that know their labels' hardware */
        model: z.string().min(1).max(32).optional(),
      }),
    )
    .max(5000),
});

export type Ack = z.infer<typeof ackSchema>;
export type AckResult = z.infer<typeof ackResultSchema>;
export type Status = z.infer<typeof statusSchema>;

export class MalformedUplinkError extends Error {
  override name = 'MalformedUplinkError';
}

/** Parses a payload as JSON and checks it; the message says what was wrong, for the log. */
export function parseUplink<T>(schema: z.ZodType<T>, payload: string): T {
  return checkUplink(schema, parseJson(payload));
}

export function parseJson(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    throw new MalformedUplinkError('not valid JSON');
  }
}

/** Checks an uplink message already parsed from JSON. */
export function checkUplink<T>(schema: z.ZodType<T>, json: unknown): T {
  const r = schema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new MalformedUplinkError(`${first.path.join('.') || '(message)'}: ${first.message}`);
  }
  return r.data;
}
