// Store scopes and price sanity in a real browser (headless Chromium): an admin limits an operator
// to one store on the users page; that operator, reading Chinese, sees the products list with the
// current price of its store only and the store filter of its stores only; a price change of more
// than PRICE_CONFIRM_CHANGE_PERCENT shows its warning and a confirm step, and the confirmed change
// is applied and recorded as confirmed in the audit trail. With SHOTS_DIR set, the pages are
// photographed at 1280 and 390 px for a person to look at.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute, queryRows } from '../../server/db/query.js';
import { launchBrowser, pageProblems, signInAs } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { USER_PASSWORD, WebClient } from '../support/web-client.js';

let p: TestPlatform;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const ids: Record<string, number> = {};

const q = <T extends object = Record<string, unknown>>(sql: string, args: unknown[] = []) =>
  queryRows<T>(p.ctx.pool, sql, args);

async function shoot(page: Page, name: string) {
  if (!process.env.SHOTS_DIR) return;
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${process.env.SHOTS_DIR}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

beforeAll(async () => {
  p = await startTestPlatform({ PRICE_CONFIRM_CHANGE_PERCENT: '50' });
  const pool = p.ctx.pool;
  for (const g of ['GID_NORTH', 'GID_SOUTH'])
    await execute(pool, 'INSERT INTO mqtt_groups (group_id) VALUES (?)', [g]);
  ids.north = (await execute(pool, "INSERT INTO stores (code, name) VALUES ('N01', '北京朝阳店')")).insertId;
  ids.south = (await execute(pool, "INSERT INTO stores (code, name) VALUES ('S01', '深圳南山店')")).insertId;
  await execute(pool, 'INSERT INTO store_groups (group_id, store_id) VALUES (?, ?), (?, ?)', [
    'GID_NORTH',
    ids.north,
    'GID_SOUTH',
    ids.south,
  ]);
  ids.milk = (
    await execute(pool, "INSERT INTO products (sku, name) VALUES ('6901000000017', '鲜牛奶 1L')")
  ).insertId;
  ids.tea = (
    await execute(pool, "INSERT INTO products (sku, name) VALUES ('6901000000024', '乌龙茶 500ml')")
  ).insertId;
  await execute(pool, 'INSERT INTO prices (store_id, product_id, price) VALUES ?', [
    [
      [ids.north, ids.milk, '12.80'],
      [ids.south, ids.milk, '13.50'],
      [ids.south, ids.tea, '4.50'],
    ],
  ]);
  await execute(pool, 'INSERT INTO labels (label_id, store_id, group_id, product_id) VALUES ?', [
    [
      ['N-LABEL-1', ids.north, 'GID_NORTH', ids.milk],
      ['S-LABEL-1', ids.south, 'GID_SOUTH', ids.milk],
    ],
  ]);
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

describe('store scope and price sanity in the browser', () => {
  it('an admin limits an operator to one store; the operator sees that store only', async () => {
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    expect(
      (await admin.createUser({ username: 'north-op', role: 'operator', password: USER_PASSWORD })).status,
    ).toBe(200);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = pageProblems(page);
    await signInAs(page, p.baseUrl, 'admin', p.adminPassword);
    await page.goto(`${p.baseUrl}/admin/users`);
    const row = page.locator('tr[data-user="north-op"]');
    await row.locator('details.scope-pick summary').click();
    await row.locator(`input[name=stores][value="${ids.north}"]`).check();
    await shoot(page, 'scope-admin-users');
    await Promise.all([
      page.waitForURL(`${p.baseUrl}/admin/users`),
      row.locator('form[action$="/stores"] button').click(),
    ]);
    await expect
      .poll(() => row.locator('[data-testid=user-stores] summary').textContent())
      .toContain('北京朝阳店');
    expect(await q('SELECT store_id FROM user_stores')).toEqual([{ store_id: ids.north }]);
    await page.goto(`${p.baseUrl}/admin/api-keys`);
    await shoot(page, 'scope-admin-api-keys');
    expect(problems).toEqual([]);
    await page.close();

    const op = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const opProblems = pageProblems(op);
    await signInAs(op, p.baseUrl, 'north-op', USER_PASSWORD);
    await op.goto(`${p.baseUrl}/catalog/products`);
    const milk = op.locator('tr[data-sku="6901000000017"] [data-testid=store-prices]');
    await expect.poll(() => milk.textContent()).toContain('北京朝阳店');
    expect(await milk.textContent()).toContain('12.80');
    expect(await op.content()).not.toContain('深圳南山店');
    // the tea is priced only in the other store: not listed
    expect(await op.locator('tr[data-sku="6901000000024"]').count()).toBe(0);
    expect(await op.locator('[data-testid=store-filter] option').allTextContents()).toEqual([
      '我的全部门店',
      '北京朝阳店 (N01)',
    ]);
    await shoot(op, 'scope-products-zh');
    for (const [path, name] of [
      ['/catalog/labels', 'scope-labels-zh'],
      ['/catalog/schedules', 'scope-schedules-zh'],
      ['/tasks', 'scope-tasks-zh'],
      ['/devices/aps', 'scope-aps-zh'],
      ['/devices/mismatches', 'scope-mismatches-zh'],
      ['/alerts', 'scope-alerts-zh'],
      ['/health/labels', 'scope-label-health-zh'],
      ['/', 'scope-dashboard-zh'],
    ] as const) {
      await op.goto(`${p.baseUrl}${path}`);
      expect(await op.content(), path).not.toContain('深圳南山店');
      await shoot(op, name);
    }
    expect(opProblems).toEqual([]);
    await op.close();
  });

  it('a large price change shows its warning and a confirm step; the confirmed change is audited as such', async () => {
    const op = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInAs(op, p.baseUrl, 'north-op', USER_PASSWORD);
    await op.goto(`${p.baseUrl}/catalog/products/${ids.milk}`);
    await op.check('input[name=stores][value=N01]');
    await op.fill('input[name=price]', '1.28');
    await Promise.all([op.waitForLoadState('load'), op.click('form[action$="/prices"] button[type=submit]')]);
    const warning = op.locator('[data-testid=price-warnings] li[data-warning=large_change]');
    await expect.poll(() => warning.textContent()).toContain('90%');
    expect(
      await q('SELECT price FROM prices WHERE store_id = ? AND product_id = ?', [ids.north, ids.milk]),
    ).toEqual([{ price: '12.80' }]);
    await shoot(op, 'scope-price-warning');
    await Promise.all([
      op.waitForURL(/\/tasks\/\d+|\/catalog\/products\/\d+$/),
      op.click('[data-testid=confirm-prices]'),
    ]);
    expect(
      await q('SELECT price FROM prices WHERE store_id = ? AND product_id = ?', [ids.north, ids.milk]),
    ).toEqual([{ price: '1.28' }]);
    const [rec] = await q<{ id: string; after_json: string }>(
      "SELECT id, after_json FROM audit_log WHERE action = 'price.changed' ORDER BY id DESC LIMIT 1",
    );
    expect(JSON.parse(rec.after_json).confirmedWarnings).toEqual(['large_change']);
    // the plain-language summary says it was confirmed
    const admin = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInAs(admin, p.baseUrl, 'admin', p.adminPassword);
    await admin.goto(`${p.baseUrl}/audit/records/${rec.id}`);
    expect(await admin.content()).toContain('confirmed despite: a large change');
    await admin.close();
    await op.close();
  });
});
