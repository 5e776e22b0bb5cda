import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  q,
  setPrice,
  signedIn,
  startCatalogPlatform,
} from './support/fixtures.js';

let p: TestPlatform;
let admin: WebClient;
let op: WebClient;
let s1: { id: number; code: string; group: string };
let s2: { id: number; code: string; group: string };
let s3: { id: number; code: string; group: string };
let cola: number;

beforeAll(async () => {
  p = await startCatalogPlatform();
  admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  s1 = await makeStore(p, admin, 'S1');
  s2 = await makeStore(p, admin, 'S2');
  s3 = await makeStore(p, admin, 'S3');
  cola = await makeProduct(op, 'COLA-330', 'Cola 330ml');
  await makeLabels(op, s1, 'COLA-330', ['L-S1-A', 'L-S1-B']);
  await makeLabels(op, s2, 'COLA-330', ['L-S2-A']);
});
afterAll(async () => {
  await p?.close();
});

const pricesOf = (productId: number) =>
  q<{ store_id: number; price: string; promo_price: string | null }>(
    p,
    'SELECT store_id, price, promo_price FROM prices WHERE product_id = ? ORDER BY store_id',
    [productId],
  );

describe('price changes from the product page', () => {
  it('changes the price in one store: prices row, one task with an item per label, audit with before/after', async () => {
    const r = await setPrice(op, cola, { price: '3.50', stores: 'S1' });
    expect(r.status).toBe(302);
    expect(await pricesOf(cola)).toEqual([{ store_id: s1.id, price: '3.50', promo_price: null }]);
    const [task] = await q<{ id: string; source: string }>(
      p,
      "SELECT id, source FROM tasks WHERE note LIKE 'price of COLA-330%' ORDER BY id DESC LIMIT 1",
    );
    expect(task.source).toBe('ui');
    const items = await q<{ label_id: string; price: string }>(
      p,
      'SELECT label_id, price FROM task_items WHERE task_id = ? ORDER BY label_id',
      [task.id],
    );
    expect(items).toEqual([
      { label_id: 'L-S1-A', price: '3.50' },
      { label_id: 'L-S1-B', price: '3.50' },
    ]);
    const [audit] = await q<{ refs: string; before_json: string | null; after_json: string }>(
      p,
      "SELECT refs, before_json, after_json FROM audit_log WHERE action = 'price.changed' ORDER BY id DESC LIMIT 1",
    );
    expect(audit.refs).toContain(' sku:COLA-330 ');
    expect(audit.refs).toContain(' store:S1 ');
    expect(audit.refs).toContain(` task:${task.id} `);
    expect(audit.before_json).toBe('null');
    expect(JSON.parse(audit.after_json).price).toBe('3.50');
    const page = await op.get(`/catalog/products/${cola}`);
    expect(page.text).toContain(`task ${task.id} updates 2 label(s)`);
  });

  it('changes several stores, then all stores, in one task each, and records the old price', async () => {
    const several = await op.request('POST', `/catalog/products/${cola}/prices`, {
      json: { _csrf: op.lastCsrf, price: '3.6', stores: ['S1', 'S2'] },
      headers: { accept: 'text/html' },
    });
    expect(several.status).toBe(302);
    expect((await pricesOf(cola)).map((r) => r.price)).toEqual(['3.60', '3.60']);
    const [t] = await q<{ task_id: string; n: string }>(
      p,
      'SELECT task_id, COUNT(*) AS n FROM task_items GROUP BY task_id ORDER BY task_id DESC LIMIT 1',
    );
    expect(Number(t.n)).toBe(3);
    const all = await setPrice(op, cola, { price: '3.70', allStores: '1' });
    expect(all.status).toBe(302);
    expect((await pricesOf(cola)).map((r) => r.price)).toEqual(['3.70', '3.70', '3.70']);
    const [a] = await q<{ before_json: string }>(
      p,
      "SELECT before_json FROM audit_log WHERE action = 'price.changed' AND refs LIKE '% store:S1 %' ORDER BY id DESC LIMIT 1",
    );
    expect(JSON.parse(a.before_json).price).toBe('3.60');
  });

  it.each([
    ['-1.00', 'is negative'],
    ['abc', 'is not a number'],
    ['1.005', 'more than 2 decimals'],
    ['NaN', 'is not a number'],
    ['1e3', 'is not a number'],
    ['100000000', 'too large'],
    ['', 'price is missing'],
  ])('refuses price %j next to the field and changes nothing', async (price, msg) => {
    const before = await pricesOf(cola);
    const tasks = await q(p, 'SELECT id FROM tasks ORDER BY id');
    const r = await setPrice(op, cola, { price, allStores: '1' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(new RegExp(`data-field="price">[^<]*${msg}`));
    expect(await pricesOf(cola)).toEqual(before);
    expect(await q(p, 'SELECT id FROM tasks ORDER BY id')).toEqual(tasks);
  });

  it('refuses a change with no store chosen, or a promotion without an end', async () => {
    expect((await setPrice(op, cola, { price: '1.00' })).text).toContain('choose one or more stores');
    const r = await setPrice(op, cola, { price: '1.00', promoPrice: '0.80', stores: 'S1' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/data-field="promoTo">[^<]*needs an end time/);
  });

  it('writes no task when no label shows the product, but still changes the price', async () => {
    const r = await setPrice(op, cola, { price: '4.00', stores: 'S3' });
    expect(r.status).toBe(302);
    expect((await pricesOf(cola)).find((x) => x.store_id === s3.id)!.price).toBe('4.00');
    expect((await op.get(`/catalog/products/${cola}`)).text).toContain(
      'no label shows this product there yet',
    );
  });

  it('lets an auditor read catalog pages but not change anything', async () => {
    const aud = await signedIn(p, 'auditor');
    for (const path of [
      '/catalog/products',
      `/catalog/products/${cola}`,
      '/catalog/labels',
      '/catalog/stores',
      '/catalog/schedules',
    ]) {
      expect((await aud.get(path)).status, path).toBe(200);
    }
    const before = await pricesOf(cola);
    expect(
      (
        await aud.post(
          `/catalog/products/${cola}/prices`,
          { price: '0.01', allStores: '1' },
          '/catalog/products',
        )
      ).status,
    ).toBe(403);
    expect(
      (await aud.post('/catalog/products', { sku: 'AUD-1', name: 'x', unit: 'pcs', currency: 'CNY' })).status,
    ).toBe(403);
    expect((await aud.post('/catalog/labels/unbind', { labelId: 'L-S1-A' })).status).toBe(403);
    expect(await pricesOf(cola)).toEqual(before);
    expect(await q(p, "SELECT sku FROM products WHERE sku = 'AUD-1'")).toEqual([]);
    // Stores and Group IDs are an admin's; an operator may look but not create.
    expect(
      (
        await op.post(
          '/catalog/stores',
          { code: 'OPX', name: 'x', timezone: 'UTC', currency: 'CNY' },
          '/catalog/stores',
        )
      ).status,
    ).toBe(403);
  });
});
