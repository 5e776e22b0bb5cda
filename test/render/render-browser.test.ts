// A real browser: an operator edits a template and watches the live preview change (and
// list a bad template's problems by field), saves it, and sees the label's image on the
// label page and the product page. Screenshots at 1280 and 390 px go to /tmp/shots-render/.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import type { TestPlatform } from '../support/platform.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  PASSWORD,
  q,
  setPrice,
  signedIn,
  startCatalogPlatform,
} from '../catalog/support/fixtures.js';

const SHOTS = '/tmp/shots-render';
let p: TestPlatform;
let browser: Browser;
let productId: number;
let operator: string;

beforeAll(async () => {
  [p, browser] = await Promise.all([startCatalogPlatform(), launchBrowser()]);
  const admin = await signedIn(p, 'admin');
  const s = await makeStore(p, admin, 'B1');
  productId = await makeProduct(admin, '6901234567892', '康师傅 红烧牛肉面 五连包');
  await makeLabels(admin, s, '6901234567892', ['BL-1']);
  expect((await setPrice(admin, productId, { price: '12.50', stores: 'B1' })).status).toBe(302);
  await admin.post(
    `/render/products/${productId}/details`,
    {
      nameLatin: 'Master Kong Braised Beef Noodles 5-pack',
      netQuantity: '515',
      netUnit: 'g',
      origin: '天津',
      spec: '103g × 5',
    },
    `/catalog/products/${productId}`,
  );
  operator = `op-${Date.now().toString(36)}`;
  // created with a first password and signed in once to choose PASSWORD, as a new user must
  expect((await admin.createUser({ username: operator, role: 'operator', password: PASSWORD })).status).toBe(
    200,
  );
  fs.mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

async function signIn(width: number): Promise<Page & { errors: string[] }> {
  const page = (await browser.newPage({ viewport: { width, height: 900 } })) as Page & { errors: string[] };
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  // The preview's and the refused save's 400 answers are expected, and the browser's own
  // favicon request is no concern of these pages; anything else is.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 400/.test(m.text()) && !m.location().url.endsWith('/favicon.ico'))
      page.errors.push(m.text());
  });
  await page.goto(`${p.baseUrl}/login`);
  await page.fill('input[name=username]', operator);
  await page.fill('input[name=password]', PASSWORD);
  await Promise.all([page.waitForURL(`${p.baseUrl}/`), page.click('button[type=submit]')]);
  return page;
}

const src = (page: Page) => page.locator('#preview-img').getAttribute('src');

describe('template editor and label page in a browser', () => {
  it('shows the live preview of the unsaved template, its errors by field, and saves it', async () => {
    const page = await signIn(1280);
    await page.goto(`${p.baseUrl}/render/templates/new?model=bwr-290`);
    await expect.poll(() => src(page)).toMatch(/^data:image\/png;base64,/);
    const sample = await src(page);
    // the store's real product instead of the sample one
    await page.fill('#preview-sku', '6901234567892');
    await expect.poll(() => src(page)).not.toBe(sample);
    const real = await src(page);
    await page.screenshot({ path: `${SHOTS}/editor-1280.png`, fullPage: true });

    // change the name's size: the preview changes without saving
    const body = await page.locator('#template-body').inputValue();
    const json = JSON.parse(body);
    json.elements[0].size = 16;
    json.elements[0].minSize = 16;
    await page.fill('#template-body', JSON.stringify(json, null, 2));
    await expect.poll(() => src(page)).not.toBe(real);
    const smaller = await src(page);

    // an unknown field: the problem is listed by field and the last image is kept, dimmed
    json.elements[1].field = 'nameEnglish';
    await page.fill('#template-body', JSON.stringify(json, null, 2));
    await expect
      .poll(() => page.locator('#preview-errors').textContent())
      .toMatch(/elements\[1\]\.field: unknown field "nameEnglish"/);
    expect(await src(page)).toBe(smaller);
    expect(await page.locator('#preview-img').getAttribute('class')).toContain('stale');
    await page.screenshot({ path: `${SHOTS}/editor-error-1280.png`, fullPage: true });

    // saving it is refused and nothing is stored
    await page.fill('input[name=name]', 'Small name');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Save template")')]);
    await expect
      .poll(() => page.locator('[data-testid=save-errors]').textContent())
      .toMatch(/Nothing was saved/);
    expect(await q(p, 'SELECT id FROM label_templates')).toHaveLength(0);

    json.elements[1].field = 'nameLatin';
    await page.fill('#template-body', JSON.stringify(json, null, 2));
    await Promise.all([
      page.waitForURL(/\/render\/templates\/\d+$/),
      page.click('button:has-text("Save template")'),
    ]);
    expect(await q(p, 'SELECT id FROM label_templates')).toHaveLength(1);
    expect(page.errors).toEqual([]);

    const narrow = await signIn(390);
    await narrow.goto(page.url());
    await expect.poll(() => src(narrow)).toMatch(/^data:image\/png;base64,/);
    await narrow.screenshot({ path: `${SHOTS}/editor-390.png`, fullPage: true });
    expect(narrow.errors).toEqual([]);
  });

  it('shows the label image on the label page and the product page', async () => {
    for (const width of [1280, 390]) {
      const page = await signIn(width);
      await page.goto(`${p.baseUrl}/catalog/labels`);
      await Promise.all([page.waitForURL(/\/catalog\/labels\/BL-1$/), page.click('a:has-text("BL-1")')]);
      const img = page.locator('[data-testid=label-image]');
      await expect
        .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth))
        .toBe(296);
      expect(await img.evaluate((el: HTMLImageElement) => el.naturalHeight)).toBe(128);
      await page.screenshot({ path: `${SHOTS}/label-${width}.png`, fullPage: true });
      await page.goto(`${p.baseUrl}/catalog/products/${productId}`);
      const pv = page.locator('[data-testid=label-previews] img').first();
      await expect
        .poll(() => pv.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth))
        .toBe(296);
      await page.screenshot({ path: `${SHOTS}/product-${width}.png`, fullPage: true });
      // the task of the price change: what each label will show, drawn on request
      const [task] = await q<{ id: string }>(p, 'SELECT MAX(task_id) AS id FROM task_items');
      await page.goto(`${p.baseUrl}/tasks/${task.id}`);
      await Promise.all([page.waitForURL(/\/render\/tasks\/\d+$/), page.click('[data-testid=task-images]')]);
      const ti = page.locator('[data-testid=task-label-images] img').first();
      await expect
        .poll(() => ti.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth))
        .toBe(296);
      await page.screenshot({ path: `${SHOTS}/task-images-${width}.png`, fullPage: true });
      expect(page.errors).toEqual([]);
    }
  });
});
