// A product's label details (Latin name, origin, spec, net quantity, category) are printed on
// its labels: changing them sends the labels their new content in a task, like a rename does;
// saving the same details again changes nothing and sends nothing.
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
} from '../catalog/support/fixtures.js';

let p: TestPlatform;
let op: WebClient;
let productId: number;

beforeAll(async () => {
  p = await startCatalogPlatform();
  const admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  const a = await makeStore(p, admin, 'D1');
  const b = await makeStore(p, admin, 'D2');
  productId = await makeProduct(op, 'DET-1', '五常大米');
  await makeLabels(op, a, 'DET-1', ['DL-1', 'DL-2']);
  await makeLabels(op, b, 'DET-1', ['DL-3']);
  expect((await setPrice(op, productId, { price: '39.90', allStores: '1' })).status).toBe(302);
}, 120_000);
afterAll(async () => {
  await p?.close();
});

const tasks = () => q<{ id: string; note: string }>(p, 'SELECT id, note FROM tasks ORDER BY id');
const details = (form: Record<string, string>) =>
  op.post(`/render/products/${productId}/details`, form, `/catalog/products/${productId}`);

describe('label details of a product', () => {
  it('a change creates a task for every label of the product; the same details again create none', async () => {
    const before = (await tasks()).length;
    const form = {
      nameLatin: 'Wuchang Rice',
      origin: '黑龙江 五常',
      spec: '一级',
      netQuantity: '5',
      netUnit: 'kg',
    };
    const r = await details(form);
    expect(r.status).toBe(302);
    const after = await tasks();
    expect(after).toHaveLength(before + 1);
    const task = after.at(-1)!;
    expect(task.note).toBe('label details of DET-1 edited');
    const items = await q<{ label_id: string }>(
      p,
      'SELECT label_id FROM task_items WHERE task_id = ? ORDER BY label_id',
      [task.id],
    );
    expect(items.map((i) => i.label_id)).toEqual(['DL-1', 'DL-2', 'DL-3']);
    const audit = await q<{ refs: string }>(
      p,
      "SELECT refs FROM audit_log WHERE action = 'product.label_details' ORDER BY id DESC LIMIT 1",
    );
    expect(audit[0].refs).toContain(` task:${task.id} `);
    const flash = await op.get(r.location!);
    expect(flash.text).toContain(`Label details saved; task ${task.id} updates 3 label(s).`);

    expect((await details(form)).status).toBe(302);
    expect(await tasks()).toHaveLength(before + 1);
  });
});
