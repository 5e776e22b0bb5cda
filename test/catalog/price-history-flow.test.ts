// Price history over the real platform: every price write (form, API, CSV import, scheduled
// promotion start) leaves a state with who, when and the task, in the same transaction; the
// Omnibus lowest price of the 30 days before a promotion comes from that history and is
// answered by the API, printed on the label and shown with a chart on the product page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import { waitFor } from '../support/wait.js';
import { execute } from '../../server/db/query.js';
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
let key: string;
let readKey: string;
const DAY = 86_400_000;
const run = (sql: string, args: unknown[] = []) => execute(p.ctx.pool, sql, args);

async function api(method: string, path: string, body?: unknown, as = key) {
  const res = await fetch(p.baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${as}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    body: (type.includes('json') ? await res.json() : null) as any, // eslint-disable-line @typescript-eslint/no-explicit-any
    bytes: type.includes('image') ? Buffer.from(await res.arrayBuffer()) : null,
  };
}
const history = (sku: string) =>
  q<{
    reason: string;
    source: string;
    price: string;
    promo_price: string | null;
    task_id: string | null;
    schedule_id: string | null;
    actor: string;
  }>(
    p,
    `SELECT h.reason, h.source, h.price, h.promo_price, h.task_id, h.schedule_id, h.actor FROM price_history h
       JOIN products pr ON pr.id = h.product_id WHERE pr.sku = ? ORDER BY h.id`,
    [sku],
  );
const lowestOf = async (sku: string) =>
  ((await api('GET', `/api/v1/products?sku=${sku}`)).body.products[0].prices[0].lowestPrice30d ?? null) as
    string | null;

beforeAll(async () => {
  p = await startCatalogPlatform();
  admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  const issue = async (name: string, scopes: string) =>
    /data-testid="issued-key">([^<]+)</.exec(
      (await admin.post('/admin/api-keys', { name, scopes }, '/admin/api-keys')).text,
    )![1];
  key = await issue('erp', 'prices:write');
  readKey = await issue('reader', 'tasks:read');
  const s = await makeStore(p, admin, 'H1');
  for (const sku of ['PH-1', 'PH-2', 'PH-3', 'PH-4']) {
    await makeProduct(op, sku);
    await makeLabels(op, s, sku, [`L-${sku}`]);
  }
}, 120_000);
afterAll(async () => {
  await p?.close();
});

describe('price history and the Omnibus lowest price', () => {
  it('keeps each state with who, when and its task; the lowest of the 30 days before a promotion counts a price begun before the window', async () => {
    const id = Number((await q<{ id: number }>(p, "SELECT id FROM products WHERE sku = 'PH-1'"))[0].id);
    expect((await setPrice(op, id, { stores: 'H1', price: '4.00' })).status).toBe(302);
    const changed = await api('POST', '/api/v1/price-changes', {
      changes: [{ sku: 'PH-1', store: 'H1', price: '5.00' }],
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(201);
    const h = await history('PH-1');
    expect(h.map((r) => [r.reason, r.source, r.price])).toEqual([
      ['change', 'ui', '4.00'],
      ['change', 'api', '5.00'],
    ]);
    const tasks = await q<{ id: string }>(p, 'SELECT id FROM tasks ORDER BY id');
    expect(h.every((r) => r.task_id !== null && tasks.some((t) => String(t.id) === String(r.task_id)))).toBe(
      true,
    );
    expect(h[0].actor).toMatch(/^operator-/);
    expect(h[1].actor).toBe('apikey:erp');

    // 4.00 from 40 days ago until 10 days ago, 5.00 since: 4.00 was in force inside the window.
    await run(
      "UPDATE price_history h JOIN products pr ON pr.id = h.product_id SET h.valid_from = ? WHERE pr.sku = 'PH-1' AND h.price = '4.00'",
      [new Date(Date.now() - 40 * DAY)],
    );
    await run(
      "UPDATE price_history h JOIN products pr ON pr.id = h.product_id SET h.valid_from = ? WHERE pr.sku = 'PH-1' AND h.price = '5.00'",
      [new Date(Date.now() - 10 * DAY)],
    );
    const promoTo = new Date(Date.now() + 7 * DAY).toISOString();
    const promo = await api('POST', '/api/v1/price-changes', {
      changes: [{ sku: 'PH-1', store: 'H1', price: '5.00', promoPrice: '3.50', promoTo }],
    });
    expect(promo.status, JSON.stringify(promo.body)).toBe(201);
    expect(await lowestOf('PH-1')).toBe('4.00');
    const audit = await q<{ after_json: string }>(
      p,
      "SELECT after_json FROM audit_log WHERE action = 'price.changed' ORDER BY id DESC LIMIT 1",
    );
    expect(JSON.parse(audit[0].after_json).lowestPrior30Days).toBe('4.00');

    // When 4.00 ended before the window it no longer counts; the promotion it replaces does.
    await run(
      "UPDATE price_history h JOIN products pr ON pr.id = h.product_id SET h.valid_from = ? WHERE pr.sku = 'PH-1' AND h.price = '5.00' AND h.promo_price IS NULL",
      [new Date(Date.now() - 31 * DAY)],
    );
    const again = await api('POST', '/api/v1/price-changes', {
      changes: [{ sku: 'PH-1', store: 'H1', price: '5.00', promoPrice: '3.40', promoTo }],
    });
    expect(again.status).toBe(201);
    expect(await lowestOf('PH-1')).toBe('3.50');

    const hist = await api('GET', '/api/v1/products/PH-1/price-history?store=H1');
    expect(hist.status).toBe(200);
    expect(hist.body.sku).toBe('PH-1');
    const entries = hist.body.stores[0].entries;
    expect(entries.map((e: { price: string; promoPrice: string | null }) => [e.price, e.promoPrice])).toEqual(
      [
        ['5.00', '3.40'],
        ['5.00', '3.50'],
        ['5.00', null],
        ['4.00', null],
      ],
    );
    expect(entries[0].taskId).toMatch(/^\d+$/);
    // the running promotion until its end, then the regular price again (open-ended)
    expect(hist.body.stores[0].steps.slice(-2)).toEqual([
      expect.objectContaining({ price: '3.40', promo: true, to: new Date(promoTo).toISOString() }),
      expect.objectContaining({ price: '5.00', promo: false, to: null }),
    ]);
    expect((await api('GET', '/api/v1/products/NOPE/price-history')).status).toBe(404);
    expect((await api('GET', '/api/v1/products/PH-1/price-history?limit=0')).status).toBe(400);
  });

  it('a promotion with no prior history has no reference price, on the API and on the label', async () => {
    const promoTo = new Date(Date.now() + 7 * DAY).toISOString();
    const r = await api('POST', '/api/v1/price-changes', {
      changes: [{ sku: 'PH-2', store: 'H1', price: '8.00', promoPrice: '6.00', promoTo }],
    });
    expect(r.status).toBe(201);
    expect(await lowestOf('PH-2')).toBeNull();
    const withNone = await api('GET', '/api/v1/labels/L-PH-2/image', undefined, readKey);
    expect(withNone.status).toBe(200);
    // The same state with a reference price prints it: the image changes.
    await run(
      "UPDATE prices p JOIN products pr ON pr.id = p.product_id SET p.promo_prior_lowest = '7.00' WHERE pr.sku = 'PH-2'",
    );
    const withLowest = await api('GET', '/api/v1/labels/L-PH-2/image', undefined, readKey);
    expect(withLowest.bytes!.equals(withNone.bytes!)).toBe(false);
  });

  it('a scheduled promotion start and a CSV import write their states too', async () => {
    expect(
      (await api('POST', '/api/v1/price-changes', { changes: [{ sku: 'PH-3', store: 'H1', price: '6.00' }] }))
        .status,
    ).toBe(201);
    const promoFrom = new Date(Date.now() + 1500).toISOString();
    const promoTo = new Date(Date.now() + 7 * DAY).toISOString();
    const r = await api('POST', '/api/v1/price-changes', {
      changes: [{ sku: 'PH-3', store: 'H1', price: '6.00', promoPrice: '4.99', promoFrom, promoTo }],
    });
    expect(r.status).toBe(201);
    await waitFor('the promotion start in the history', async () =>
      (await history('PH-3')).some((h) => h.reason === 'promo_start'),
    );
    const started = (await history('PH-3')).find((h) => h.reason === 'promo_start')!;
    expect(started).toMatchObject({
      source: 'promotion',
      promo_price: '4.99',
      actor: expect.stringMatching(/^schedule:/),
    });
    expect(started.schedule_id).not.toBeNull();
    expect(started.task_id).not.toBeNull();
    expect(await lowestOf('PH-3')).toBe('6.00');

    const up = await op.post(
      '/catalog/imports',
      { csv: 'sku,store,price,urgent\nPH-4,H1,2.20,yes\n', fileName: 'l.csv' },
      '/catalog/imports',
    );
    expect(up.status).toBe(302);
    const preview = await op.get(up.location!);
    const hash = /name="hash" value="([0-9a-f]{64})"/.exec(preview.text)![1];
    expect((await op.post(`${up.location}/confirm`, { hash })).status).toBe(302);
    const h = await history('PH-4');
    expect(h.map((x) => [x.reason, x.source, x.price])).toEqual([['change', 'import', '2.20']]);
    const items = await q<{ urgent: number }>(p, 'SELECT urgent FROM task_items WHERE task_id = ?', [
      h[0].task_id,
    ]);
    expect(items.map((i) => Number(i.urgent))).toEqual([1]);
  });

  it('the product page shows the history as a chart and a table, and the Omnibus line', async () => {
    const id = Number((await q<{ id: number }>(p, "SELECT id FROM products WHERE sku = 'PH-1'"))[0].id);
    const page = await op.get(`/catalog/products/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="price-chart-H1"');
    expect(page.text).toContain('<script src="/static/price-history.js" defer>');
    const rows = /data-testid="price-history-H1">([\s\S]*?)<\/table>/.exec(page.text)![1];
    expect(rows.match(/<tr data-reason=/g)).toHaveLength(4);
    expect(page.text).toMatch(
      /data-testid="omnibus-H1">Lowest price in the 30 days before the running promotion: [^<]*3\.50/,
    );
  });
});
