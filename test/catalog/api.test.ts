import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import { makeLabels, makeProduct, makeStore, q, signedIn, startCatalogPlatform } from './support/fixtures.js';

let p: TestPlatform;
let admin: WebClient;
let writeKey: string;
let readKey: string;

async function issueKey(scopes: string) {
  const r = await admin.post('/admin/api-keys', { name: `erp-${scopes}`, scopes }, '/admin/api-keys');
  return /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
}
async function api(method: string, path: string, body?: unknown, key: string | null = writeKey) {
  const res = await fetch(p.baseUrl + path, {
    method,
    headers: {
      accept: 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const prices = () =>
  q<{ sku: string; code: string; price: string; promo_price: string | null }>(
    p,
    'SELECT pr.sku, s.code, p.price, p.promo_price FROM prices p JOIN products pr ON pr.id = p.product_id JOIN stores s ON s.id = p.store_id ORDER BY pr.sku, s.code',
  );

beforeAll(async () => {
  p = await startCatalogPlatform();
  admin = await signedIn(p, 'admin');
  const n1 = await makeStore(p, admin, 'N1');
  const n2 = await makeStore(p, admin, 'N2');
  await makeProduct(admin, 'API-1', 'Tea 500ml');
  await makeProduct(admin, 'API-2', 'Rice 5kg');
  await makeLabels(admin, n1, 'API-1', ['AL-1', 'AL-2']);
  await makeLabels(admin, n2, 'API-1', ['AL-3']);
  writeKey = await issueKey('prices:write');
  readKey = await issueKey('tasks:read');
});
afterAll(async () => {
  await p?.close();
});

describe('REST API: price changes', () => {
  it('applies a bulk list in one task and returns its id', async () => {
    const r = await api('POST', '/api/v1/price-changes', {
      changes: [
        { sku: 'API-1', store: 'N1', price: '12.30' },
        {
          sku: 'API-1',
          store: 'N2',
          price: '12.40',
          promoPrice: '9.99',
          promoTo: new Date(Date.now() + 3600_000).toISOString(),
        },
        { sku: 'API-2', store: 'N1', price: '88' },
      ],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ items: 3, applied: 3, scheduled: [] });
    expect(r.body.taskIds).toHaveLength(1);
    expect(await prices()).toEqual([
      { sku: 'API-1', code: 'N1', price: '12.30', promo_price: null },
      { sku: 'API-1', code: 'N2', price: '12.40', promo_price: '9.99' },
      { sku: 'API-2', code: 'N1', price: '88.00', promo_price: null },
    ]);
    const [t] = await q<{ source: string; created_by: string }>(
      p,
      'SELECT source, created_by FROM tasks WHERE id = ?',
      [r.body.taskIds[0]],
    );
    expect(t).toEqual({ source: 'api', created_by: 'apikey:erp-prices:write' });
    const task = await api('GET', `/api/v1/tasks/${r.body.taskIds[0]}`, undefined, readKey);
    expect(task.status).toBe(200);
    expect(task.body.items.total).toBe(3);
  });

  it('accepts a bare array and files effectiveAt entries for later', async () => {
    const when = new Date(Date.now() + 3600_000).toISOString();
    const r = await api('POST', '/api/v1/price-changes', [
      { sku: 'API-2', store: 'N2', price: '7.00', effectiveAt: when },
    ]);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ taskIds: [], applied: 0 });
    expect(r.body.scheduled).toHaveLength(1);
    const [s] = await q<{ state: string; price: string; effective_at: Date }>(
      p,
      'SELECT state, price, effective_at FROM price_schedules WHERE id = ?',
      [r.body.scheduled[0]],
    );
    expect(s).toEqual({ state: 'pending', price: '7.00', effective_at: new Date(when) });
    expect((await prices()).some((x) => x.sku === 'API-2' && x.code === 'N2')).toBe(false);
  });

  it('validates every entry first and names each bad entry and field; applies none', async () => {
    const before = await prices();
    const tasks = await q(p, 'SELECT id FROM tasks');
    const r = await api('POST', '/api/v1/price-changes', {
      changes: [
        { sku: 'API-1', store: 'N1', price: '1.00' }, // fine on its own
        { sku: 'API-1', store: 'N2', price: '-2' },
        { sku: 'NOPE', store: 'N1', price: '1.00' },
        { sku: 'API-2', store: 'ZZ', price: '1.00' },
        { sku: 'API-2', store: 'N1', price: 3.5 },
        { sku: 'API-2', store: 'N2', price: '1.999' },
        { sku: 'API-1', store: 'N1', price: '2.00' },
        { sku: 'API-2', store: 'N2', price: 'NaN', prise: '1' },
        { sku: 'API-2', store: 'N2', price: '1.00', promoPrice: '0.50' },
      ],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_input');
    expect(r.body.error.message).toContain('nothing was applied');
    const f = r.body.error.fields as Record<string, string>;
    expect(f['changes[1].price']).toContain('negative');
    expect(f['changes[2].sku']).toContain('unknown SKU "NOPE"');
    expect(f['changes[3].store']).toContain('unknown store "ZZ"');
    expect(f['changes[4].price']).toContain('decimal string');
    expect(f['changes[7]']).toContain('unknown field(s): prise');
    expect(f['changes[5].price']).toContain('more than 2 decimals');
    expect(f['changes[6].sku']).toContain('duplicate of changes[0]');
    expect(f['changes[8].promoTo']).toContain('needs an end time');
    expect(Object.keys(f).some((k) => k.startsWith('changes[0]'))).toBe(false);
    expect(await prices()).toEqual(before);
    expect(await q(p, 'SELECT id FROM tasks')).toEqual(tasks);
  });

  it('reports the remaining semantic problems once the shapes are right', async () => {
    const r = await api('POST', '/api/v1/price-changes', {
      changes: [
        { sku: 'API-1', store: 'N1', price: '1.00' },
        { sku: 'API-2', store: 'N2', price: '1.999' },
        { sku: 'API-1', store: 'n1', price: '2.00' },
        { sku: 'API-2', store: 'N1', price: 'NaN' },
        { sku: 'API-2', store: 'N2', price: '1.00', promoPrice: '0.50', effectiveAt: '2020-01-01T00:00:00Z' },
        {
          sku: 'API-1',
          store: 'N2',
          price: '1.00',
          promoPrice: '0.50',
          promoFrom: '2020-01-01T00:00:00Z',
          promoTo: '2020-02-01T00:00:00Z',
        },
      ],
    });
    expect(r.status).toBe(400);
    const f = r.body.error.fields as Record<string, string>;
    expect(f).toMatchObject({
      'changes[1].price': expect.stringContaining('more than 2 decimals'),
      'changes[2].sku': expect.stringContaining('duplicate of changes[0]'),
      'changes[3].price': expect.stringContaining('not a number'),
      'changes[4].promoTo': expect.stringContaining('needs an end time'),
      'changes[4].effectiveAt': expect.stringContaining('must be in the future'),
      'changes[5].promoTo': expect.stringContaining('a promotion that has ended'),
    });
  });

  it('refuses malformed bodies, missing keys and keys without the scope', async () => {
    const bad = await fetch(`${p.baseUrl}/api/v1/price-changes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: '{"changes": [',
    });
    expect(bad.status).toBe(400);
    expect((await api('POST', '/api/v1/price-changes', { changes: [] })).body.error.fields).toEqual({
      changes: 'send at least one change',
    });
    // Without a key the call is a browser-session call, which needs a session and a CSRF token.
    expect([401, 403]).toContain(
      (
        await api(
          'POST',
          '/api/v1/price-changes',
          { changes: [{ sku: 'API-1', store: 'N1', price: '1.00' }] },
          null,
        )
      ).status,
    );
    const forbidden = await api(
      'POST',
      '/api/v1/price-changes',
      { changes: [{ sku: 'API-1', store: 'N1', price: '1.00' }] },
      readKey,
    );
    expect(forbidden.status).toBe(403);
    expect((await prices()).find((x) => x.sku === 'API-1' && x.code === 'N1')!.price).toBe('12.30');
  });
});

describe('REST API: products and the OpenAPI document', () => {
  it('returns a product with its prices per store', async () => {
    const r = await api('GET', '/api/v1/products?sku=API-1', undefined, readKey);
    expect(r.status).toBe(200);
    expect(r.body.products).toHaveLength(1);
    expect(r.body.products[0]).toMatchObject({ sku: 'API-1', name: 'Tea 500ml', currency: 'CNY' });
    expect(
      r.body.products[0].prices.map((x: { store: string; price: string }) => [x.store, x.price]),
    ).toEqual([
      ['N1', '12.30'],
      ['N2', '12.40'],
    ]);
    expect(
      (await api('GET', '/api/v1/products?q=Ri', undefined, writeKey)).body.products.map(
        (x: { sku: string }) => x.sku,
      ),
    ).toEqual(['API-2']);
    expect((await api('GET', '/api/v1/products', undefined, null)).status).toBe(401);
    const stores = await api('GET', '/api/v1/stores', undefined, writeKey);
    expect(
      stores.body.stores.map((s: { code: string; groups: string[] }) => [s.code, s.groups.length]),
    ).toEqual([
      ['N1', 1],
      ['N2', 1],
    ]);
  });

  it('serves an OpenAPI 3.1 document whose references resolve and whose task shapes match the live API', async () => {
    const res = await fetch(`${p.baseUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/alerts',
      '/api/v1/aps',
      '/api/v1/audit',
      '/api/v1/audit/evidence',
      '/api/v1/label-commands/{id}',
      '/api/v1/labels',
      '/api/v1/labels/mismatches',
      '/api/v1/labels/move',
      '/api/v1/labels/unbind',
      '/api/v1/labels/{labelId}/commands',
      '/api/v1/labels/{labelId}/image',
      '/api/v1/openapi.json',
      '/api/v1/price-changes',
      '/api/v1/products',
      '/api/v1/products/{sku}/label-commands',
      '/api/v1/products/{sku}/price-history',
      '/api/v1/registry/access-keys',
      '/api/v1/registry/access-keys/{id}/permissions',
      '/api/v1/registry/access-keys/{id}/revoke',
      '/api/v1/registry/applications',
      '/api/v1/registry/applications/{id}/revoke',
      '/api/v1/registry/device-credentials',
      '/api/v1/registry/device-credentials/{id}/revoke',
      '/api/v1/registry/device-credentials/{id}/rotate',
      '/api/v1/registry/groups',
      '/api/v1/registry/groups/{groupId}',
      '/api/v1/registry/groups/{groupId}/class',
      '/api/v1/registry/instance',
      '/api/v1/registry/parent-topics',
      '/api/v1/registry/parent-topics/{name}',
      '/api/v1/registry/sessions/{clientId}',
      '/api/v1/registry/settings',
      '/api/v1/registry/tokens',
      '/api/v1/registry/tokens/{id}/revoke',
      '/api/v1/stores',
      '/api/v1/stores/{code}/groups',
      '/api/v1/stores/{code}/quiet-hours',
      '/api/v1/tasks',
      '/api/v1/tasks/{id}',
      '/api/v1/tasks/{id}/cancel',
      '/api/v1/tasks/{id}/items',
      '/api/v1/tasks/{id}/retry',
      '/api/v1/webhooks',
      '/api/v1/webhooks/{id}',
      '/api/v1/webhooks/{id}/deliveries',
      '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      '/api/v1/webhooks/{id}/resume',
      '/api/v1/webhooks/{id}/rotate-secret',
      '/api/v1/webhooks/{id}/test',
    ]);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1],
    );
    for (const r of refs) expect(doc.components.schemas[r], r).toBeDefined();
    expect(doc.components.schemas.PriceChangeEntry.required).toEqual(['sku', 'store', 'price']);

    const [t] = await q<{ id: string }>(p, 'SELECT id FROM tasks ORDER BY id LIMIT 1');
    const task = (await api('GET', `/api/v1/tasks/${t.id}`, undefined, readKey)).body;
    expect(Object.keys(task).sort()).toEqual(Object.keys(doc.components.schemas.Task.properties!).sort());
    const items = (await api('GET', `/api/v1/tasks/${t.id}/items`, undefined, readKey)).body;
    expect(Object.keys(items.items[0]).sort()).toEqual(
      Object.keys(doc.components.schemas.TaskItem.properties!).sort(),
    );
  });
});

describe('REST API: concurrent callers', () => {
  it('serialises overlapping bulk changes: every call succeeds and the audit shows each one', async () => {
    const auditBefore = (await q(p, "SELECT id FROM audit_log WHERE action = 'price.changed'")).length;
    const calls = Array.from({ length: 8 }, (_, i) =>
      api('POST', '/api/v1/price-changes', {
        changes: (i % 2 ? ['N1', 'N2'] : ['N2', 'N1']).flatMap((store) =>
          ['API-1', 'API-2'].map((sku) => ({ sku, store, price: `${20 + i}.00` })),
        ),
        // from the earlier tests' prices to 20.00 and more: a large change, confirmed
        confirm: true,
      }),
    );
    const results = await Promise.all(calls);
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect((await q(p, "SELECT id FROM audit_log WHERE action = 'price.changed'")).length).toBe(
      auditBefore + 32,
    );
    // What each row holds is what the last audit record for it says it was set to.
    for (const row of (await prices()).filter((x) => x.sku.startsWith('API'))) {
      const [a] = await q<{ after_json: string }>(
        p,
        "SELECT after_json FROM audit_log WHERE action = 'price.changed' AND object_id = ? ORDER BY id DESC LIMIT 1",
        [`${row.sku}@${row.code}`],
      );
      expect(JSON.parse(a.after_json).price, `${row.sku}@${row.code}`).toBe(row.price);
    }
  });
});
