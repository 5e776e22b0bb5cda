// Price sanity over a whole platform: a promotion not below the regular price, a price of 0 and a
// change larger than PRICE_CONFIRM_CHANGE_PERCENT are refused with 422 price_confirmation_required
// (each warning naming its entry) and nothing is applied, until the request confirms; the
// confirmed change is recorded as such. The CSV import preview shows the warnings and its
// confirm needs the confirmation box.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import { execute } from '../../server/db/query.js';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import { q, signedIn, startCatalogPlatform } from './support/fixtures.js';

let p: TestPlatform;
let key = '';
let op: WebClient;

async function api(body: unknown) {
  const res = await fetch(`${p.baseUrl}/api/v1/price-changes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const priceOf = async (sku: string) =>
  (
    await q<{ price: string }>(
      p,
      "SELECT pr.price FROM prices pr JOIN products x ON x.id = pr.product_id JOIN stores s ON s.id = pr.store_id WHERE x.sku = ? AND s.code = 'PS1'",
      [sku],
    )
  )[0]?.price;

beforeAll(async () => {
  p = await startCatalogPlatform({ PRICE_CONFIRM_CHANGE_PERCENT: '30' });
  key = (
    await new ApiKeysService(p.ctx.pool).issue(SYSTEM_ACTOR, null, {
      name: 'sanity',
      scopes: ['prices:write'],
    })
  ).key;
  op = await signedIn(p, 'operator');
  const s = await execute(p.ctx.pool, "INSERT INTO stores (code, name) VALUES ('PS1', 'Sanity store')");
  for (const sku of ['SAN-1', 'SAN-2', 'SAN-3']) {
    const r = await execute(p.ctx.pool, 'INSERT INTO products (sku, name) VALUES (?, ?)', [sku, sku]);
    await execute(p.ctx.pool, 'INSERT INTO prices (store_id, product_id, price) VALUES (?, ?, ?)', [
      s.insertId,
      r.insertId,
      '10.00',
    ]);
  }
});
afterAll(() => p?.close());

describe('price sanity', () => {
  it('answers 422 naming each warning of each entry, and applies nothing', async () => {
    const r = await api({
      changes: [
        { sku: 'SAN-1', store: 'PS1', price: '10.50' }, // fine: +5 %
        {
          sku: 'SAN-2',
          store: 'PS1',
          price: '10.00',
          promoPrice: '12.00',
          promoTo: new Date(Date.now() + 86_400_000).toISOString(),
        },
        { sku: 'SAN-3', store: 'PS1', price: '0' },
        {
          sku: 'SAN-1',
          store: 'PS1',
          price: '14.00',
          effectiveAt: new Date(Date.now() + 3_600_000).toISOString(),
        },
      ],
    });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('price_confirmation_required');
    expect(r.body.error.items.map((w: { index: number; code: string }) => [w.index, w.code])).toEqual([
      [1, 'promo_not_below_regular'],
      [2, 'zero_price'],
      [3, 'large_change'],
    ]);
    expect(r.body.error.items[2]).toMatchObject({ before: '10.00', after: '14.00', percent: 40, limit: 30 });
    expect(await priceOf('SAN-1')).toBe('10.00');
    expect(await q(p, 'SELECT id FROM price_schedules')).toEqual([]);
    expect(
      await q(p, "SELECT id FROM audit_log WHERE action IN ('price.changed', 'price.scheduled')"),
    ).toEqual([]);
  });

  it('applies them when the request confirms, and records the confirmation', async () => {
    const r = await api({ changes: [{ sku: 'SAN-3', store: 'PS1', price: '0.00' }], confirm: true });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(await priceOf('SAN-3')).toBe('0.00');
    const [a] = await q<{ after_json: string }>(
      p,
      "SELECT after_json FROM audit_log WHERE action = 'price.changed' AND object_id = 'SAN-3@PS1'",
    );
    expect(JSON.parse(a.after_json).confirmedWarnings).toEqual(['zero_price']);
    // a change without warnings carries no confirmation
    expect((await api({ changes: [{ sku: 'SAN-1', store: 'PS1', price: '10.20' }] })).status).toBe(201);
    const [b] = await q<{ after_json: string }>(
      p,
      "SELECT after_json FROM audit_log WHERE action = 'price.changed' AND object_id = 'SAN-1@PS1'",
    );
    expect(JSON.parse(b.after_json).confirmedWarnings).toBeUndefined();
  });

  it('the import preview shows the warnings, and its confirm needs the confirmation box', async () => {
    const up = await op.post(
      '/catalog/imports',
      { csv: 'sku,store,price\nSAN-2,PS1,30.00\n' },
      '/catalog/imports',
    );
    expect(up.status, up.text.slice(0, 300)).toBe(302);
    const preview = await op.get(up.location!);
    expect(preview.text).toContain('data-warning="large_change"');
    expect(preview.text).toContain('data-testid="confirm-warnings"');
    const hash = /name="hash" value="([0-9a-f]{64})"/.exec(preview.text)![1];
    const bare = await op.post(`${up.location}/confirm`, { hash });
    expect(bare.status).toBe(302);
    expect(await priceOf('SAN-2')).toBe('10.00');
    const again = await op.get(up.location!);
    expect(again.text).toContain('tick the confirmation');
    const confirmed = await op.post(`${up.location}/confirm`, { hash: hash, confirm: '1' });
    expect(confirmed.status).toBe(302);
    expect(await priceOf('SAN-2')).toBe('30.00');
  });
});
