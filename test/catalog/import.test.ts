import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import { makeLabels, makeProduct, makeStore, q, signedIn, startCatalogPlatform } from './support/fixtures.js';

let p: TestPlatform;
let op: WebClient;

beforeAll(async () => {
  p = await startCatalogPlatform();
  const admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  const a = await makeStore(p, admin, 'A1');
  const b = await makeStore(p, admin, 'B2');
  await makeProduct(op, 'SKU-1');
  await makeProduct(op, 'SKU-2');
  await makeLabels(op, a, 'SKU-1', ['IA-1', 'IA-2']);
  await makeLabels(op, b, 'SKU-1', ['IB-1']);
  await makeLabels(op, b, 'SKU-2', ['IB-2']);
});
afterAll(async () => {
  await p?.close();
});

const prices = () =>
  q<{ sku: string; code: string; price: string }>(
    p,
    'SELECT pr.sku, s.code, p.price FROM prices p JOIN products pr ON pr.id = p.product_id JOIN stores s ON s.id = p.store_id ORDER BY pr.sku, s.code',
  );
const upload = (csv: string, fileName = 'list.csv') =>
  op.post('/catalog/imports', { csv, fileName }, '/catalog/imports');
const problems = (html: string) =>
  [...html.matchAll(/<tr data-line="(\d+)"><td>[^<]*<\/td><td>([^<]*)<\/td>/g)].map((m) => [
    Number(m[1]),
    m[2],
  ]);

describe('CSV price import', () => {
  it('previews the affected labels per store, applies nothing until confirmed, then applies all in one task', async () => {
    const form = await op.get('/catalog/imports');
    expect(form.status).toBe(200);
    expect(form.text).toContain('id="import-file"');
    expect(form.text).toContain('<script src="/static/catalog-import.js" defer>');
    const csv = 'sku,store,price\nSKU-1,A1,2.50\nSKU-1,B2,2.60\n"SKU-2",B2,9\n';
    const r = await upload(csv);
    expect(r.status).toBe(302);
    const preview = await op.get(r.location!);
    expect(preview.text).toContain('<strong>3</strong> row(s), all valid');
    expect(/data-testid="import-labels">(\d+)</.exec(preview.text)![1]).toBe('4');
    expect(preview.text).toMatch(/data-store="A1"><td>A1<\/td><td>1<\/td><td>2<\/td>/);
    expect(preview.text).toMatch(/data-store="B2"><td>B2<\/td><td>2<\/td><td>2<\/td>/);
    expect(preview.text).toContain('<code>IA-1</code>');
    expect(await prices()).toEqual([]);
    expect(await q(p, 'SELECT id FROM tasks')).toEqual([]);

    const hash = /name="hash" value="([0-9a-f]{64})"/.exec(preview.text)![1];
    const c = await op.post(`${r.location}/confirm`, { hash });
    expect(c.status).toBe(302);
    expect(await prices()).toEqual([
      { sku: 'SKU-1', code: 'A1', price: '2.50' },
      { sku: 'SKU-1', code: 'B2', price: '2.60' },
      { sku: 'SKU-2', code: 'B2', price: '9.00' },
    ]);
    const tasks = await q<{ id: string; source: string }>(p, 'SELECT id, source FROM tasks');
    expect(tasks).toHaveLength(1);
    expect(tasks[0].source).toBe('import');
    expect(await q(p, 'SELECT COUNT(*) AS n FROM task_items WHERE task_id = ?', [tasks[0].id])).toEqual([
      { n: '4' },
    ]);
    expect((await op.get(r.location!)).text).toContain(`as task <a href="/tasks/${tasks[0].id}">`);
    // The import page lists it: who, how many rows, what it did, its task.
    const importId = r.location!.split('/').pop()!;
    const history = (await op.get('/catalog/imports')).text;
    const row = new RegExp(`<tr data-import="${importId}">([\\s\\S]*?)</tr>`).exec(history)![1];
    expect(row).toContain('<td>3</td>');
    expect(row).toContain('applied');
    expect(row).toContain('3 price(s) changed, 0 scheduled, 4 label(s) updated');
    expect(row).toContain(`<a href="/tasks/${tasks[0].id}">#${tasks[0].id}</a>`);
    expect(row).toMatch(/operator/);

    // The same confirm again (a double click, a back button): nothing applied twice.
    await op.get(r.location!);
    const again = await op.post(`${r.location}/confirm`, { hash });
    expect(again.status).toBe(302);
    expect((await op.get(r.location!)).text).toContain('already applied');
    expect(await q(p, 'SELECT id FROM tasks')).toHaveLength(1);
    expect(await q(p, "SELECT id FROM audit_log WHERE action = 'price.changed'")).toHaveLength(3);
  });

  it('applies a batch once when two confirms race', async () => {
    const r = await upload('sku,store,price\nSKU-2,A1,1.11\n');
    const preview = await op.get(r.location!);
    const hash = /name="hash" value="([0-9a-f]{64})"/.exec(preview.text)![1];
    const before = (await q(p, 'SELECT id FROM tasks')).length;
    const [x, y] = await Promise.all([
      op.post(`${r.location}/confirm`, { hash }),
      op.post(`${r.location}/confirm`, { hash }),
    ]);
    expect([x.status, y.status]).toEqual([302, 302]);
    expect(
      await q(
        p,
        "SELECT id FROM audit_log WHERE action = 'price.changed' AND refs LIKE '% sku:SKU-2 store:A1 %'",
      ),
    ).toHaveLength(1);
    // SKU-2 has no label in A1: the price changes, no task is needed.
    expect((await q(p, 'SELECT id FROM tasks')).length).toBe(before);
  });

  it('refuses a confirm whose hash is not the previewed file', async () => {
    const r = await upload('sku,store,price\nSKU-1,A1,7.77\n');
    await op.get(r.location!);
    const c = await op.post(`${r.location}/confirm`, { hash: 'f'.repeat(64) });
    expect(c.status).toBe(409);
    expect(c.text).toContain('does not match the previewed file');
    expect((await prices()).find((x) => x.code === 'A1' && x.sku === 'SKU-1')!.price).toBe('2.50');
  });

  it('reports every bad row with its line number and reason, and applies none of the file', async () => {
    const csv = [
      'sku,store,price,promo_price,promo_to',
      'SKU-1,A1,3.00,,', // 2 fine
      'NOPE,A1,1.00,,', // 3 unknown SKU
      'SKU-1,ZZ,1.00,,', // 4 unknown store
      'SKU-2,A1,-1,,', // 5 negative
      'SKU-2,B2,abc,,', // 6 not a number
      'SKU-1,B2,1.234,,', // 7 three decimals
      'SKU-1,A1,3.10,,', // 8 duplicate of line 2
      'SKU-2,A1,1.00', // 9 too few columns
      'SKU-2,"A1,1.00,,', // 10 broken quoting
      'SKU-2,B2,1.00,0.50,', // 11 promotion without an end, and a duplicate of line 6
      '',
      'SKU-2,B2,"2"x,,', // 13 text after a closing quote
      'SKU-2,B2,2.00,,', // 14 duplicate of line 6 (a bad row still claims its SKU and store)
    ].join('\n');
    const before = await prices();
    const r = await upload(csv);
    expect(r.status).toBe(400);
    expect(r.text).toContain('Nothing was changed');
    const found = problems(r.text);
    expect(found.map(([l]) => l)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 11, 13, 14]);
    const text = Object.fromEntries(
      found.map(([l]) => [
        l,
        found
          .filter(([x]) => x === l)
          .map(([, m]) => m)
          .join(' | '),
      ]),
    );
    expect(text[3]).toContain('unknown SKU');
    expect(text[4]).toContain('unknown store');
    expect(text[5]).toContain('negative');
    expect(text[6]).toContain('not a number');
    expect(text[7]).toContain('more than 2 decimals');
    expect(text[8]).toContain('duplicate of line 2');
    expect(text[9]).toContain('wrong number of columns: 3 instead of 5');
    expect(text[10]).toContain('broken quoting');
    expect(text[11]).toContain('needs an end time');
    expect(text[11]).toContain('duplicate of line 6');
    expect(text[13]).toContain('broken quoting');
    expect(text[14]).toContain('duplicate of line 6');
    expect(await prices()).toEqual(before);
    expect(await q(p, "SELECT id FROM price_imports WHERE state = 'pending' AND row_count = 2")).toEqual([]);
  });

  it('names a bad header, an empty file', async () => {
    expect(problems((await upload('sku;store;price\nSKU-1;A1;1.00\n')).text)[0][1]).toContain(
      'separate the columns with commas',
    );
    expect(problems((await upload('sku,store,price\n')).text)[0][1]).toContain('no rows');
  });

  it('refuses an oversized upload with a clear message and keeps nothing', async () => {
    const big = `sku,store,price\n${'SKU-1,A1,12.00\n'.repeat(8900)}`; // over the import limit, under the body limit
    expect(big.length).toBeGreaterThan(128 * 1024);
    const r = await upload(big);
    expect(r.status).toBe(400);
    expect(r.text).toContain('larger than 128 kB');
    const huge = await upload(big + big); // over the body parser's limit
    expect(huge.status).toBe(413);
    // (The body parser refuses it before the session is read; the error page's message for that case belongs to server/web.)
    expect(await q(p, 'SELECT id FROM price_imports WHERE row_count > 1000')).toEqual([]);
  });

  it('shows hostile names escaped in the preview and lists', async () => {
    await makeProduct(op, 'EVIL-1', '<script>alert(1)</script>');
    const list = await op.get('/catalog/products?q=EVIL');
    expect(list.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(list.text).not.toContain('<script>alert(1)');
    const r = await upload('sku,store,price\nEVIL-1,A1,1.00\n', '<img src=x onerror=alert(1)>.csv');
    const preview = await op.get(r.location!);
    expect(preview.text).toContain('&lt;img src=x onerror=alert(1)&gt;.csv');
    expect(preview.text).not.toContain('<img src=x');
  });

  it('keeps the import pages away from auditors except for reading a preview', async () => {
    const aud = await signedIn(p, 'auditor');
    expect((await aud.get('/catalog/imports')).status).toBe(403);
    const r = await upload('sku,store,price\nSKU-1,B2,5.55\n');
    const preview = await aud.get(r.location!);
    expect(preview.status).toBe(200);
    expect(preview.text).not.toContain('name="hash"');
    const hash = /name="hash" value="([0-9a-f]{64})"/.exec((await op.get(r.location!)).text)![1];
    expect((await aud.post(`${r.location}/confirm`, { hash }, '/catalog/products')).status).toBe(403);
    expect((await prices()).find((x) => x.code === 'B2' && x.sku === 'SKU-1')!.price).toBe('2.60');
  });
});
