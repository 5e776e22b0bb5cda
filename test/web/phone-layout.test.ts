// The pages this project translates fit a phone: at 390 px and 768 px the document is no wider
// than the viewport (tables scroll inside their own box, the navigation wraps), in Chinese
// and English. With SCREENSHOT_DIR set, each page is also saved at 1280 and 390 px.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import type { TestPlatform } from '../support/platform.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  PASSWORD,
  signedIn,
  startCatalogPlatform,
} from '../catalog/support/fixtures.js';

let p: TestPlatform;
let browser: Browser;
let importPath = '';
let badImport = '';
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  [p, browser] = await Promise.all([startCatalogPlatform(), launchBrowser()]);
  const admin = await signedIn(p, 'admin');
  const store = await makeStore(p, admin, 'SH-XUHUI-0001');
  await makeProduct(admin, '6901234567890', '可口可乐 330ml 罐装');
  await makeLabels(admin, store, '6901234567890', ['ESL-0000-0000-0001', 'ESL-0000-0000-0002']);
  for (const role of ['operator', 'auditor'])
    await admin.post(
      '/admin/users',
      { username: `${role}-with-a-rather-long-name`, role, password: PASSWORD },
      '/admin/users',
    );
  await admin.post(
    '/admin/api-keys',
    { name: 'ERP 接口 (production)', scopes: 'prices:write' },
    '/admin/api-keys',
  );
  await admin.post('/admin/mqtt/groups', { groupId: 'GID_SHANGHAI_XUHUI_STORE_0001' }, '/admin/mqtt');
  await admin.post(
    '/admin/mqtt/access-keys',
    { description: '门店基站', groupIds: '' },
    '/admin/mqtt/credentials',
  );
  await admin.post(
    '/admin/mqtt/device-credentials',
    { clientId: 'GID_SHANGHAI_XUHUI_STORE_0001@@@AP-0000000000000001' },
    '/admin/mqtt/credentials',
  );
  const r = await admin.post(
    '/catalog/imports',
    {
      csv: 'sku,store,price,promo_price,promo_to\n6901234567890,SH-XUHUI-0001,3.50,2.99,2030-01-01T00:00:00Z\n',
    },
    '/catalog/imports',
  );
  expect(r.status).toBe(302);
  importPath = r.location!;
  badImport = 'sku,store,price\n6901234567890,NOPE,abc\n';
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

const PAGES = [
  '/account/password',
  '/admin/users',
  '/admin/api-keys',
  '/admin/mqtt',
  '/admin/mqtt/credentials',
  '/audit',
  '/audit/verify?fromId=1',
  '/catalog/imports',
  'IMPORT',
  'IMPORT-ERRORS',
  '/aisle',
  '/aisle?label=NO-SUCH-LABEL',
  '/commands',
  '/no-such-page',
];

async function fit(locale: 'zh-CN' | 'en') {
  const context = await browser.newContext({ locale, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const wide: string[] = [];
  const check = async (name: string) => {
    for (const width of [390, 768]) {
      await page.setViewportSize({ width, height: 844 });
      const w = await page.evaluate(() => ({
        doc: document.documentElement.scrollWidth,
        view: document.documentElement.clientWidth,
      }));
      if (w.doc > w.view) wide.push(`${name} at ${width} px: ${w.doc} px wide`);
    }
    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        const file = `${name.replace(/[^a-z0-9]+/gi, '_')}-${locale}-${width}.png`;
        await page.screenshot({ path: path.join(shots, file), fullPage: true });
      }
    }
  };
  await page.goto(`${p.baseUrl}/login`);
  expect(await page.getAttribute('html', 'lang')).toBe(locale);
  await check('login');
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', p.adminPassword);
  await Promise.all([page.waitForURL(`${p.baseUrl}/`), page.click('button[type=submit]')]);
  for (const url of PAGES) {
    if (url === 'IMPORT-ERRORS') {
      await page.goto(`${p.baseUrl}/catalog/imports`);
      await page.fill('textarea[name=csv]', badImport);
      await Promise.all([page.waitForLoadState('load'), page.click('#import-form button[type=submit]')]);
      await page.waitForSelector('[data-testid=import-errors]');
    } else {
      await page.goto(`${p.baseUrl}${url === 'IMPORT' ? importPath : url}`);
    }
    expect(await page.getAttribute('html', 'lang')).toBe(locale);
    await check(url === 'IMPORT' ? 'import-preview' : url === 'IMPORT-ERRORS' ? 'import-errors' : url);
  }
  await context.close();
  return wide;
}

describe('phone layout', () => {
  it('keeps every translated page within a 390 px and a 768 px screen, in Chinese', async () => {
    expect(await fit('zh-CN')).toEqual([]);
  });
  it('and in English', async () => {
    expect(await fit('en')).toEqual([]);
  });
});
