// GET /api/v1/labels/{labelId}/image and the template pages over a real platform
// (MariaDB, Redis, the worker's task rendering): deterministic bytes, a new image after a
// price change, Chinese names drawn as glyphs, model sizes, errors that name the field.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { priorLowest } from '../../server/catalog/price-history-service.js';
import { RenderService } from '../../server/render/render-service.js';
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
let admin: WebClient;
let operator: WebClient;
let readKey: string;
let writeKey: string;
let store: { id: number; code: string; group: string };
let colaId: number;

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const pngSize = (b: Buffer) => {
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(b.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
};

async function issueKey(scopes: string) {
  const r = await admin.post(
    '/admin/api-keys',
    { name: `k-${scopes}-${Math.random()}`, scopes },
    '/admin/api-keys',
  );
  return /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
}

async function image(labelId: string, query = '', key: string | null = readKey) {
  const res = await fetch(`${p.baseUrl}/api/v1/labels/${encodeURIComponent(labelId)}/image${query}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    hash: res.headers.get('x-image-hash'),
    body,
  };
}
const errorOf = (r: { body: Buffer }) => JSON.parse(r.body.toString('utf8')).error;

beforeAll(async () => {
  p = await startCatalogPlatform({ RENDER_INTERVAL_MS: '100', RENDER_ALL_TASKS: 'true' });
  admin = await signedIn(p, 'admin');
  operator = await signedIn(p, 'operator');
  readKey = await issueKey('tasks:read');
  writeKey = await issueKey('prices:write');
  store = await makeStore(p, admin, 'R1');
  colaId = await makeProduct(admin, '6901234567892', '可口可乐 汽水');
  const pepsi = await makeProduct(admin, 'PEPSI-330', '百事可乐 汽水');
  await makeProduct(admin, 'RARE-1', '罕见字 𠀀');
  await makeLabels(admin, store, '6901234567892', ['RL-COLA', 'RL-COLA2']);
  await makeLabels(admin, store, 'PEPSI-330', ['RL-PEPSI']);
  await makeLabels(admin, store, 'RARE-1', ['RL-RARE']);
  for (const [id, price] of [
    [colaId, '3.50'],
    [pepsi, '3.50'],
  ] as const)
    expect((await setPrice(admin, id, { price: String(price), stores: store.code })).status).toBe(302);
  const rare = (await q<{ id: number }>(p, "SELECT id FROM products WHERE sku = 'RARE-1'"))[0].id;
  expect((await setPrice(admin, rare, { price: '9.90', stores: store.code })).status).toBe(302);
});
afterAll(async () => {
  await p?.close();
});

describe('label image API', () => {
  it('returns a PNG of the model size, the same bytes on every call, hashed by its SHA-256', async () => {
    const a = await image('RL-COLA');
    const b = await image('RL-COLA');
    expect(a.status).toBe(200);
    expect(a.type).toBe('image/png');
    expect(pngSize(a.body)).toEqual({ width: 296, height: 128 });
    expect(b.body.equals(a.body)).toBe(true);
    expect(a.hash).toBe(sha(a.body));
    // another label showing the same content shows the same image
    expect((await image('RL-COLA2')).body.equals(a.body)).toBe(true);
  });

  it('changes its bytes after a price change for the label', async () => {
    const before = await image('RL-COLA');
    expect((await setPrice(admin, colaId, { price: '3.80', stores: store.code })).status).toBe(302);
    const after = await image('RL-COLA');
    expect(after.status).toBe(200);
    expect(after.body.equals(before.body)).toBe(false);
    expect(after.hash).not.toBe(before.hash);
  });

  it('draws two Chinese names that differ only in their characters as different images', async () => {
    const cola = await image('RL-COLA2');
    const pepsi = await image('RL-PEPSI');
    expect(cola.status).toBe(200);
    expect(pepsi.status).toBe(200);
    expect(pepsi.body.equals(cola.body)).toBe(false);
    // With a template that shows only the name, the names alone tell the two images apart.
    const body = JSON.stringify({
      elements: [{ type: 'text', field: 'name', x: 0, y: 0, w: 296, h: 60, size: 40 }],
    });
    const t = await operator.post(
      '/render/templates',
      { model: 'bwr-290', name: 'Names', body },
      '/render/templates/new?model=bwr-290',
    );
    expect(t.status, t.text.slice(0, 300)).toBe(302);
    const tid = /\/render\/templates\/(\d+)/.exec(t.location!)![1];
    const assign = (templateId: string) =>
      operator.post(
        '/render/assignments',
        { model: 'bwr-290', store: '0', category: '', templateId },
        '/render/templates',
      );
    await assign(tid);
    const [a, b] = [await image('RL-COLA2'), await image('RL-PEPSI')];
    expect(a.status).toBe(200);
    expect(a.body.equals(b.body)).toBe(false);
    // the same name in another product gives the same picture: only the characters differ above
    const twin = await makeProduct(admin, 'TWIN-1', '可口可乐 汽水');
    await makeLabels(admin, store, 'TWIN-1', ['RL-TWIN']);
    expect((await setPrice(admin, twin, { price: '1.00', stores: store.code })).status).toBe(302);
    expect((await image('RL-TWIN')).body.equals(a.body)).toBe(true);
    await assign('builtin');
  });

  it('names the field and the character when the font has no glyph for it', async () => {
    const r = await image('RL-RARE');
    expect(r.status).toBe(400);
    const e = errorOf(r);
    expect(e.fields['elements[0].field']).toMatch(/field "name".*U\+20000/);
  });

  it('needs a key with tasks:read or a signed-in user', async () => {
    expect((await image('RL-COLA', '', null)).status).toBe(401);
    expect((await image('RL-COLA', '', writeKey)).status).toBe(403);
    const auditor = await signedIn(p, 'auditor');
    const res = await auditor.request('GET', '/api/v1/labels/RL-COLA/image', {
      headers: { accept: 'image/png' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect((await image('NO-SUCH-LABEL')).status).toBe(404);
  });

  it('shows a scheduled change at ?at= and rejects a bad time naming "at"', async () => {
    const now = await image('RL-COLA');
    const later = new Date(Date.now() + 3 * 86_400_000);
    const due = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 16);
    expect(
      (await setPrice(admin, colaId, { price: '2.20', stores: store.code, effectiveAt: due })).status,
    ).toBe(302);
    const at = await image('RL-COLA', `?at=${encodeURIComponent(later.toISOString())}`);
    expect(at.status).toBe(200);
    expect(at.body.equals(now.body)).toBe(false);
    // before the schedule is due the image is today's
    const soon = await image(
      'RL-COLA',
      `?at=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    expect(soon.body.equals(now.body)).toBe(true);
    const bad = await image('RL-COLA', '?at=tomorrow');
    expect(bad.status).toBe(400);
    expect(errorOf(bad).fields.at).toBeTruthy();
  });

  it('renders at the size of the label model set on the label page, with its pages', async () => {
    const r = await operator.post(
      '/catalog/labels/RL-COLA2/model',
      { model: 'bwy-420' },
      '/catalog/labels/RL-COLA2',
    );
    expect(r.status).toBe(302);
    const big = await image('RL-COLA2');
    expect(pngSize(big.body)).toEqual({ width: 400, height: 300 });
    const page2 = await image('RL-COLA2', '?page=2');
    expect(pngSize(page2.body)).toEqual({ width: 400, height: 300 });
    expect(page2.body.equals(big.body)).toBe(false);
    const page3 = await image('RL-COLA2', '?page=3');
    expect(page3.status).toBe(400);
    expect(errorOf(page3).fields.page).toMatch(/2 page/);
    const audit = await q(
      p,
      "SELECT * FROM audit_log WHERE action = 'label.model_set' AND object_id = 'RL-COLA2'",
    );
    expect(audit).toHaveLength(1);
    const bad = await operator.post(
      '/catalog/labels/RL-COLA2/model',
      { model: 'nope' },
      '/catalog/labels/RL-COLA2',
    );
    expect(bad.status).toBe(302);
    expect(
      (await q<{ model_code: string }>(p, "SELECT model_code FROM labels WHERE label_id = 'RL-COLA2'"))[0]
        .model_code,
    ).toBe('bwy-420');
  });
});

describe('the Omnibus lowest price in a ?at= preview', () => {
  const DAY = 86_400_000;
  const api = async (body: unknown) => {
    const res = await fetch(`${p.baseUrl}/api/v1/price-changes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(201);
  };
  const backdate = (productId: number, price: string, daysAgo: number) =>
    p.ctx.pool.query(
      'UPDATE price_history SET valid_from = ? WHERE product_id = ? AND price = ? AND promo_price IS NULL',
      [new Date(Date.now() - daysAgo * DAY), productId, price],
    );
  // The platform's own wiring answers the API; these two draw the same label with the catalog's
  // Omnibus figure (what the platform wires) and without any (what the preview did before).
  const withOmnibus = () =>
    new RenderService(p.ctx.pool, {
      omnibus: () => (pair, start, planned) => priorLowest(p.ctx.pool, pair, start, planned),
    });

  it('shows the lowest price of the 30 days before a promotion that starts later, as of its start', async () => {
    const id = await makeProduct(admin, 'OMNI-1', '鲜牛奶');
    await makeLabels(admin, store, 'OMNI-1', ['RL-OMNI']);
    expect((await setPrice(admin, id, { price: '4.00', stores: store.code })).status).toBe(302);
    expect((await setPrice(admin, id, { price: '4.20', stores: store.code })).status).toBe(302);
    // 4.00 from 10 days ago to yesterday, 4.20 since: 4.00 is inside the 30 days before the start
    await backdate(id, '4.00', 10);
    await backdate(id, '4.20', 1);
    const promoFrom = new Date(Date.now() + 2 * DAY);
    await api({
      changes: [
        {
          sku: 'OMNI-1',
          store: store.code,
          price: '4.20',
          promoPrice: '3.00',
          promoFrom: promoFrom.toISOString(),
          promoTo: new Date(Date.now() + 9 * DAY).toISOString(),
        },
      ],
    });
    const [row] = await q<{ promo_price: string | null }>(
      p,
      'SELECT promo_price FROM prices WHERE product_id = ?',
      [id],
    );
    expect(row.promo_price).toBeNull(); // not started: a promo_start schedule waits
    const at = new Date(Date.now() + 3 * DAY);
    const viaApi = await image('RL-OMNI', `?at=${encodeURIComponent(at.toISOString())}`);
    expect(viaApi.status).toBe(200);
    const right = await withOmnibus().labelImage('RL-OMNI', { at });
    expect(right.values).toMatchObject({ promoActive: true, lowestPrice30d: '¥4.00' });
    expect(right.values.promoPrice).toContain('3.00');
    expect(viaApi.body.equals(right.png)).toBe(true);
    const without = await new RenderService(p.ctx.pool).labelImage('RL-OMNI', { at });
    expect(without.values.lowestPrice30d).toBe('');
    expect(viaApi.body.equals(without.png)).toBe(false);
    // before the start the label shows no promotion, and no 30-day figure
    const soon = await withOmnibus().labelImage('RL-OMNI', { at: new Date(Date.now() + DAY) });
    expect(soon.values).toMatchObject({ promoActive: false, lowestPrice30d: '' });
  });

  it("counts a regular price scheduled between now and the promotion's start", async () => {
    const id = await makeProduct(admin, 'OMNI-3', '矿泉水');
    await makeLabels(admin, store, 'OMNI-3', ['RL-OMNI3']);
    expect((await setPrice(admin, id, { price: '10.00', stores: store.code })).status).toBe(302);
    await backdate(id, '10.00', 20);
    // 8.00 from tomorrow (a pending schedule), then a 7.00 promotion from the day after next
    await api({
      changes: [
        {
          sku: 'OMNI-3',
          store: store.code,
          price: '8.00',
          effectiveAt: new Date(Date.now() + DAY).toISOString(),
        },
      ],
    });
    await api({
      changes: [
        {
          sku: 'OMNI-3',
          store: store.code,
          price: '8.00',
          promoPrice: '7.00',
          effectiveAt: new Date(Date.now() + 3 * DAY).toISOString(),
          promoTo: new Date(Date.now() + 9 * DAY).toISOString(),
        },
      ],
    });
    const at = new Date(Date.now() + 4 * DAY);
    const right = await withOmnibus().labelImage('RL-OMNI3', { at });
    expect(right.values).toMatchObject({ promoActive: true, lowestPrice30d: '¥8.00' });
    const viaApi = await image('RL-OMNI3', `?at=${encodeURIComponent(at.toISOString())}`);
    expect(viaApi.body.equals(right.png)).toBe(true);
  });

  it("keeps today's figure for an instant inside a promotion already running", async () => {
    const id = await makeProduct(admin, 'OMNI-2', '酸奶');
    await makeLabels(admin, store, 'OMNI-2', ['RL-OMNI2']);
    expect((await setPrice(admin, id, { price: '6.00', stores: store.code })).status).toBe(302);
    await backdate(id, '6.00', 20);
    await api({
      changes: [
        {
          sku: 'OMNI-2',
          store: store.code,
          price: '6.00',
          promoPrice: '5.00',
          promoTo: new Date(Date.now() + 9 * DAY).toISOString(),
        },
      ],
    });
    const [row] = await q<{ promo_prior_lowest: string | null }>(
      p,
      'SELECT promo_prior_lowest FROM prices WHERE product_id = ?',
      [id],
    );
    expect(row.promo_prior_lowest).toBe('6.00');
    const now = await image('RL-OMNI2');
    const at = new Date(Date.now() + 3 * DAY);
    const later = await image('RL-OMNI2', `?at=${encodeURIComponent(at.toISOString())}`);
    expect(later.body.equals(now.body)).toBe(true);
    expect((await withOmnibus().labelImage('RL-OMNI2', { at })).values.lowestPrice30d).toBe('¥6.00');
  });
});

describe('templates', () => {
  const nameOnly = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      elements: [{ type: 'text', field: 'name', x: 0, y: 0, w: 296, h: 40, size: 30, ...extra }],
    });
  const count = async () =>
    Number((await q<{ n: string }>(p, 'SELECT COUNT(*) AS n FROM label_templates'))[0].n);

  it('refuses a bad template with an error naming the field, and saves nothing', async () => {
    const cases: [string, string, RegExp][] = [
      [nameOnly({ field: 'colour' }), 'elements[0].field', /unknown field "colour"/],
      [nameOnly({ w: 400 }), 'elements[0].w', /wider than the model \(296 px\)/],
      [nameOnly({ color: 'yellow' }), 'elements[0].color', /yellow is not a colour of model bwr-290/],
      [nameOnly({ text: 'x' }), 'elements[0].field', /either "field" or "text"/],
      [nameOnly({ bogus: 1 }), 'elements[0]', /bogus/],
      ['{"elements": [', 'template', /JSON/],
      [
        JSON.stringify({ elements: [{ type: 'barcode', symbology: 'ean13', x: 0, y: 0, w: 30, h: 20 }] }),
        'elements[0].field',
        /EAN-13.*needs \d+ px of width/,
      ],
    ];
    const before = await count();
    const audits = async () => (await q(p, "SELECT id FROM audit_log WHERE action LIKE 'template.%'")).length;
    const auditsBefore = await audits();
    for (const [body, field, msg] of cases) {
      const r = await operator.post(
        '/render/templates',
        { model: 'bwr-290', name: 'Bad', body },
        '/render/templates/new?model=bwr-290',
      );
      expect(r.status, body).toBe(400);
      expect(r.text).toContain('Nothing was saved');
      const esc = field.replace(/[[\]]/g, (c) => `\\${c}`);
      expect(r.text.replace(/&#34;/g, '"'), body).toMatch(
        new RegExp(`<code>${esc}</code>: [^<]*${msg.source}`),
      );
    }
    expect(await count()).toBe(before);
    expect(await audits()).toBe(auditsBefore);
  });

  it('previews an unsaved template and reports its problems by field', async () => {
    const page = await operator.get('/render/templates/new?model=bwr-290');
    expect(page.status).toBe(200);
    const post = (json: unknown) =>
      fetch(`${p.baseUrl}/render/preview`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-csrf-token': operator.lastCsrf,
          cookie: (operator as unknown as { cookies: Map<string, string> }).cookies
            ? [...(operator as unknown as { cookies: Map<string, string> }).cookies]
                .map(([k, v]) => `${k}=${v}`)
                .join('; ')
            : '',
        },
        body: JSON.stringify(json),
      });
    const ok = await post({
      model: 'bwr-290',
      template: nameOnly(),
      sku: 'PEPSI-330',
      store: String(store.id),
    });
    expect(ok.status).toBe(200);
    const d = (await ok.json()) as { png: string; imageHash: string; width: number };
    const png = Buffer.from(d.png, 'base64');
    expect(pngSize(png)).toEqual({ width: 296, height: 128 });
    expect(d.imageHash).toBe(sha(png));
    const bigger = await post({
      model: 'bwr-290',
      template: nameOnly({ size: 34 }),
      sku: 'PEPSI-330',
      store: String(store.id),
    });
    expect(Buffer.from(((await bigger.json()) as { png: string }).png, 'base64').equals(png)).toBe(false);
    const bad = await post({ model: 'bwr-290', template: nameOnly({ field: 'nope' }) });
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { error: { fields: Record<string, string> } }).error.fields['elements[0].field'],
    ).toMatch(/unknown field/);
  });

  it('applies the most specific assignment: store and category over store over the default', async () => {
    const audits = async () =>
      Number(
        (
          await q<{ n: string }>(
            p,
            "SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('template.created', 'template.updated', 'template.assigned', 'template.unassigned', 'product.label_details')",
          )
        )[0].n,
      );
    const auditsBefore = await audits();
    const base = await image('RL-PEPSI');
    const save = async (name: string, size: number) => {
      const r = await operator.post(
        '/render/templates',
        { model: 'bwr-290', name, body: nameOnly({ size }) },
        '/render/templates/new?model=bwr-290',
      );
      expect(r.status, r.text.slice(0, 500)).toBe(302);
      return Number(/\/render\/templates\/(\d+)/.exec(r.location!)![1]);
    };
    const def = await save('Name only 30', 30);
    const storeT = await save('Name only 24', 24);
    const catT = await save('Name only 18', 18);
    const assign = (form: Record<string, string>) =>
      operator.post('/render/assignments', { model: 'bwr-290', ...form }, '/render/templates');
    expect((await assign({ store: '0', category: '', templateId: String(def) })).status).toBe(302);
    const withDefault = await image('RL-PEPSI');
    expect(withDefault.body.equals(base.body)).toBe(false);
    expect((await assign({ store: String(store.id), category: '', templateId: String(storeT) })).status).toBe(
      302,
    );
    const withStore = await image('RL-PEPSI');
    expect(withStore.body.equals(withDefault.body)).toBe(false);
    // a category assignment for another category changes nothing; for the product's category it wins
    expect(
      (await assign({ store: String(store.id), category: 'drinks', templateId: String(catT) })).status,
    ).toBe(302);
    expect((await image('RL-PEPSI')).body.equals(withStore.body)).toBe(true);
    const pepsiId = (await q<{ id: number }>(p, "SELECT id FROM products WHERE sku = 'PEPSI-330'"))[0].id;
    const det = await operator.post(
      `/render/products/${pepsiId}/details`,
      { category: 'drinks', netQuantity: '330', netUnit: 'ml' },
      `/catalog/products/${pepsiId}`,
    );
    expect(det.status).toBe(302);
    const withCat = await image('RL-PEPSI');
    expect(withCat.body.equals(withStore.body)).toBe(false);
    // editing the template gives a new version and a new image
    const edit = await operator.post(
      `/render/templates/${catT}`,
      { model: 'bwr-290', name: 'Name only 18', body: nameOnly({ size: 20 }) },
      `/render/templates/${catT}`,
    );
    expect(edit.status).toBe(302);
    expect(
      (await q<{ version: number }>(p, 'SELECT version FROM label_templates WHERE id = ?', [catT]))[0]
        .version,
    ).toBe(2);
    expect((await image('RL-PEPSI')).body.equals(withCat.body)).toBe(false);
    // removing the assignments falls back to the built-in layout: the first image again
    for (const [s, c] of [
      [String(store.id), 'drinks'],
      [String(store.id), ''],
      ['0', ''],
    ])
      expect((await assign({ store: s, category: c, templateId: 'builtin' })).status).toBe(302);
    expect((await image('RL-PEPSI')).body.equals(base.body)).toBe(false); // the category's template was removed, the unit price stays
    expect(await audits()).toBe(auditsBefore + 3 + 1 + 3 + 3 + 1);
  });

  it('names the barcode field when a value is invalid for its symbology', async () => {
    const r = await operator.post(
      '/render/templates',
      {
        model: 'bwr-290',
        name: 'EAN only',
        body: JSON.stringify({
          elements: [{ type: 'barcode', symbology: 'ean13', x: 100, y: 20, w: 190, h: 100 }],
        }),
      },
      '/render/templates/new?model=bwr-290',
    );
    expect(r.status).toBe(302);
    const id = Number(/\/render\/templates\/(\d+)/.exec(r.location!)![1]);
    await operator.post(
      '/render/assignments',
      { model: 'bwr-290', store: '0', category: '', templateId: String(id) },
      '/render/templates',
    );
    const bad = await image('RL-PEPSI');
    expect(bad.status).toBe(400);
    expect(errorOf(bad).fields['elements[0].field']).toMatch(
      /field "sku": "PEPSI-330" cannot be drawn as EAN-13/,
    );
    const good = await image('RL-COLA');
    expect(good.status).toBe(200);
    await operator.post(
      '/render/assignments',
      { model: 'bwr-290', store: '0', category: '', templateId: 'builtin' },
      '/render/templates',
    );
  });
});

describe('worker rendering of tasks', () => {
  it('renders every item of a task in the worker and records its image hash', async () => {
    expect((await setPrice(admin, colaId, { price: '4.10', stores: store.code })).status).toBe(302);
    const [task] = await q<{ id: string }>(p, 'SELECT MAX(task_id) AS id FROM task_items');
    await expect
      .poll(
        async () =>
          (
            await q(p, 'SELECT * FROM render_task_progress WHERE task_id = ? AND state = ?', [
              task.id,
              'done',
            ])
          ).length,
      )
      .toBe(1);
    const rows = await q<{ label_id: string; image_hash: string | null; error: string | null }>(
      p,
      'SELECT ti.label_id, i.image_hash, i.error FROM task_items ti JOIN task_item_images i ON i.item_id = ti.id WHERE ti.task_id = ? ORDER BY ti.label_id',
      [task.id],
    );
    expect(rows.map((r) => r.label_id)).toEqual(['RL-COLA', 'RL-COLA2']);
    // what the worker rendered is what the API shows for the label now
    for (const r of rows) {
      expect(r.error).toBeNull();
      expect(r.image_hash).toBe((await image(r.label_id)).hash);
    }
    // the task page links to what each label will show
    expect((await operator.get(`/tasks/${task.id}`)).text).toContain(`href="/render/tasks/${task.id}"`);
    const page = await operator.get(`/render/tasks/${task.id}`);
    expect(page.status).toBe(200);
    const ids = [...page.text.matchAll(/src="\/render\/items\/(\d+)\.png"/g)].map((m) => m[1]);
    expect(ids).toHaveLength(2);
    for (const itemId of ids) {
      const png = await operator.request('GET', `/render/items/${itemId}.png`, {
        headers: { accept: 'image/png' },
      });
      expect(png.status).toBe(200);
      expect(rows.map((r) => r.image_hash)).toContain(png.headers.get('x-image-hash'));
    }
  });

  it('draws one image for labels that show the same content, under one content key', async () => {
    const id = await makeProduct(admin, 'SAME-1', '雪碧 汽水');
    await makeLabels(admin, store, 'SAME-1', ['RL-SAME-A', 'RL-SAME-B', 'RL-SAME-C']);
    expect((await setPrice(admin, id, { price: '2.80', stores: store.code })).status).toBe(302);
    const [task] = await q<{ id: string }>(p, 'SELECT MAX(task_id) AS id FROM task_items');
    await expect
      .poll(async () => (await q(p, 'SELECT * FROM task_item_images WHERE task_id = ?', [task.id])).length)
      .toBe(3);
    // the label id is not drawn on this model's page: it is not part of the key
    const rows = await q<{ content_key: string; image_hash: string }>(
      p,
      'SELECT DISTINCT content_key, image_hash FROM task_item_images WHERE task_id = ?',
      [task.id],
    );
    expect(rows).toHaveLength(1);
    expect(
      await q(p, 'SELECT content_key FROM label_images WHERE image_hash = ?', [rows[0].image_hash]),
    ).toEqual([{ content_key: rows[0].content_key }]);
    for (const label of ['RL-SAME-A', 'RL-SAME-B', 'RL-SAME-C'])
      expect((await image(label)).hash).toBe(rows[0].image_hash);
  });

  it('records the error of an item it cannot render and goes on', async () => {
    const rare = (await q<{ id: number }>(p, "SELECT id FROM products WHERE sku = 'RARE-1'"))[0].id;
    expect((await setPrice(admin, rare, { price: '8.80', stores: store.code })).status).toBe(302);
    const [task] = await q<{ id: string }>(p, 'SELECT MAX(task_id) AS id FROM task_items');
    await expect
      .poll(
        async () =>
          (
            await q<{ failed: number }>(
              p,
              "SELECT failed FROM render_task_progress WHERE task_id = ? AND state = 'done'",
              [task.id],
            )
          )[0]?.failed,
      )
      .toBe(1);
    const [row] = await q<{ error: string }>(p, 'SELECT error FROM task_item_images WHERE task_id = ?', [
      task.id,
    ]);
    expect(row.error).toMatch(/U\+20000/);
    // the label page says so too
    const page = await operator.get('/catalog/labels/RL-RARE');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/not rendered: .*U\+20000/);
  });
});
