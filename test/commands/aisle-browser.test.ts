// The aisle page in real headless Chromium at phone width: headless Chromium has no
// BarcodeDetector, so the page must degrade to typed entry cleanly (Scan buttons stay hidden, no
// script error); an operator types a label's barcode, sees what it is bound to and must show,
// rebinds it to another product by typing that product's barcode (after confirming), and
// flashes it, which the label's simulated AP acks. Screenshots at 390 and 1280 px in both
// languages go to /tmp/shots-commands/.
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { queryRows } from '../../server/db/query.js';
import { SimAp } from '../../sim/sim-ap.js';
import { launchBrowser, pageProblems } from '../support/browser.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';
import { USER_PASSWORD, WebClient } from '../support/web-client.js';
import { seedStore, type SeededStore } from '../tasks/support/fixtures.js';

const SHOTS = '/tmp/shots-commands';
let f: BrokerFixture;
let s: SeededStore;
let browser: Browser;
let ap: SimAp;
const sku: string[] = [];
const name: string[] = [];
const q = <T extends object>(sql: string, args: unknown[] = []) =>
  queryRows<T>(f.platform.ctx.pool, sql, args);

beforeAll(async () => {
  [f, browser] = await Promise.all([startBroker(), launchBrowser()]);
  const g = await f.newGroup();
  s = await seedStore(f.platform.ctx.pool, {
    products: 2,
    labelsPerProduct: 1,
    groupId: g.groupId,
    price: '3.50',
  });
  await q("UPDATE products SET name = CONCAT('可口可乐 330ml #', id) WHERE id IN (?)", [s.productIds]);
  for (const r of await q<{ sku: string; name: string }>(
    'SELECT sku, name FROM products WHERE id IN (?) ORDER BY id',
    [s.productIds],
  )) {
    sku.push(r.sku);
    name.push(r.name);
  }
  const clientId = `${g.groupId}@@@AISLE`;
  ap = new SimAp({
    url: f.url(),
    clientId,
    parentTopic: f.parent,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
    labels: s.labelIds,
    caps: ['led'],
    statusIntervalMs: 60_000,
    latencyMs: 1500,
  });
  await ap.start();
  await waitFor('label served', () =>
    q<{ n: number }>(
      'SELECT 1 AS n FROM labels l JOIN aps a ON a.client_id = l.last_ap_client_id WHERE l.label_id = ? AND a.online = 1',
      [s.labelIds[0]],
    ).then((r) => r.length === 1),
  );
  const admin = new WebClient(f.platform.baseUrl);
  await admin.login('admin', f.platform.adminPassword);
  expect(
    (await admin.createUser({ username: 'aisle-op', role: 'operator', password: USER_PASSWORD })).status,
  ).toBe(200);
  fs.mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await ap?.stop();
  await browser?.close();
  await f?.close();
});

async function operatorPage(
  width: number,
  locale: 'en' | 'zh-CN',
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, locale });
  const page = await ctx.newPage();
  await page.goto(`${f.platform.baseUrl}/login`);
  await page.fill('input[name=username]', 'aisle-op');
  await page.fill('input[name=password]', USER_PASSWORD);
  await Promise.all([page.waitForURL(`${f.platform.baseUrl}/`), page.click('button[type=submit]')]);
  return { ctx, page };
}
const docWidth = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth);

describe('the aisle page on a phone', () => {
  it('degrades to typed entry where BarcodeDetector is missing, and looks a label up by its typed barcode', async () => {
    const { ctx, page } = await operatorPage(390, 'en');
    const problems = pageProblems(page);
    await page.goto(`${f.platform.baseUrl}/aisle`);
    expect(await page.evaluate(() => 'BarcodeDetector' in window)).toBe(false);
    // the script ran and left the camera parts hidden: typing is the way
    expect(await page.locator('button[data-scan-for]').count()).toBe(1);
    expect(await page.locator('button[data-scan-for]').isHidden()).toBe(true);
    expect(await page.locator('[data-testid=scanner]').isHidden()).toBe(true);
    expect(await page.locator('#label-code').evaluate((e) => e === document.activeElement)).toBe(true);
    await page.fill('#label-code', `  ${s.labelIds[0]} `);
    await Promise.all([page.waitForURL(/\/aisle\?label=/), page.press('#label-code', 'Enter')]);
    await expect.poll(() => page.locator('[data-testid=bound-to]').textContent()).toContain(name[0]);
    expect(await page.locator('[data-testid=price]').textContent()).toContain('3.50');
    const img = page.locator('[data-testid=label-image]');
    await expect.poll(() => img.evaluate((e) => (e as HTMLImageElement).naturalWidth)).toBe(296);
    expect(await docWidth(page)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: `${SHOTS}/aisle-390-en.png`, fullPage: true });

    await page.fill('#label-code', 'NO-SUCH-LABEL');
    await Promise.all([page.waitForURL(/label=NO-SUCH-LABEL/), page.press('#label-code', 'Enter')]);
    expect(await page.locator('[data-testid=not-found]').textContent()).toContain('NO-SUCH-LABEL');
    expect(await page.locator('#label-code').getAttribute('aria-describedby')).toBe('label-code-error');
    expect(problems).toEqual([]);
    await ctx.close();
  });

  it('rebinds a label to another product after confirming, and flashes it', async () => {
    const { ctx, page } = await operatorPage(390, 'en');
    const problems = pageProblems(page);
    await page.goto(`${f.platform.baseUrl}/aisle?label=${encodeURIComponent(s.labelIds[0])}`);
    // an unknown product barcode: the field says so, nothing changes
    await page.fill('#product-code', '0000000000000');
    await Promise.all([
      page.waitForURL(/\/aisle\/bind/),
      page.click('[data-testid=bind-form] button[type=submit]'),
    ]);
    expect(await page.locator('#product-code-error').textContent()).toContain('0000000000000');
    await page.fill('#product-code', sku[1]);
    await page.click('[data-testid=bind-form] button[type=submit]');
    const confirm = page.locator('[data-testid=confirm-rebind]');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain(name[0]);
    expect(await confirm.textContent()).toContain(name[1]);
    expect(
      (
        await q<{ product_id: number }>('SELECT product_id FROM labels WHERE label_id = ?', [s.labelIds[0]])
      )[0].product_id,
    ).toBe(s.productIds[0]);
    await page.screenshot({ path: `${SHOTS}/aisle-rebind-390-en.png`, fullPage: true });
    await Promise.all([page.waitForURL(/\/aisle\?label=/), confirm.locator('button[type=submit]').click()]);
    await expect.poll(() => page.locator('[data-testid=bound-to]').textContent()).toContain(name[1]);
    expect(await page.locator('.flash.ok').textContent()).toContain(sku[1]);

    await Promise.all([
      page.waitForURL(/\/aisle\?label=/),
      page.click('[data-testid=aisle-flash] button[type=submit]'),
    ]);
    expect(await page.locator('.flash.ok').count()).toBe(1);
    // the AP answers after 1.5 s: the page polls the label's commands and shows the ack by itself
    await page
      .locator('[data-testid=command-history] li[data-state=acked]')
      .first()
      .waitFor({ timeout: 60_000 });
    expect(ap.ledOn(s.labelIds[0])).toMatchObject({ command: 'flash', colour: 'red' });
    expect(await docWidth(page)).toBeLessThanOrEqual(390);
    // the unknown barcode's answer is a 400 page, which the browser logs; nothing else
    expect(problems.filter((p) => !/status of 400 .*\/aisle\/bind$/.test(p))).toEqual([]);
    await ctx.close();
  });

  it('fits 768 px, and reads in both languages at 390 and 1280 px (screenshots)', async () => {
    for (const locale of ['en', 'zh-CN'] as const)
      for (const width of [390, 768, 1280]) {
        const { ctx, page } = await operatorPage(width, locale);
        await page.goto(`${f.platform.baseUrl}/aisle?label=${encodeURIComponent(s.labelIds[0])}`);
        expect(await page.locator('html').getAttribute('lang')).toBe(locale);
        expect(await docWidth(page)).toBeLessThanOrEqual(width);
        if (locale === 'zh-CN') expect(await page.locator('h1').textContent()).toBe('货架');
        if (width !== 768)
          await page.screenshot({ path: `${SHOTS}/aisle-${width}-${locale}.png`, fullPage: true });
        // the label page's command panel, the product page's bulk form and the command list
        for (const [shot, path] of [
          ['label', `/catalog/labels/${encodeURIComponent(s.labelIds[0])}`],
          ['product', `/catalog/products/${s.productIds[1]}`],
          ['list', `/commands?label=${encodeURIComponent(s.labelIds[0])}`],
        ]) {
          await page.goto(`${f.platform.baseUrl}${path}`);
          expect(await docWidth(page), `${path} at ${width}`).toBeLessThanOrEqual(width);
          if (width !== 768)
            await page.screenshot({ path: `${SHOTS}/${shot}-${width}-${locale}.png`, fullPage: true });
        }
        await ctx.close();
      }
  });
});

describe('the aisle page where the browser can read barcodes', () => {
  it('shows Scan, opens the camera in the page and looks up the barcode it reads', async () => {
    // Chromium's fake camera, and a BarcodeDetector standing in for the platform one headless
    // Chromium lacks (the browser's API, not the project's code): it reads the label's barcode
    // from the third frame it is given.
    const { chromium } = await import('playwright-core');
    const camera = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
      ],
    });
    try {
      const ctx = await camera.newContext({ viewport: { width: 390, height: 900 }, locale: 'en' });
      await ctx.grantPermissions(['camera'], { origin: f.platform.baseUrl });
      await ctx.addInitScript((code: string) => {
        let frames = 0;
        class FakeDetector {
          static async getSupportedFormats() {
            return ['ean_13', 'code_128', 'qr_code'];
          }
          async detect(source: HTMLVideoElement) {
            if (!(source instanceof HTMLVideoElement) || !source.srcObject)
              throw new Error('not a camera frame');
            return ++frames >= 3 ? [{ rawValue: code, format: 'code_128' }] : [];
          }
        }
        (window as unknown as { BarcodeDetector: unknown }).BarcodeDetector = FakeDetector;
      }, s.labelIds[1]);
      const page = await ctx.newPage();
      const problems = pageProblems(page);
      await page.goto(`${f.platform.baseUrl}/login`);
      await page.fill('input[name=username]', 'aisle-op');
      await page.fill('input[name=password]', USER_PASSWORD);
      await Promise.all([page.waitForURL(`${f.platform.baseUrl}/`), page.click('button[type=submit]')]);
      await page.goto(`${f.platform.baseUrl}/aisle`);
      const scan = page.locator('button[data-scan-for=label-code]');
      expect(await scan.isVisible()).toBe(true);
      await Promise.all([page.waitForURL(/\/aisle\?label=/), scan.click()]);
      expect(decodeURIComponent(new URL(page.url()).searchParams.get('label')!)).toBe(s.labelIds[1]);
      await expect.poll(() => page.locator('[data-testid=bound-to]').textContent()).toContain(name[1]);
      // the product field has its own Scan button once a label is shown
      expect(await page.locator('button[data-scan-for=product-code]').isVisible()).toBe(true);
      expect(problems).toEqual([]);
      await ctx.close();
    } finally {
      await camera.close();
    }
  });
});
