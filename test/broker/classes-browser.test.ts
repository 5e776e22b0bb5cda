// The admin, in a real browser, creates a general Group ID, switches a Group ID's client class,
// issues an AccessKey with access policies and edits them, and issues and revokes a
// server-side application identity: every change saved and audited. Screenshots at 1280 and
// 390 px wide go to SHOTS_DIR when it is set.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicies } from '../../broker/index.js';
import { queryOne, queryRows } from '../../server/db/query.js';
import { launchBrowser, pageProblems, signInAs } from '../support/browser.js';
import { uid } from '../support/env.js';
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

async function shot(page: Page, name: string) {
  const dir = process.env.SHOTS_DIR;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, name), fullPage: true });
}

const actions = (objectId: string) =>
  queryRows<{ action: string }>(p.ctx.pool, 'SELECT action FROM audit_log WHERE object_id = ? ORDER BY id', [
    objectId,
  ]).then((r) => r.map((x) => x.action));

describe('client classes and applications on the admin pages', () => {
  it('creates and switches Group ID classes, edits AccessKey policies, issues and revokes an application', async () => {
    const page = await signInAs(
      await browser.newPage({ viewport: { width: 1280, height: 900 } }),
      p.baseUrl,
      'admin',
      p.adminPassword,
    );
    const problems = pageProblems(page);
    page.on('dialog', (d) => void d.accept());
    const P = p.config.MQTT_PARENT_TOPIC;

    await page.goto(`${p.baseUrl}/admin/mqtt`);
    const general = `GID_G${uid(4)}`;
    const ap = `GID_A${uid(4)}`;
    for (const [groupId, cls] of [
      [general, 'general'],
      [ap, 'ap'],
    ] as const) {
      await page.fill('input[name=groupId]', groupId);
      await page.selectOption('form[action="/admin/mqtt/groups"] select[name=clientClass]', cls);
      await Promise.all([
        page.waitForURL(`${p.baseUrl}/admin/mqtt`),
        page.click('button:has-text("Create Group ID")'),
      ]);
    }
    const classOf = async (g: string) =>
      (
        await queryOne<{ c: string }>(
          p.ctx.pool,
          'SELECT client_class AS c FROM mqtt_groups WHERE group_id = ?',
          [g],
        )
      )?.c;
    expect(await classOf(general)).toBe('general');
    expect(await classOf(ap)).toBe('ap');
    const row = page.locator(`tr[data-group="${ap}"]`);
    await row.locator('select[name=clientClass]').selectOption('general');
    await Promise.all([
      page.waitForURL(`${p.baseUrl}/admin/mqtt`),
      row.locator('button:has-text("Save")').click(),
    ]);
    expect(await classOf(ap)).toBe('general');
    expect(await actions(ap)).toEqual(['mqtt.group.created', 'mqtt.group.class_changed']);
    await shot(page, 'classes-instance-1280.png');

    await page.goto(`${p.baseUrl}/admin/mqtt/credentials`);
    await page.fill('form[action="/admin/mqtt/access-keys"] input[name=description]', 'sensors');
    await page.fill('form[action="/admin/mqtt/access-keys"] input[name=groupIds]', general);
    await page.fill(
      'form[action="/admin/mqtt/access-keys"] textarea[name=permissions]',
      `publish,subscribe ${P}/sensors/#\nsubscribe ${P}/cmd/+`,
    );
    await page.click('button:has-text("Issue AccessKey")');
    const keyId = await page.getByTestId('issued-accessKeyId').innerText();
    const stored = await queryOne<{ permissions: string }>(
      p.ctx.pool,
      'SELECT permissions FROM mqtt_access_keys WHERE access_key_id = ?',
      [keyId],
    );
    expect(parsePolicies(stored!.permissions)).toEqual([
      { actions: ['publish', 'subscribe'], topics: [`${P}/sensors/#`] },
      { actions: ['subscribe'], topics: [`${P}/cmd/+`] },
    ]);

    // a bad filter is refused with the field marked, nothing saved
    await page.goto(`${p.baseUrl}/admin/mqtt/credentials`);
    const keyRow = page.locator(`tr[data-access-key="${keyId}"]`);
    await keyRow.locator('summary').click();
    await keyRow.locator('textarea[name=permissions]').fill(`publish ${P}/a/#/b`);
    await keyRow.locator('button:has-text("Save permissions")').click();
    await page.waitForSelector('[data-testid=form-error], .field-error');
    problems.length = 0; // the refusal's 400 is the answer expected here
    await page.goto(`${p.baseUrl}/admin/mqtt/credentials`);
    await keyRow.locator('summary').click();
    await keyRow.locator('textarea[name=permissions]').fill(`subscribe ${P}/cmd/#`);
    await Promise.all([
      page.waitForURL(`${p.baseUrl}/admin/mqtt/credentials`),
      keyRow.locator('button:has-text("Save permissions")').click(),
    ]);
    expect(await keyRow.getByTestId('permissions').innerText()).toContain(`${P}/cmd/#`);
    expect(await actions(keyId)).toEqual(['mqtt.access_key.issued', 'mqtt.access_key.permissions_changed']);

    await page.fill('form[action="/admin/mqtt/applications"] input[name=description]', 'ERP bridge');
    await page.click('button:has-text("Issue application identity")');
    const appId = await page.getByTestId('issued-appId').innerText();
    expect(await page.getByTestId('issued-appSecret').innerText()).toMatch(/^[A-Za-z0-9]{30}$/);
    await shot(page, 'classes-credentials-issued-1280.png');
    await page.goto(`${p.baseUrl}/admin/mqtt/credentials`);
    expect(await page.content()).not.toContain('issued-appSecret');
    const appRow = page.locator(`tr[data-application="${appId}"]`);
    await Promise.all([
      page.waitForURL(`${p.baseUrl}/admin/mqtt/credentials`),
      appRow.locator('button:has-text("Revoke")').click(),
    ]);
    expect(await actions(appId)).toEqual(['mqtt.application.issued', 'mqtt.application.revoked']);
    expect(await page.locator('tr[data-application="platform"] button').count()).toBe(0);
    await keyRow.locator('summary').click();
    await shot(page, 'classes-credentials-1280.png');

    const phone = await signInAs(
      await browser.newPage({ viewport: { width: 390, height: 900 } }),
      p.baseUrl,
      'admin',
      p.adminPassword,
    );
    await phone.goto(`${p.baseUrl}/admin/mqtt`);
    await shot(phone, 'classes-instance-390.png');
    await phone.goto(`${p.baseUrl}/admin/mqtt/credentials`);
    await shot(phone, 'classes-credentials-390.png');
    expect(problems).toEqual([]);
  });
});
