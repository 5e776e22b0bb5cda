// The catalog's write API as an ERP or installer uses it, with one admin API key: create a
// store, give it a Group ID, upsert 1,000 products, create and bind 1,000 labels, change their
// prices. Bulk calls are all or nothing and name every bad entry as items[i].field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import { uid } from '../support/env.js';
import { q, signedIn, startCatalogPlatform } from './support/fixtures.js';

let p: TestPlatform;
let admin: WebClient;
let adminKey: string;
let writeKey: string;
const N = 1000;
const code = `W${uid(2)}`;
const group = `GID_${code}_A`;
const sku = (i: number) => `WSKU-${String(i).padStart(4, '0')}`;

async function issueKey(scopes: string) {
  const r = await admin.post('/admin/api-keys', { name: `erp-${scopes}`, scopes }, '/admin/api-keys');
  return /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
}
async function api(method: string, path: string, body?: unknown, key = adminKey) {
  const res = await fetch(p.baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const n = async (sql: string, args: unknown[] = []) => Number((await q<{ n: string }>(p, sql, args))[0].n);
const audits = (action: string) => n('SELECT COUNT(*) AS n FROM audit_log WHERE action = ?', [action]);

beforeAll(async () => {
  p = await startCatalogPlatform();
  admin = await signedIn(p, 'admin');
  adminKey = await issueKey('admin');
  writeKey = await issueKey('prices:write');
});
afterAll(async () => {
  await p?.close();
});

describe('catalog write API', () => {
  it('creates a store, assigns a Group ID, upserts 1,000 products, creates and binds 1,000 labels, changes their prices', async () => {
    const store = await api('POST', '/api/v1/stores', {
      code,
      name: 'Xuhui Road',
      timeZone: 'Asia/Shanghai',
    });
    expect(store.status, JSON.stringify(store.body)).toBe(201);
    expect(store.body).toEqual({
      code,
      name: 'Xuhui Road',
      timeZone: 'Asia/Shanghai',
      currency: 'CNY',
      groups: [],
      quietHours: null,
    });
    expect(await audits('store.created')).toBe(1);

    expect((await api('POST', '/api/v1/registry/groups', { groupId: group })).status).toBe(201);
    const assigned = await api('POST', `/api/v1/stores/${code}/groups`, { groupId: group });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    expect(assigned.body.groups).toEqual([group]);

    const items = Array.from({ length: N }, (_v, i) => ({
      sku: sku(i),
      name: `Product ${i}`,
      unit: 'pcs',
      currency: 'CNY',
    }));
    const products = await api('POST', '/api/v1/products', { items });
    expect(products.status, JSON.stringify(products.body).slice(0, 300)).toBe(200);
    expect(products.body).toEqual({ created: N, updated: 0, unchanged: 0, taskIds: [] });
    expect(await n('SELECT COUNT(*) AS n FROM products')).toBe(N);
    expect(await audits('product.created')).toBe(N);

    const labels = await api('POST', '/api/v1/labels', {
      items: Array.from({ length: N }, (_v, i) => ({ labelId: `WL-${i}`, store: code, sku: sku(i) })),
    });
    expect(labels.status, JSON.stringify(labels.body).slice(0, 300)).toBe(200);
    expect(labels.body).toEqual({ created: N, bound: N, taskIds: [] }); // no prices yet: nothing to show
    expect(
      await n(
        'SELECT COUNT(*) AS n FROM labels l JOIN products pr ON pr.id = l.product_id WHERE l.group_id = ? AND pr.sku = CONCAT(?, LPAD(SUBSTRING(l.label_id, 4), 4, ?))',
        [group, 'WSKU-', '0'],
      ),
    ).toBe(N);
    expect(await audits('label.bound')).toBe(N);

    const prices = await api(
      'POST',
      '/api/v1/price-changes',
      { changes: Array.from({ length: N }, (_v, i) => ({ sku: sku(i), store: code, price: '9.90' })) },
      writeKey,
    );
    expect(prices.status).toBe(201);
    expect(prices.body.taskIds).toHaveLength(1);
    expect(prices.body.items).toBe(N);

    // An upsert that renames one priced product re-sends its label in one task; the rest are unchanged.
    const again = await api(
      'POST',
      '/api/v1/products',
      { items: items.map((it, i) => (i === 7 ? { ...it, name: 'Renamed 7' } : it)) },
      writeKey,
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: 0, updated: 1, unchanged: N - 1 });
    expect(again.body.taskIds).toHaveLength(1);
    const [t] = await q<{ n: string }>(p, 'SELECT COUNT(*) AS n FROM task_items WHERE task_id = ?', [
      again.body.taskIds[0],
    ]);
    expect(Number(t.n)).toBe(1);
    const [rec] = await q<{ refs: string }>(
      p,
      "SELECT refs FROM audit_log WHERE action = 'product.updated' AND object_id = ?",
      [sku(7)],
    );
    expect(rec.refs).toContain(again.body.taskIds[0]);

    // Binding an existing label of the store to another SKU is a rebind with its own task.
    const rebind = await api('POST', '/api/v1/labels', {
      items: [{ labelId: 'WL-1', store: code, sku: sku(2) }],
    });
    expect(rebind.body).toMatchObject({ created: 0, bound: 1 });
    expect(rebind.body.taskIds).toHaveLength(1);
  });

  it('writes no product when any entry is wrong, and names each bad entry and field', async () => {
    const before = await n('SELECT COUNT(*) AS n FROM products');
    const r = await api(
      'POST',
      '/api/v1/products',
      {
        items: [
          { sku: 'NEW-1', name: 'Fine' },
          { sku: 'NEW-2', name: 'Fine too', currency: 'CNY' },
          { sku: 'bad sku!', name: 'x' },
          { sku: 'NEW-3', name: 'x', colour: 'red' },
          { sku: 'NEW-1', name: 'Twice' },
          { sku: 'NEW-4' },
        ],
      },
      writeKey,
    );
    expect(r.status).toBe(400);
    expect(Object.keys(r.body.error.fields).sort()).toEqual(
      ['items[2].sku', 'items[3]', 'items[4].sku', 'items[5].name'].sort(),
    );
    expect(r.body.error.fields['items[3]']).toContain('colour');
    expect(r.body.error.fields['items[4].sku']).toBe('repeats items[0].sku');
    expect(await n('SELECT COUNT(*) AS n FROM products')).toBe(before);

    const tooMany = await api('POST', '/api/v1/products', { items: [] }, writeKey);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.fields.items).toBe('send at least one item');
  });

  it('creates no label when any entry is wrong, and names each bad entry and field', async () => {
    const before = await n('SELECT COUNT(*) AS n FROM labels');
    const r = await api(
      'POST',
      '/api/v1/labels',
      {
        items: [
          { labelId: 'OK-1', store: code, sku: sku(1) },
          { labelId: 'OK-2', store: 'NOPE', sku: sku(1) },
          { labelId: 'OK-3', store: code, sku: 'NO-SUCH-SKU' },
          { labelId: 'OK-1', store: code },
          { labelId: 'OK-4', store: code, groupId: 'GID_not_this_store' },
          { labelId: 'bad id', store: code },
        ],
      },
      writeKey,
    );
    expect(r.status).toBe(400);
    expect(r.body.error.fields).toEqual({
      'items[1].store': 'unknown store "NOPE"',
      'items[2].sku': 'unknown SKU "NO-SUCH-SKU"',
      'items[3].labelId': 'repeats items[0].labelId',
      'items[4].groupId': `not a Group ID of store ${code}`,
      'items[5].labelId': '1-64 letters, digits, - or _',
    });
    expect(await n('SELECT COUNT(*) AS n FROM labels')).toBe(before);

    // A store without a Group ID is named too, with the call that fixes it.
    expect(
      (await api('POST', '/api/v1/stores', { code: `${code}X`, name: 'No group', timeZone: 'UTC' })).status,
    ).toBe(201);
    const nogroup = await api('POST', '/api/v1/labels', { items: [{ labelId: 'NG-1', store: `${code}X` }] });
    expect(nogroup.status).toBe(400);
    expect(nogroup.body.error.fields['items[0].groupId']).toContain(`/api/v1/stores/${code}X/groups`);
  });

  it('checks stores: fields named, duplicates refused, admin scope needed', async () => {
    const bad = await api('POST', '/api/v1/stores', { code: 'x y', name: '', timeZone: 'Mars/Olympus' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(['code', 'name', 'timeZone']);
    const dup = await api('POST', '/api/v1/stores', { code, name: 'Again', timeZone: 'UTC' });
    expect(dup.status).toBe(400);
    expect(dup.body.error.fields.code).toBe('a store with this code exists');
    const forbidden = await api(
      'POST',
      '/api/v1/stores',
      { code: 'ZZ1', name: 'n', timeZone: 'UTC' },
      writeKey,
    );
    expect(forbidden.status).toBe(403);
    const unknown = await api('POST', '/api/v1/stores/NOPE/groups', { groupId: group });
    expect(unknown.status).toBe(404);
  });

  it('describes the new calls in the OpenAPI document', async () => {
    const doc = await (await fetch(`${p.baseUrl}/api/v1/openapi.json`)).json();
    for (const [path, op] of [
      ['/api/v1/stores', 'createStore'],
      ['/api/v1/stores/{code}/groups', 'assignStoreGroup'],
      ['/api/v1/products', 'upsertProducts'],
      ['/api/v1/labels', 'createLabels'],
    ])
      expect(doc.paths[path].post.operationId).toBe(op);
    expect(doc.components.schemas.LabelCreateItem.required).toEqual(['labelId', 'store']);
    expect(doc.paths['/api/v1/price-changes'].post.parameters.map((x: { name: string }) => x.name)).toContain(
      'Idempotency-Key',
    );
  });
});
