// An auditor in a real browser: finds who changed a price and which labels confirmed it,
// pages, downloads the CSV and checks the chain, on a platform shipping to the fake SLS.
import fs from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../server/audit/audit-chain.js';
import { appendAudit, readChainHead } from '../../server/audit/audit-repo.js';
import { withTx } from '../../server/db/pool.js';
import { launchBrowser, signInAs } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import type { FakeSlsServer } from '../support/sls-server.js';
import { WebClient } from '../support/web-client.js';
import { shippedUpTo, slsEnv, startFakeSls } from './support/audit-env.js';

let sls: FakeSlsServer;
let p: TestPlatform;
let browser: Browser;
const PASSWORD = 'auditor-browser-password';

beforeAll(async () => {
  sls = await startFakeSls();
  [p, browser] = await Promise.all([
    startTestPlatform({ ...slsEnv(sls), AUDIT_SHIP_INTERVAL_MS: '50' }),
    launchBrowser(),
  ]);
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  expect((await admin.createUser({ username: 'auditor1', role: 'auditor', password: PASSWORD })).status).toBe(
    200,
  );
  const add = (
    actor: Actor,
    s: number,
    action: string,
    objectType: string,
    objectId: string,
    refs: Record<string, string | number>,
  ) =>
    withTx(p.ctx.pool, (c) =>
      appendAudit(
        c,
        actor,
        [{ action, objectType, objectId, refs }],
        new Date(Date.UTC(2026, 3, 2, 9, 0, s)),
      ),
    );
  const ap = 'GID_S7@@@AP-7';
  await add({ name: 'dora', role: 'operator' }, 1, 'price.changed', 'task', '77', {
    sku: '4711',
    store: 'S7',
    task: 77,
  });
  await add({ name: ap, role: 'device' }, 2, 'label.confirmed', 'label', 'ESL-71', {
    sku: '4711',
    store: 'S7',
    task: 77,
    label: 'ESL-71',
    ap,
  });
  await add({ name: ap, role: 'device' }, 3, 'label.confirmed', 'label', 'ESL-72', {
    sku: '4711',
    store: 'S7',
    task: 77,
    label: 'ESL-72',
    ap,
  });
  await shippedUpTo(p.ctx.pool, (await readChainHead(p.ctx.pool)).lastId);
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
  await sls?.stop();
});

describe('the auditor page in a browser', () => {
  it('answers who changed SKU 4711 in store S7 and which labels confirmed it, exports it and checks the chain', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signInAs(page, p.baseUrl, 'auditor1', PASSWORD);

    await page.click('header nav a:has-text("Audit")');
    expect(await page.getByTestId('audit-source').textContent()).toBe('SLS');
    await page.fill('form[data-testid=audit-query] input[name=sku]', '4711');
    await page.fill('form[data-testid=audit-query] input[name=store]', 'S7');
    await page.fill('form[data-testid=audit-query] input[name=from]', '2026-04-02T09:00:00');
    await Promise.all([
      page.waitForURL(/sku=4711/),
      page.click('form[data-testid=audit-query] button[type=submit]'),
    ]);
    const rows = page.locator('[data-testid=results] tbody tr[data-id]');
    expect(await rows.count()).toBe(3);
    const text = await page.getByTestId('results').innerText();
    expect(text).toMatch(
      /label\.confirmed[\s\S]*ESL-72[\s\S]*label\.confirmed[\s\S]*ESL-71[\s\S]*dora[\s\S]*price\.changed/,
    );

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    const csv = await fs.readFile((await download.path())!, 'utf8');
    expect(csv.split('\r\n').filter(Boolean)).toHaveLength(4);
    expect(csv).toContain(',dora,operator,price.changed,task,77,');

    await page.click('a[href="/tasks/77"] >> nth=0', { trial: true });
    await Promise.all([
      page.waitForURL(/\/audit\/verify/),
      page.click('form[data-testid=verify-form] button[type=submit]'),
    ]);
    expect(await page.getByTestId('chain-ok').textContent()).toContain('the chain is intact');
    expect(await page.getByTestId('sls-match').textContent()).toContain('match their copies in SLS');
    await context.close();
  });
});
