// The product page's price history chart and table, the store's quiet-hours form and the task
// page of items waiting for quiet hours, in a real browser in both languages: the chart is drawn
// by Chart.js served from node_modules (no CSP refusal), the form saves. With SHOTS_DIR set,
// screenshots at 1280 and 390 px for a person to look at.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAs } from '../support/browser.js';
import type { TestPlatform } from '../support/platform.js';
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
let browser: Browser;
let productId: number;
let store: { id: number; code: string; group: string };
const SHOTS = process.env.SHOTS_DIR;
const DAY = 86_400_000;

beforeAll(async () => {
  [p, browser] = await Promise.all([startCatalogPlatform(), launchBrowser()]);
  const admin = await signedIn(p, 'admin');
  store = await makeStore(p, admin, 'C1');
  const other = await makeStore(p, admin, 'C2');
  productId = await makeProduct(admin, '6901234560001', '金龙鱼 调和油 5L');
  await makeLabels(admin, store, '6901234560001', ['HB-1']);
  await makeLabels(admin, other, '6901234560001', ['HB-2']);
  for (const price of ['69.90', '72.50', '65.00'])
    expect((await setPrice(admin, productId, { price, allStores: '1' })).status).toBe(302);
  // spread the states over the past weeks, as a real history would be
  const rows = await q<{ id: string }>(p, 'SELECT id FROM price_history ORDER BY id');
  for (const [i, r] of rows.entries())
    await execute(p.ctx.pool, 'UPDATE price_history SET valid_from = ? WHERE id = ?', [
      new Date(Date.now() - (40 - Math.floor(i / 2) * 12) * DAY),
      r.id,
    ]);
  const promoTo = new Date(Date.now() + 5 * DAY).toISOString().slice(0, 16);
  expect(
    (await setPrice(admin, productId, { price: '65.00', promoPrice: '59.90', promoTo, stores: 'C1' })).status,
  ).toBe(302);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

async function page(locale: string, problems: string[]): Promise<Page> {
  const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const pg = await ctx.newPage();
  pg.on(
    'console',
    (m) =>
      m.type() === 'error' &&
      !m.location().url.endsWith('/favicon.ico') &&
      problems.push(`${m.text()} ${m.location().url}`),
  );
  pg.on('pageerror', (e) => problems.push(e.message));
  await signInAs(pg, p.baseUrl, 'admin', p.adminPassword);
  return pg;
}
async function shoot(pg: Page, name: string) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await pg.setViewportSize({ width, height: 900 });
    await pg.waitForTimeout(150); // Chart.js redraws on resize
    await pg.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  }
  await pg.setViewportSize({ width: 1280, height: 900 });
}
/** Whether the canvas has anything drawn on it. */
const drawn = (pg: Page, testId: string) =>
  pg.getByTestId(testId).evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
    return false;
  });

describe('price history and quiet hours in the browser', () => {
  for (const locale of ['en', 'zh-CN'])
    it(`draws the history chart and saves quiet hours (${locale})`, async () => {
      const problems: string[] = [];
      const pg = await page(locale, problems);
      await pg.goto(`${p.baseUrl}/catalog/products/${productId}`);
      await pg.getByTestId('price-chart-C1').waitFor();
      await pg.waitForFunction(
        () => (window as unknown as { Chart?: { instances: object } }).Chart !== undefined,
      );
      expect(await drawn(pg, 'price-chart-C1')).toBe(true);
      expect(await drawn(pg, 'price-chart-C2')).toBe(true);
      expect(await pg.getByTestId('omnibus-C1').textContent()).toMatch(/65[.,]00/);
      expect(await pg.locator('[data-testid="price-history-C1"] tbody tr').count()).toBe(4);
      await pg.getByTestId('price-history').scrollIntoViewIfNeeded();
      await shoot(pg, `product-history-${locale}`);

      await pg.goto(`${p.baseUrl}/catalog/stores/${store.id}`);
      await pg.fill('[data-testid="quiet-form"] input[name=quietFrom]', '22:00');
      await pg.fill('[data-testid="quiet-form"] input[name=quietTo]', '07:00');
      await Promise.all([
        pg.waitForLoadState('load'),
        pg.click('[data-testid="quiet-form"] button[type=submit]'),
      ]);
      expect(await pg.getByTestId('store-quiet').textContent()).toContain('22:00–07:00');
      await shoot(pg, `store-quiet-${locale}`);
      expect(problems).toEqual([]);
    });

  it('shows the CSV import preview and the mismatch list with label images', async () => {
    const admin = await signedIn(p, 'admin');
    const up = await admin.post(
      '/catalog/imports',
      {
        csv: 'sku,store,price,promo_price,promo_to\n6901234560001,C2,61.00,55.50,2030-01-01T00:00:00Z\n',
        fileName: 'l.csv',
      },
      '/catalog/imports',
    );
    expect(up.status).toBe(302);
    for (const locale of ['en', 'zh-CN']) {
      const problems: string[] = [];
      const pg = await page(locale, problems);
      await pg.goto(`${p.baseUrl}${up.location}`);
      const imgs = pg.locator('[data-testid="import-images"] img');
      expect(await imgs.count()).toBe(2);
      await pg.waitForFunction(() =>
        [...document.querySelectorAll('[data-testid="import-images"] img')].every(
          (i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 296,
        ),
      );
      await shoot(pg, `import-preview-${locale}`);
      // HB-2 reports an image of ours that is not what it should show (an image-capable AP's status)
      const [img] = await q<{ image_hash: string }>(p, 'SELECT image_hash FROM label_images LIMIT 1');
      await execute(
        p.ctx.pool,
        "UPDATE labels SET displayed_hash = ?, last_status_at = NOW(3) WHERE label_id = 'HB-2'",
        [img.image_hash],
      );
      await pg.goto(`${p.baseUrl}/devices/mismatches`);
      await pg.waitForFunction(() => {
        const all = [...document.querySelectorAll('[data-testid="mismatch-images"] img')];
        return (
          all.length === 2 &&
          all.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0)
        );
      });
      await shoot(pg, `mismatches-${locale}`);
      expect(problems).toEqual([]);
    }
  });

  it('shows items waiting for quiet hours on the task page', async () => {
    // a window around now, in the store's zone (Asia/Shanghai), and an AP in the group
    const local = new Date(Date.now() + 8 * 3600_000);
    const m = local.getUTCHours() * 60 + local.getUTCMinutes();
    await execute(p.ctx.pool, 'UPDATE stores SET quiet_from = ?, quiet_to = ? WHERE id = ?', [
      (m + 1380) % 1440,
      (m + 120) % 1440,
      store.id,
    ]);
    await execute(
      p.ctx.pool,
      "INSERT INTO aps (client_id, group_id, device_id, online) VALUES (?, ?, 'AP0', 1)",
      [`${store.group}@@@AP0`, store.group],
    );
    const admin = await signedIn(p, 'admin');
    const r = await setPrice(admin, productId, { price: '66.00', stores: 'C1' });
    const taskId = /\/tasks\/(\d+)/.exec(r.location!)![1];
    for (const locale of ['en', 'zh-CN']) {
      const problems: string[] = [];
      const pg = await page(locale, problems);
      await pg.goto(`${p.baseUrl}/tasks/${taskId}`);
      await pg.locator('tr[data-reason="quiet_hours"]').first().waitFor();
      expect(await pg.getByTestId('quiet-until').first().textContent()).toMatch(/\d\d:\d\d/);
      await shoot(pg, `task-quiet-${locale}`);
      expect(problems).toEqual([]);
    }
  });
});
