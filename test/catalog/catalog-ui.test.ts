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
let k1: { id: number; code: string; group: string };
let k2: { id: number; code: string; group: string };

beforeAll(async () => {
  p = await startCatalogPlatform();
  admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  k1 = await makeStore(p, admin, 'K1');
  k2 = await makeStore(p, admin, 'K2');
});
afterAll(async () => {
  await p?.close();
});

const fieldError = (html: string, field: string) =>
  new RegExp(`data-field="${field}">([^<]*)<`).exec(html)?.[1];

describe('stores and Group IDs', () => {
  it('shows each bad field next to it and creates nothing', async () => {
    const r = await admin.post(
      '/catalog/stores',
      { code: 'bad code!', name: '', timezone: 'Mars/Base', currency: 'yuan' },
      '/catalog/stores',
    );
    expect(r.status).toBe(400);
    expect(fieldError(r.text, 'code')).toContain('letters, digits');
    expect(fieldError(r.text, 'name')).toBe('required');
    expect(fieldError(r.text, 'timezone')).toContain('IANA time zone');
    expect(fieldError(r.text, 'currency')).toContain('three capital letters');
    const dup = await admin.post(
      '/catalog/stores',
      { code: 'K1', name: 'again', timezone: 'UTC', currency: 'CNY' },
      '/catalog/stores',
    );
    expect(fieldError(dup.text, 'code')).toBe('a store with this code exists');
    expect(await q(p, 'SELECT code FROM stores ORDER BY code')).toEqual([{ code: 'K1' }, { code: 'K2' }]);
  });

  it('assigns only registered, free Group IDs, and keeps one that labels use', async () => {
    const unknown = await admin.post(
      `/catalog/stores/${k1.id}/groups`,
      { groupId: 'GID_NOT_REGISTERED' },
      `/catalog/stores/${k1.id}`,
    );
    expect(unknown.status).toBe(400);
    expect(fieldError(unknown.text, 'groupId')).toBe('not a registered Group ID');
    const taken = await admin.post(
      `/catalog/stores/${k1.id}/groups`,
      { groupId: k2.group },
      `/catalog/stores/${k1.id}`,
    );
    expect(taken.status).toBe(409);
    await makeProduct(op, 'G-1');
    await makeLabels(op, k1, 'G-1', ['G-L1']);
    const remove = await admin.post(
      `/catalog/stores/${k1.id}/groups/remove`,
      { groupId: k1.group },
      `/catalog/stores/${k1.id}`,
    );
    expect(remove.status).toBe(409);
    expect(remove.text).toContain('1 label(s) use Group ID');
    expect(await q(p, 'SELECT store_id FROM store_groups WHERE group_id = ?', [k2.group])).toEqual([
      { store_id: k2.id },
    ]);
    expect(await q(p, 'SELECT store_id FROM store_groups WHERE group_id = ?', [k1.group])).toEqual([
      { store_id: k1.id },
    ]);
  });
});

describe('products', () => {
  it('refuses a duplicate SKU and bad fields next to the field', async () => {
    await makeProduct(op, 'DUP-1');
    const r = await op.post(
      '/catalog/products',
      { sku: 'DUP-1', name: 'x', unit: 'pcs', currency: 'CNY' },
      '/catalog/products',
    );
    expect(r.status).toBe(400);
    expect(fieldError(r.text, 'sku')).toBe('a product with this SKU exists');
    const bad = await op.post(
      '/catalog/products',
      { sku: 'has space', name: 'x'.repeat(201), unit: '', currency: 'cn' },
      '/catalog/products',
    );
    expect(fieldError(bad.text, 'sku')).toContain('letters, digits');
    expect(fieldError(bad.text, 'name')).toBe('at most 200 characters');
    expect(fieldError(bad.text, 'unit')).toBe('required');
    expect(await q(p, "SELECT sku FROM products WHERE sku IN ('has space')")).toEqual([]);
  });

  it('searches by SKU prefix or name, and pages through results', async () => {
    for (let i = 0; i < 27; i++) await makeProduct(op, `PG-${String(i).padStart(2, '0')}`, `Paged item ${i}`);
    const first = await op.get('/catalog/products?q=PG-');
    expect(first.text).toContain('27 product(s)');
    expect(first.text).toContain('Page 1 of 2');
    expect((first.text.match(/data-sku="PG-/g) ?? []).length).toBe(25);
    const second = await op.get('/catalog/products?q=PG-&page=2');
    expect((second.text.match(/data-sku="PG-/g) ?? []).length).toBe(2);
    expect(second.text).toContain('data-sku="PG-26"');
    const byName = await op.get(`/catalog/products?q=${encodeURIComponent('item 13')}`);
    expect(byName.text).toContain('data-sku="PG-13"');
    expect(byName.text).toContain('1 product(s)');
    // LIKE wildcards in the search are taken literally.
    expect((await op.get('/catalog/products?q=%25')).text).toContain('0 product(s)');
  });

  it('renders hostile names escaped everywhere they appear', async () => {
    const evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>';
    const id = await makeProduct(op, 'XSS-1', evil);
    await admin.post(
      `/catalog/stores/${k2.id}`,
      { name: evil, timezone: 'UTC', currency: 'CNY' },
      `/catalog/stores/${k2.id}`,
    );
    for (const path of [
      `/catalog/products/${id}`,
      '/catalog/products?q=XSS',
      '/catalog/stores',
      `/catalog/stores/${k2.id}`,
    ]) {
      const page = await op.get(path);
      expect(page.text, path).not.toContain('<script>alert(1)');
      expect(page.text, path).not.toContain('<img src=x');
      expect(page.text, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    }
    const search = await op.get(`/catalog/products?q=${encodeURIComponent(evil)}`);
    expect(search.text).not.toContain('<script>alert(1)');
  });

  it('renaming a product re-sends its labels in a task', async () => {
    const id = await makeProduct(op, 'REN-1', 'Old name');
    await makeLabels(op, k2, 'REN-1', ['REN-L1']);
    await setPrice(op, id, { price: '2.00', stores: 'K2' });
    const r = await op.post(
      `/catalog/products/${id}`,
      { name: 'New name', unit: 'pcs', currency: 'CNY' },
      `/catalog/products/${id}`,
    );
    expect(r.status).toBe(302);
    const [item] = await q<{ name: string }>(
      p,
      "SELECT name FROM task_items WHERE label_id = 'REN-L1' ORDER BY id DESC LIMIT 1",
    );
    expect(item.name).toBe('New name');
  });
});

describe('labels', () => {
  it('creates a pasted list of labels, or none when any id is bad, repeated or taken', async () => {
    const ok = await op.post(
      '/catalog/labels',
      { group: `${k2.id}|${k2.group}`, labelIds: 'B-1\nB-2, B-3' },
      '/catalog/labels',
    );
    expect(ok.status).toBe(302);
    expect(
      await q(
        p,
        "SELECT label_id, store_id, group_id FROM labels WHERE label_id LIKE 'B-%' ORDER BY label_id",
      ),
    ).toEqual(['B-1', 'B-2', 'B-3'].map((label_id) => ({ label_id, store_id: k2.id, group_id: k2.group })));
    const bad = await op.post(
      '/catalog/labels',
      { group: `${k2.id}|${k2.group}`, labelIds: 'B-4\n<b>x</b>\nB-5\nB-5' },
      '/catalog/labels',
    );
    expect(bad.status).toBe(400);
    expect(fieldError(bad.text, 'labelIds')).toContain('&#34;&lt;b&gt;x&lt;/b&gt;&#34; is not a label id');
    expect(fieldError(bad.text, 'labelIds')).toContain('B-5 is listed twice');
    const taken = await op.post(
      '/catalog/labels',
      { group: `${k2.id}|${k2.group}`, labelIds: 'B-6\nB-1' },
      '/catalog/labels',
    );
    expect(fieldError(taken.text, 'labelIds')).toBe('already exist: B-1');
    const wrongGroup = await op.post(
      '/catalog/labels',
      { group: `${k2.id}|${k1.group}`, labelIds: 'B-7' },
      '/catalog/labels',
    );
    expect(fieldError(wrongGroup.text, 'group')).toBe('not a Group ID of store K2');
    expect(await q(p, "SELECT label_id FROM labels WHERE label_id IN ('B-4', 'B-5', 'B-6', 'B-7')")).toEqual(
      [],
    );
  });

  it('binds and unbinds, with a task on binding, and filters by store and SKU', async () => {
    const id = await makeProduct(op, 'BIND-1');
    await setPrice(op, id, { price: '3.30', stores: 'K2' });
    const tasksBefore = (await q(p, 'SELECT id FROM tasks')).length;
    expect(
      (await op.post('/catalog/labels/bind', { labelId: 'B-1', sku: 'BIND-1' }, '/catalog/labels')).status,
    ).toBe(302);
    expect(
      (await q<{ product_id: number }>(p, "SELECT product_id FROM labels WHERE label_id = 'B-1'"))[0]
        .product_id,
    ).toBe(id);
    expect((await q(p, 'SELECT id FROM tasks')).length).toBe(tasksBefore + 1);
    const [item] = await q<{ price: string }>(p, "SELECT price FROM task_items WHERE label_id = 'B-1'");
    expect(item.price).toBe('3.30');

    const filtered = await op.get(`/catalog/labels?store=${k2.id}&sku=BIND-1`);
    expect(filtered.text).toContain('data-label="B-1"');
    expect(filtered.text).not.toContain('data-label="B-2"');
    expect((await op.get(`/catalog/labels?store=${k1.id}`)).text).not.toContain('data-label="B-1"');

    await op.post('/catalog/labels/bind', { labelId: 'B-2', sku: 'NO-SUCH' }, '/catalog/labels');
    expect((await op.get('/catalog/labels')).text).toContain('Label B-2 not bound: unknown SKU');
    expect(
      (await q<{ product_id: number | null }>(p, "SELECT product_id FROM labels WHERE label_id = 'B-2'"))[0]
        .product_id,
    ).toBeNull();

    expect((await op.post('/catalog/labels/unbind', { labelId: 'B-1' }, '/catalog/labels')).status).toBe(302);
    expect(
      (await q<{ product_id: number | null }>(p, "SELECT product_id FROM labels WHERE label_id = 'B-1'"))[0]
        .product_id,
    ).toBeNull();
    const audit = await q<{ action: string }>(
      p,
      "SELECT action FROM audit_log WHERE refs LIKE '% label:B-1 %' ORDER BY id",
    );
    expect(audit.map((a) => a.action)).toEqual(['label.bound', 'label.unbound']);
  });
});
