// The signature of a delivery: HMAC-SHA256 over `${timestamp}.${body}` with the endpoint's
// secret, sent as `X-ESL-Signature: t=<unix seconds>,v1=<hex>` (docs/webhooks.md).
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'X-ESL-Signature';
export const DELIVERY_HEADER = 'X-ESL-Delivery';
export const EVENT_HEADER = 'X-ESL-Event';

export function signatureHeader(secret: string, body: string, timestamp: number): string {
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** A receiver's check (the tests' receiver uses it; docs/webhooks.md shows the same in plain Node). */
export function verifySignature(
  secret: string,
  body: string,
  header: string | undefined,
  toleranceSeconds = 300,
  now = Date.now(),
): boolean {
  if (!header) return false;
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now / 1000 - t) > toleranceSeconds || !/^[0-9a-f]{64}$/.test(v1))
    return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}

/** A new signing secret: `whsec_` and 32 random bytes. */
export function newSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}
