// The API reference at /api/docs: Swagger UI served by the app itself renders every operation
// of the OpenAPI document under the strict CSP (no violation, no script error), for anonymous
// and signed-in visitors; a call tried from it reaches the API with an API key, or without one
// as the signed-in user (the page sends the session's CSRF token).
// With SCREENSHOT_DIR set, the page is saved at 1280 and 390 px.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signInAs } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { WebClient } from '../support/web-client.js';

let p: TestPlatform;
let browser: Browser;
let operations = 0;
let apiKey = '';
const shots = process.env.SCREENSHOT_DIR;

beforeAll(async () => {
  [p, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
  const doc = (await (await fetch(`${p.baseUrl}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, object>;
  };
  operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  const r = await admin.post('/admin/api-keys', { name: 'docs', scopes: 'tasks:read' }, '/admin/api-keys');
  apiKey = /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

/** Records CSP violations and script errors from the page's first byte on. */
async function watched(page: Page) {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // The app serves no favicon (no page does): the browser's own request for it is not the page's.
    if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico'))
      problems.push(`console: ${m.text()} ${m.location().url}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return problems;
}

async function rendered(page: Page, name: string) {
  await page.goto(`${p.baseUrl}/api/docs`);
  await page.waitForSelector('.opblock');
  expect(await page.locator('.opblock').count()).toBe(operations);
  // no wider than a phone's screen
  await page.setViewportSize({ width: 390, height: 844 });
  const w = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.clientWidth,
  ]);
  expect(w[0]).toBeLessThanOrEqual(w[1]);
  if (shots) {
    fs.mkdirSync(shots, { recursive: true });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(shots, `api-docs-${name}-${width}.png`), fullPage: true });
      await page.screenshot({ path: path.join(shots, `api-docs-${name}-${width}-top.png`) });
    }
    // close-ups: an operation opened, and the schemas
    await page.setViewportSize({ width: 1280, height: 900 });
    const op = page.locator('[id$="-createPriceChanges"]').first();
    await op.locator('.opblock-summary').click();
    await op.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, `api-docs-${name}-operation.png`) });
    await page.locator('.models').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, `api-docs-${name}-schemas.png`) });
    await op.locator('.opblock-summary').click();
  }
}

describe('API reference', () => {
  it('renders every operation for an anonymous visitor under the CSP', async () => {
    const context = await browser.newContext({ locale: 'en' });
    const page = await context.newPage();
    const problems = await watched(page);
    await rendered(page, 'anonymous');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('is linked from the footer of a signed-in page, tries a call with an API key, and writes as the signed-in user', async () => {
    const context = await browser.newContext({ locale: 'en', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = await watched(page);
    await signInAs(page, p.baseUrl, 'admin', p.adminPassword);
    await Promise.all([page.waitForURL(`${p.baseUrl}/api/docs`), page.click('footer a[href="/api/docs"]')]);
    await rendered(page, 'signed-in');

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('button.authorize');
    await page.fill('.auth-container input[type=text], .auth-container input[type=password]', apiKey);
    await page.click('.auth-container button.authorize');
    await page.click('button.close-modal');
    const op = page.locator('#operations-default-listStores, [id$="-listStores"]').first();
    await op.locator('.opblock-summary').click();
    await op.locator('button.try-out__btn').click();
    await op.locator('button.execute').click();
    const status = op.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(() => status.textContent(), { timeout: 20_000 }).toContain('200');
    expect(
      await op.locator('.live-responses-table .microlight, .live-responses-table pre').first().textContent(),
    ).toContain('"stores"');

    // without a key, a write runs as the signed-in admin (the page sends the session's CSRF token)
    await page.reload();
    await page.waitForSelector('.opblock');
    const create = page.locator('[id$="-createRegistryGroup"]').first();
    await create.locator('.opblock-summary').click();
    await create.locator('button.try-out__btn').click();
    await create.locator('textarea.body-param__text').fill('{"groupId": "GID_TRIED_1"}');
    await create.locator('button.execute').click();
    const created = create.locator('.live-responses-table .response .response-col_status').first();
    await expect.poll(() => created.textContent(), { timeout: 20_000 }).toContain('201');
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    expect((await admin.get('/admin/mqtt')).text).toContain('GID_TRIED_1');
    expect(problems).toEqual([]);
    await context.close();
  });
});
