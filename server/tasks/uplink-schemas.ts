// The AP's uplink messages (ap-protocol.md, v1), validated strictly: a message that breaks
// these shapes is not applied at all. Unknown fields are ignored (zod strips them).
import { z } from 'zod';

const id64 = z.string().min(1).max(64);
const HASH = /^[0-9a-f]{64}$/;
const ITEM_ID = /^[1-9][0-9]{0,19}$/;
const hash = z.string().regex(HASH, 'must be 64 lowercase hex digits');

export const ackResultSchema = z.discriminatedUnion('status', [
  z.object({
    itemId: z.string().regex(ITEM_ID),
    labelId: id64,
    status: z.literal('ok'),
    contentHash: hash,
  }),
  z.object({
    itemId: z.string().regex(ITEM_ID),
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

/**
 * A `price.ack` already parsed from JSON, checked against ackSchema. The acks of a task are the
 * uplink worker's bulk, so a well-formed one is checked by hand (the same rules, the result
 * shaped as zod shapes it: known fields only); anything the hand check does not accept goes to
 * zod, which accepts it or says what is wrong. The hand check accepts nothing zod refuses
 * (test/tasks/uplink-fast-path.test.ts holds it to that).
 */
export function checkAck(json: unknown): Ack {
  return fastAck(json) ?? checkUplink(ackSchema, json);
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isId64 = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 64;

/** ackSchema's rules by hand: the message as zod would return it, or null (zod then decides). */
export function fastAck(json: unknown): Ack | null {
  if (!isObject(json) || json.v !== 1 || json.type !== 'price.ack' || !isId64(json.msgId)) return null;
  const rs = json.results;
  if (!Array.isArray(rs) || rs.length < 1 || rs.length > 1000) return null;
  const results: AckResult[] = new Array(rs.length);
  for (let k = 0; k < rs.length; k++) {
    const r: unknown = rs[k];
    if (!isObject(r)) return null;
    const { itemId, labelId, status } = r;
    if (typeof itemId !== 'string' || !ITEM_ID.test(itemId) || !isId64(labelId)) return null;
    if (status === 'ok') {
      const contentHash = r.contentHash;
      if (typeof contentHash !== 'string' || !HASH.test(contentHash)) return null;
      results[k] = { itemId, labelId, status, contentHash };
    } else if (status === 'failed') {
      const error = r.error;
      // (a key present as undefined, which JSON cannot carry, is left to zod)
      if (error === undefined && !('error' in r)) results[k] = { itemId, labelId, status };
      else if (typeof error === 'string' && error.length <= 255)
        results[k] = { itemId, labelId, status, error };
      else return null;
    } else return null;
  }
  return { v: 1, type: 'price.ack', msgId: json.msgId, results };
}
