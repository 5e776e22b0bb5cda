// The admin turns "device credentials win" off and on in the MQTT instance page of a real
// browser; the setting and its audit record follow. Screenshots at 1280 and 390 px wide go to
// SHOTS_DIR when it is set.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signInAs } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
let browser: Browser;

beforeAll(async () => {
  [p, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

const signIn = async (width: number): Promise<Page> =>
  signInAs(await browser.newPage({ viewport: { width, height: 900 } }), p.baseUrl, 'admin', p.adminPassword);

async function shot(page: Page, name: string) {
  const dir = process.env.SHOTS_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name), fullPage: true });
}

const setting = async () =>
  (
    (await p.ctx.pool.query(
      'SELECT device_credentials_win AS v FROM mqtt_settings WHERE id = 1',
    )) as unknown as [{ v: number }[]]
  )[0][0].v;

describe('MQTT instance settings', () => {
  it('turns device credentials win off and on, audited', async () => {
    const page = await signIn(1280);
    await page.goto(`${p.baseUrl}/admin/mqtt`);
    const box = page.getByTestId('device-credentials-win');
    expect(await box.isChecked()).toBe(true);
    await shot(page, 'mqtt-settings-1280.png');
    await box.uncheck();
    await Promise.all([
      page.waitForURL(`${p.baseUrl}/admin/mqtt`),
      page.click('button:has-text("Save settings")'),
    ]);
    expect(await page.getByTestId('device-credentials-win').isChecked()).toBe(false);
    expect(await setting()).toBe(0);
    await page.getByTestId('device-credentials-win').check();
    await Promise.all([
      page.waitForURL(`${p.baseUrl}/admin/mqtt`),
      page.click('button:has-text("Save settings")'),
    ]);
    expect(await setting()).toBe(1);
    const [audit] = (await p.ctx.pool.query(
      "SELECT actor FROM audit_log WHERE action = 'mqtt.settings.changed' ORDER BY id",
    )) as unknown as [{ actor: string }[]];
    expect(audit.map((a) => a.actor)).toEqual(['admin', 'admin']);
    await page.close();
    const narrow = await signIn(390);
    await narrow.goto(`${p.baseUrl}/admin/mqtt`);
    await shot(narrow, 'mqtt-settings-390.png');
    await narrow.close();
  });
});
