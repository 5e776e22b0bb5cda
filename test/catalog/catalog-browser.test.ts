// A real browser: an operator changes a price from the product page and imports a CSV
// file through the file picker (which fills the form under the strict CSP).
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAs } from '../support/browser.js';
import type { TestPlatform } from '../support/platform.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  PASSWORD,
  q,
  signedIn,
  startCatalogPlatform,
} from './support/fixtures.js';

let p: TestPlatform;
let browser: Browser;
let productId: number;
let operator: string;

beforeAll(async () => {
  [p, browser] = await Promise.all([startCatalogPlatform(), launchBrowser()]);
  const admin = await signedIn(p, 'admin');
  const s = await makeStore(p, admin, 'W1');
  await makeStore(p, admin, 'W2');
  productId = await makeProduct(admin, 'WEB-1', 'Milk 1L');
  await makeLabels(admin, s, 'WEB-1', ['WL-1', 'WL-2']);
  operator = `op-${Date.now().toString(36)}`;
  expect((await admin.createUser({ username: operator, role: 'operator', password: PASSWORD })).status).toBe(
    200,
  );
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

async function signIn(): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  (page as Page & { errors?: string[] }).errors = errors;
  await signInAs(page, p.baseUrl, operator, PASSWORD);
  return page;
}

describe('catalog pages in a browser', () => {
  it('changes a price in one store from the product page and shows the task', async () => {
    const page = await signIn();
    await page.click('header nav a:has-text("Products")');
    await page.click('a:has-text("WEB-1")');
    await page.check('input[name=stores][value=W1]');
    await page.fill('input[name=price]', '4.20');
    // The operator lands on the new task's page, to watch the labels confirm.
    await Promise.all([page.waitForURL(/\/tasks\/\d+$/), page.click('button:has-text("Change price")')]);
    expect(await page.locator('.flash.ok').textContent()).toMatch(
      /1 price\(s\) changed; task \d+ updates 2 label\(s\)/,
    );
    await page.goto(`${p.baseUrl}/catalog/products/${productId}`);
    expect((await page.locator('tr[data-store="W1"] td.price').textContent())!.trim()).toMatch(
      /^CNY\s4\.20$/,
    );

    await page.fill('input[name=price]', '4.999');
    await page.check('input[name=allStores]');
    await page.click('button:has-text("Change price")');
    expect(await page.locator('[data-field=price]').textContent()).toContain('more than 2 decimals');
    expect(await q(p, 'SELECT price FROM prices WHERE product_id = ?', [productId])).toEqual([
      { price: '4.20' },
    ]);
  });

  it('imports a CSV file chosen with the file picker: preview, then confirm', async () => {
    const page = await signIn();
    await Promise.all([
      page.waitForURL(/\/catalog\/imports$/),
      page.click('header nav a:has-text("Import prices")'),
    ]);
    // The picker's change handler is a deferred script: pick the file only once it has run.
    await page.waitForLoadState('load');
    await page.setInputFiles('#import-file', {
      name: 'prices.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('sku,store,price\nWEB-1,W1,5.10\nWEB-1,W2,5.20\n'),
    });
    // The file goes as its bytes (the server detects the encoding); the textarea is set aside.
    await expect
      .poll(() => page.inputValue('input[name=fileData]'))
      .toBe(Buffer.from('sku,store,price\nWEB-1,W1,5.10\nWEB-1,W2,5.20\n').toString('base64url'));
    expect(await page.isDisabled('textarea[name=csv]')).toBe(true);
    await page.click('button:has-text("Check and preview")');
    await page.waitForURL(/\/catalog\/imports\/[0-9a-f]{32}$/);
    expect(await page.getByTestId('import-state').textContent()).toContain('2 row(s), all valid');
    expect(await page.getByTestId('import-labels').textContent()).toBe('2');
    expect(await page.locator('h1').textContent()).toContain('prices.csv');
    await page.click('button:has-text("Apply 2 price change(s)")');
    expect(await page.locator('.flash.ok').textContent()).toContain('Import applied: 2 price(s) changed');
    expect(
      await q(p, 'SELECT price FROM prices WHERE product_id = ? ORDER BY store_id', [productId]),
    ).toEqual([{ price: '5.10' }, { price: '5.20' }]);
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
  });

  it('imports a GBK file with Chinese headers chosen with the file picker, on a Chinese page', async () => {
    const page = await signIn();
    await page.goto(`${p.baseUrl}/catalog/imports`);
    await page.click('[data-testid=lang-switch] button[value=zh-CN]');
    await page.waitForURL(/\/catalog\/imports$/);
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.waitForLoadState('load');
    await page.setInputFiles('#import-file', {
      name: '价格表.csv',
      mimeType: 'text/csv',
      buffer: iconv.encode('商品编码,门店,价格\r\nWEB-1,W1,5.30\r\n', 'gbk'),
    });
    await expect.poll(() => page.getAttribute('#import-form', 'data-ready')).toBe('file');
    await page.click('button:has-text("检查并预览")');
    await page.waitForURL(/\/catalog\/imports\/[0-9a-f]{32}$/);
    expect(await page.getByTestId('import-state').textContent()).toContain('1');
    expect(await page.locator('h1').textContent()).toBe('导入 价格表.csv');
    expect(
      await page.locator('[data-testid=import-samples] td[data-price="5.30"]').first().textContent(),
    ).toBe('¥5.30');
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
  });
});
