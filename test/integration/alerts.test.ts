// Alerts over the real platform (MQTT, MariaDB, Redis): with a simulated AP stopped, the worker
// opens an "AP offline" alert once the threshold has passed, and resolves it when the AP comes
// back; people acknowledge and resolve; every transition is in the audit trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { SimAp } from '../../sim/sim-ap.js';
import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { WebClient } from '../support/web-client.js';

let f: BrokerFixture;
let admin: WebClient;
let ap: SimAp;
let clientId: string;
let browser: Browser | undefined;
const THRESHOLD_MINUTES = 0.05; // 3 s

beforeAll(async () => {
  f = await startBroker({ ALERTS_EVALUATE_SECONDS: '0.5' });
  admin = new WebClient(f.platform.baseUrl);
  await admin.login('admin', f.platform.adminPassword);
  const g = await f.newGroup();
  clientId = `${g.groupId}@@@AP-ALERT`;
  ap = new SimAp({
    url: f.url(),
    clientId,
    parentTopic: f.parent,
    labels: [],
    statusIntervalMs: 60_000,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
  });
});
afterAll(async () => {
  await browser?.close();
  await ap?.stop();
  await f?.close();
});

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) =>
  ((await f.platform.ctx.pool.query(sql, args)) as unknown as [Row[]])[0];
const alertsOf = () =>
  q(
    "SELECT id, state, since, opened_at, resolved_by FROM alerts WHERE kind = 'ap_offline' AND subject = ? ORDER BY id",
    [clientId],
  );
const apOnline = async () => (await q('SELECT online FROM aps WHERE client_id = ?', [clientId]))[0]?.online;
const navCount = async (c: WebClient) =>
  /data-testid="nav-badge">(\d+)</.exec((await c.get('/alerts')).text)?.[1] ?? '0';

async function userClient(role: 'operator' | 'auditor') {
  const username = `${role}-alerts`;
  await admin.createUser({ username, role, password: 'alerts-test-password' });
  const c = new WebClient(f.platform.baseUrl);
  await c.login(username, 'alerts-test-password');
  return c;
}

describe('alerts', () => {
  it('lets the admin set a threshold, and refuses a bad one with a clear message', async () => {
    const bad = await admin.post('/alerts/rules/ap_offline', { threshold: 'soon', enabled: '1' }, '/alerts');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('a number from 0.01 to 100000 (minutes)');
    const ok = await admin.post(
      '/alerts/rules/ap_offline',
      { threshold: String(THRESHOLD_MINUTES), enabled: '1' },
      '/alerts',
    );
    expect(ok.status).toBe(302);
    expect(await q("SELECT threshold, enabled FROM alert_rules WHERE kind = 'ap_offline'")).toEqual([
      { threshold: '0.050', enabled: 1 },
    ]);
    expect(await q("SELECT actor, after_json FROM audit_log WHERE action = 'alert.rule_changed'")).toEqual([
      { actor: 'admin', after_json: JSON.stringify({ threshold: 0.05, enabled: true }) },
    ]);
  });

  it('fires for a stopped AP once past the threshold, and resolves when it returns', async () => {
    await ap.start();
    await expect.poll(apOnline).toBe(1);
    expect(await alertsOf()).toEqual([]);

    await ap.stop();
    await expect.poll(apOnline).toBe(0);
    await expect.poll(async () => (await alertsOf()).map((a) => a.state)).toEqual(['open']);
    const [a] = await alertsOf();
    // opened only once the AP had been offline for the threshold
    expect((a.opened_at as Date).getTime() - (a.since as Date).getTime()).toBeGreaterThanOrEqual(
      THRESHOLD_MINUTES * 60_000,
    );
    const page = await admin.get('/alerts');
    expect(page.text).toContain(`AP ${clientId} is offline`);
    expect(await navCount(admin)).toBe('1');
    expect(
      await q("SELECT actor, refs FROM audit_log WHERE action = 'alert.opened' AND object_id = ?", [
        String(a.id),
      ]),
    ).toEqual([{ actor: 'system', refs: expect.stringContaining(`ap:${clientId}`) }]);

    await ap.start();
    await expect.poll(async () => (await alertsOf()).map((x) => x.state)).toEqual(['resolved']);
    expect((await alertsOf())[0].resolved_by).toBe('system');
    expect(await navCount(admin)).toBe('0');
    expect(
      await q("SELECT actor, summary FROM audit_log WHERE action = 'alert.resolved' AND object_id = ?", [
        String(a.id),
      ]),
    ).toEqual([{ actor: 'system', summary: expect.stringContaining('cleared') }]);
  });

  it('lets an operator acknowledge and resolve, and an auditor only read', async () => {
    const operator = await userClient('operator');
    const auditor = await userClient('auditor');
    await ap.stop();
    await expect.poll(async () => (await alertsOf()).filter((x) => x.state === 'open').length).toBe(1);
    const id = String((await alertsOf()).find((x) => x.state === 'open')!.id);

    expect((await auditor.get('/alerts')).text).toContain(`AP ${clientId} is offline`);
    expect((await auditor.post(`/alerts/${id}/acknowledge`, {}, '/alerts')).status).toBe(403);

    expect((await operator.post(`/alerts/${id}/acknowledge`, {}, '/alerts')).status).toBe(302);
    expect(await q('SELECT state, acknowledged_by FROM alerts WHERE id = ?', [id])).toEqual([
      { state: 'acknowledged', acknowledged_by: 'operator-alerts' },
    ]);
    // acknowledged: no longer counted as open, still listed
    expect(await navCount(operator)).toBe('0');
    const again = await operator.post(`/alerts/${id}/acknowledge`, {}, '/alerts');
    expect(again.status).toBe(409);
    expect(again.text).toContain('This alert is acknowledged already.');

    expect((await operator.post(`/alerts/${id}/resolve`, {}, '/alerts')).status).toBe(302);
    expect(await q('SELECT state, resolved_by FROM alerts WHERE id = ?', [id])).toEqual([
      { state: 'resolved', resolved_by: 'operator-alerts' },
    ]);
    expect(
      (
        await q('SELECT action, actor FROM audit_log WHERE object_type = ? AND object_id = ? ORDER BY id', [
          'alert',
          id,
        ])
      ).map((r) => `${r.action} by ${r.actor}`),
    ).toEqual([
      'alert.opened by system',
      'alert.acknowledged by operator-alerts',
      'alert.resolved by operator-alerts',
    ]);

    // the AP is still offline: the condition holds, so the next evaluation opens a new alert
    await expect.poll(async () => (await alertsOf()).filter((x) => x.state === 'open').length).toBe(1);
    await ap.start();
    await expect.poll(async () => (await alertsOf()).every((x) => x.state === 'resolved')).toBe(true);
  });

  it('resolves what a disabled rule raised', async () => {
    await ap.stop();
    await expect.poll(async () => (await alertsOf()).filter((x) => x.state === 'open').length).toBe(1);
    await admin.post('/alerts/rules/ap_offline', { threshold: String(THRESHOLD_MINUTES) }, '/alerts');
    expect(await q("SELECT enabled FROM alert_rules WHERE kind = 'ap_offline'")).toEqual([{ enabled: 0 }]);
    await expect.poll(async () => (await alertsOf()).every((x) => x.state === 'resolved')).toBe(true);
    const [last] = await q(
      "SELECT summary FROM audit_log WHERE action = 'alert.resolved' ORDER BY id DESC LIMIT 1",
    );
    expect(last.summary).toContain('rule disabled');
  });

  it('shows the open count in the navigation and the list in a browser, and acknowledges from it', async () => {
    await admin.post(
      '/alerts/rules/ap_offline',
      { threshold: String(THRESHOLD_MINUTES), enabled: '1' },
      '/alerts',
    );
    await expect.poll(async () => (await alertsOf()).filter((x) => x.state === 'open').length).toBe(1);
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });
    await page.goto(`${f.platform.baseUrl}/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', f.platform.adminPassword);
    await Promise.all([page.waitForURL(`${f.platform.baseUrl}/`), page.click('button[type=submit]')]);
    expect(await page.locator('header nav a[data-nav="/alerts"] [data-testid=nav-badge]').textContent()).toBe(
      '1',
    );
    await page.click('header nav a[data-nav="/alerts"]');
    const row = page.locator(`tr[data-subject="${clientId}"][data-state="open"]`);
    expect(await row.textContent()).toContain('is offline');
    const shots = process.env.SHOTS_DIR;
    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: `${shots}/alerts-${width}.png`, fullPage: true });
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    await Promise.all([page.waitForLoadState('load'), row.locator('button:has-text("Acknowledge")').click()]);
    expect(await page.locator('.flash.ok').textContent()).toContain('Alert acknowledged.');
    expect(await page.locator('header nav [data-testid=nav-badge]').count()).toBe(0);
    expect(await page.locator(`tr[data-subject="${clientId}"][data-state="acknowledged"]`).count()).toBe(1);
    expect(problems).toEqual([]);
  });
});
