// The admin's webhook pages in a real browser: register an endpoint (the secret shown once),
// send a test event to a local receiver and see the delivery with its status and latency,
// edit, delete after a confirmation page; operators are refused. Screenshots at 1280 and
// 390 px go to /tmp/shots-webhooks/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, pageProblems, signInAs } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { WebClient } from '../support/web-client.js';
import { waitFor } from '../support/wait.js';
import { Receiver } from './receiver.js';

let p: TestPlatform;
let browser: Browser;
let rx: Receiver;
const SHOTS = '/tmp/shots-webhooks';

beforeAll(async () => {
  [p, browser, rx] = await Promise.all([
    startTestPlatform({
      WEBHOOK_RELAY_INTERVAL_MS: '100',
      WEBHOOK_RETRY_BASE_MS: '100',
      WEBHOOK_MAX_ATTEMPTS: '2',
      WEBHOOK_PAUSE_AFTER_FAILURES: '2',
    }),
    launchBrowser(),
    new Receiver().start(),
  ]);
  fs.mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await rx?.close();
  await p?.close();
});

const signIn = async (width: number): Promise<Page> =>
  signInAs(await browser.newPage({ viewport: { width, height: 900 } }), p.baseUrl, 'admin', p.adminPassword);

const overflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('webhook admin pages', () => {
  let endpointPath = '';

  it('registers an endpoint, shows its secret once, and delivers a test event with status and latency', async () => {
    const page = await signIn(1280);
    await page.click('header nav a:has-text("Webhooks")');
    expect(page.url()).toBe(`${p.baseUrl}/admin/webhooks`);
    const url = rx.path('/ui', '', [500, 200]);
    await page.fill('[data-testid=webhook-create] input[name=name]', 'Back office <ERP>');
    await page.fill('[data-testid=webhook-create] input[name=url]', url);
    await page.check('[data-testid=webhook-create] input[value="task.completed"]');
    await page.check('[data-testid=webhook-create] input[value="ap.offline"]');
    await page.click('[data-testid=webhook-create] button[type=submit]');
    const secret = (await page.getByTestId('webhook-secret').textContent())!;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    rx.setSecret('/ui', secret);
    expect(await page.locator('h1').textContent()).toContain('Back office <ERP>');
    await page.screenshot({ path: `${SHOTS}/endpoint-created-1280.png`, fullPage: true });

    // the endpoint's own page never shows the secret again
    await page.click('a:has-text("← Webhooks")');
    await page.click('a:has-text("Back office <ERP>")');
    endpointPath = new URL(page.url()).pathname;
    expect(await page.content()).not.toContain(secret);

    await page.click('[data-testid=send-test]');
    expect(await page.locator('.flash.ok').textContent()).toMatch(/Test event .* queued/);
    await waitFor('two attempts', async () => rx.at('/ui'), {
      until: (l) => l.length === 2,
      timeoutMs: 30_000,
    });
    expect(rx.at('/ui').map((r) => [r.status, r.signatureValid])).toEqual([
      [500, true],
      [200, true],
    ]);
    await waitFor(
      'the delivery succeeded on the page',
      async () => {
        await page.reload();
        return page
          .locator('[data-testid=webhook-deliveries] [data-testid=delivery-state]')
          .allTextContents();
      },
      { until: (s) => s[0] === 'succeeded', timeoutMs: 15_000 },
    );
    const row = page.locator('[data-testid=webhook-deliveries] tbody tr').first();
    expect(await row.textContent()).toMatch(
      /succeeded\s*webhook\.test\s*2\s*200\s*\d+ ms\s*[A-Z][a-z]{2} \d{2}, \d{4}, /,
    );
    await page.screenshot({ path: `${SHOTS}/endpoint-1280.png`, fullPage: true });
    // the attempts of the delivery
    await row.locator('a').first().click();
    const attempts = await page.locator('[data-testid=webhook-attempts] tbody tr').allTextContents();
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatch(/^2.*200/s);
    expect(attempts[1]).toMatch(/^1.*500.*HTTP 500/s);
    await page.screenshot({ path: `${SHOTS}/delivery-1280.png`, fullPage: true });
    // redelivery: one more request with the same delivery id
    await page.click('button:has-text("Redeliver")');
    await waitFor('the redelivery', async () => rx.at('/ui'), {
      until: (l) => l.length === 3,
      timeoutMs: 30_000,
    });
    expect(rx.at('/ui')[2].headers['x-esl-delivery']).toBe(rx.at('/ui')[0].headers['x-esl-delivery']);
    await page.goto(`${p.baseUrl}/admin/webhooks`);
    await page.screenshot({ path: `${SHOTS}/list-1280.png`, fullPage: true });
    await page.close();
  }, 90_000);

  it('fits a 390 px wide screen', async () => {
    const page = await signIn(390);
    for (const [name, path] of [
      ['list', '/admin/webhooks'],
      ['endpoint', endpointPath],
      ['delete', `${endpointPath}/delete`],
    ]) {
      await page.goto(p.baseUrl + path);
      await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
      expect(await overflow(page), `${name} page scrolls sideways`).toBeLessThanOrEqual(0);
    }
    await page.close();
  }, 60_000);

  it('asks before deleting, and deletes with its deliveries (audited)', async () => {
    const page = await signIn(1280);
    await page.goto(p.baseUrl + endpointPath);
    await page.click('a:has-text("Delete…")');
    expect(await page.locator('h1').textContent()).toBe('Delete webhook endpoint?');
    await page.screenshot({ path: `${SHOTS}/delete-1280.png`, fullPage: true });
    await page.click('[data-testid=confirm-delete]');
    expect(page.url()).toBe(`${p.baseUrl}/admin/webhooks`);
    expect(await page.locator('.flash.ok').textContent()).toContain('deleted');
    expect(await page.getByTestId('webhook-endpoints').textContent()).toContain('No endpoints yet.');
    const [rows] = (await p.ctx.pool.query(
      "SELECT action FROM audit_log WHERE object_type = 'webhook_endpoint' ORDER BY id",
    )) as unknown as [{ action: string }[]];
    expect(rows.map((r) => r.action)).toEqual([
      'webhook.endpoint.created',
      'webhook.test_sent',
      'webhook.delivery.redelivered',
      'webhook.endpoint.deleted',
    ]);
    await page.close();
  }, 60_000);

  it('shows a paused endpoint with the reason, and resumes it', async () => {
    const url = rx.path('/paused', '', [500]);
    const page = await signIn(1280);
    await page.goto(`${p.baseUrl}/admin/webhooks`);
    await page.fill('[data-testid=webhook-create] input[name=name]', 'Flaky receiver');
    await page.fill('[data-testid=webhook-create] input[name=url]', url);
    await page.check('[data-testid=webhook-create] input[value="mismatch.detected"]');
    await page.click('[data-testid=webhook-create] button[type=submit]');
    // the test send posts a form: let its page load before reloading it
    await Promise.all([page.waitForNavigation(), page.click('[data-testid=send-test]')]);
    // the pause and the delivery's return to pending are written one after the other: wait for both
    await waitFor(
      'the endpoint paused, its delivery held',
      async () => {
        await page.reload();
        return [
          await page.getByTestId('endpoint-state').textContent(),
          await page.locator('[data-testid=delivery-state]').first().textContent(),
        ].join(' ');
      },
      { until: (s) => s === 'paused pending', timeoutMs: 30_000 },
    );
    expect(await page.getByTestId('paused-note').textContent()).toMatch(
      /2 failed attempts in a row; last: HTTP 500/,
    );
    expect(await page.locator('[data-testid=delivery-state]').first().textContent()).toBe('pending');
    await page.screenshot({ path: `${SHOTS}/paused-1280.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 900 });
    await page.screenshot({ path: `${SHOTS}/paused-390.png`, fullPage: true });
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    rx.answer('/paused', [200]);
    await page.click('[data-testid=resume]');
    expect(await page.locator('.flash.ok').textContent()).toContain('resumed');
    await waitFor(
      'delivered after resume',
      async () => {
        await page.reload();
        return page.locator('[data-testid=delivery-state]').first().textContent();
      },
      { until: (s) => s === 'succeeded', timeoutMs: 30_000 },
    );
    expect(rx.at('/paused').map((r) => r.status)).toEqual([500, 500, 200]);
    await page.close();
  }, 90_000);

  it("pages an endpoint's deliveries with state and event filters and an empty state, in both languages", async () => {
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    const made = await admin.post(
      '/admin/webhooks',
      { name: 'Pager', url: rx.path('/pager', ''), events: 'task.completed' },
      '/admin/webhooks',
    );
    expect(made.status, made.text.slice(0, 300)).toBe(201);
    const [[ep]] = (await p.ctx.pool.query(
      "SELECT id FROM webhook_endpoints WHERE name = 'Pager'",
    )) as unknown as [{ id: number }[]];
    // 60 finished deliveries (the relay leaves them be): 45 task.completed succeeded, 15 ap.offline failed
    for (let i = 0; i < 60; i++) {
      const type = i < 45 ? 'task.completed' : 'ap.offline';
      const uid = crypto.randomUUID();
      const at = new Date(Date.now() - (60 - i) * 60_000);
      const [ev] = (await p.ctx.pool.query(
        'INSERT INTO webhook_events (uid, type, body, created_at) VALUES (?, ?, ?, ?)',
        [uid, type, JSON.stringify({ id: uid, type, createdAt: at.toISOString(), data: {} }), at],
      )) as unknown as [{ insertId: number }];
      await p.ctx.pool.query(
        'INSERT INTO webhook_deliveries (uid, event_id, endpoint_id, state, attempts, last_status, created_at, finished_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)',
        [
          crypto.randomUUID(),
          ev.insertId,
          ep.id,
          i < 45 ? 'succeeded' : 'failed',
          i < 45 ? 200 : 500,
          at,
          at,
        ],
      );
    }
    const path = `/admin/webhooks/${ep.id}`;
    const rows = '[data-testid=webhook-deliveries] tbody tr[data-delivery]';
    const words = {
      en: { of: /Page 1 of 2/, none: 'No deliveries match these filters.', filter: 'Filter' },
      'zh-CN': { of: /第 1\/2 页/, none: '没有符合这些筛选条件的投递。', filter: '筛选' },
    } as const;
    for (const locale of ['en', 'zh-CN'] as const) {
      const w = words[locale];
      const page = await signInAs(
        await browser.newPage({ viewport: { width: 1280, height: 900 }, locale }),
        p.baseUrl,
        'admin',
        p.adminPassword,
      );
      const problems = pageProblems(page);
      await page.goto(p.baseUrl + path);
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await page.locator(rows).count()).toBe(50);
      const pager = page.getByTestId('pager');
      expect(await pager.textContent()).toMatch(w.of);
      expect(await pager.textContent()).toContain('60');
      await page.screenshot({ path: `${SHOTS}/deliveries-${locale}-1280.png`, fullPage: true });
      await page.setViewportSize({ width: 390, height: 900 });
      await page.screenshot({ path: `${SHOTS}/deliveries-${locale}-390.png`, fullPage: true });
      expect(await overflow(page), 'the deliveries page scrolls sideways').toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1280, height: 900 });
      // the second page holds the 10 oldest, all task.completed
      await page.click(`[data-testid=pager] a[rel=next]`);
      expect(new URL(page.url()).searchParams.get('page')).toBe('2');
      expect(await page.locator(rows).count()).toBe(10);
      // only the failed ones
      await page.selectOption('[data-testid=delivery-filters] select[name=state]', 'failed');
      await page.click(`[data-testid=delivery-filters] button:has-text("${w.filter}")`);
      expect(await page.locator(rows).count()).toBe(15);
      expect(await page.locator(`${rows} [data-testid=delivery-state]`).allTextContents()).toHaveLength(15);
      expect(await page.locator(rows).filter({ hasText: 'task.completed' }).count()).toBe(0);
      expect(await page.getByTestId('pager').textContent()).toContain('15');
      // ap.offline and succeeded: none, said so
      await page.selectOption('[data-testid=delivery-filters] select[name=state]', 'succeeded');
      await page.selectOption('[data-testid=delivery-filters] select[name=event]', 'ap.offline');
      await page.click(`[data-testid=delivery-filters] button:has-text("${w.filter}")`);
      expect(await page.locator(rows).count()).toBe(0);
      expect(await page.getByTestId('deliveries-empty').textContent()).toBe(w.none);
      await page.screenshot({ path: `${SHOTS}/deliveries-empty-${locale}-1280.png`, fullPage: true });
      await page.setViewportSize({ width: 390, height: 900 });
      await page.screenshot({ path: `${SHOTS}/deliveries-empty-${locale}-390.png`, fullPage: true });
      expect(await overflow(page)).toBeLessThanOrEqual(0);
      expect(problems).toEqual([]);
      await page.close();
    }
    // a filter the page does not know is refused with the field named
    const bad = await admin.get(`${path}?state=bogus`);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('state');
  }, 120_000);

  it('refuses a form without its CSRF token, a bad URL with the field named, and non-admins', async () => {
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    const noCsrf = await admin.request('POST', '/admin/webhooks', {
      form: { name: 'x', url: 'https://example.com/', events: 'ap.online' },
    });
    expect(noCsrf.status).toBe(403);
    const bad = await admin.post(
      '/admin/webhooks',
      { name: 'x', url: 'gopher://example.com/', events: 'ap.online' },
      '/admin/webhooks',
    );
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/data-field="url">only http:\/\/ and https:\/\/ URLs/);
    const r = await admin.createUser({ username: 'op1', role: 'operator', password: 'operator-password-1' });
    expect(r.status).toBe(200);
    const op = new WebClient(p.baseUrl);
    await op.login('op1', 'operator-password-1');
    expect((await op.get('/admin/webhooks')).status).toBe(403);
    expect(
      (await op.request('GET', '/api/v1/webhooks', { headers: { accept: 'application/json' } })).status,
    ).toBe(403);
  }, 60_000);
});
