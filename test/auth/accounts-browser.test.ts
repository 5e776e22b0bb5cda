// A real browser on the account pages: a new user must choose a password before anything
// else, and destructive buttons ask first (public/confirm.js, no inline script under the CSP).
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

let p: TestPlatform;
let browser: Browser;
const SHOTS = process.env.SHOTS_DIR;

beforeAll(async () => {
  [p, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

/** A page that records script errors and CSP refusals; the test expects none. */
async function newPage(problems: string[]): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    // Statuses are the tests' own assertions (a refusal answers 409 on purpose); scripts and CSP are not.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return page;
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${p.baseUrl}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
}

/** With SHOTS_DIR set, screenshots at 1280 and 390 px for a person to look at. */
async function shoot(page: Page, name: string) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('accounts in the browser', () => {
  it('makes a new user choose their own password before anything else', async () => {
    const problems: string[] = [];
    const admin = await newPage(problems);
    await signIn(admin, 'admin', p.adminPassword);
    await admin.goto(`${p.baseUrl}/admin/users`);
    // the least-privileged role is preselected
    expect(await admin.locator('form.stack select[name=role]').inputValue()).toBe('auditor');
    await admin.fill('form.stack input[name=username]', 'new-clerk');
    await Promise.all([admin.waitForLoadState('load'), admin.click('form.stack button[type=submit]')]);
    const otp = (await admin.getByTestId('one-time-password').textContent())!;
    await shoot(admin, 'users-created');

    const user = await newPage(problems);
    await signIn(user, 'new-clerk', otp);
    expect(new URL(user.url()).pathname).toBe('/account/password');
    expect(await user.getByTestId('must-change').textContent()).toContain('set by someone else');
    // no navigation to pages that would only send the user back here
    expect(await user.locator('header nav a').count()).toBe(0);
    await shoot(user, 'password-forced');
    await user.goto(`${p.baseUrl}/tasks`);
    expect(new URL(user.url()).pathname).toBe('/account/password');

    await user.fill('input[name=current]', otp);
    await user.fill('input[name=password]', 'clerk-own-password-1');
    await Promise.all([user.waitForURL(`${p.baseUrl}/`), user.click('main button[type=submit]')]);
    expect(await user.locator('.flash.ok').textContent()).toContain('Password changed');
    expect(await user.getByTestId('whoami').textContent()).toBe('new-clerk (auditor)');
    expect(await user.locator('header nav a').count()).toBeGreaterThan(0);
    await user.goto(`${p.baseUrl}/tasks`);
    expect(new URL(user.url()).pathname).toBe('/tasks');

    // the admin resets it: the user's session ends, and a new one-time password is shown once
    admin.once('dialog', (d) => void d.accept());
    await Promise.all([
      admin.waitForLoadState('load'),
      admin.click('tr[data-user="new-clerk"] button:has-text("Reset password")'),
    ]);
    expect(await admin.getByTestId('reset-password').textContent()).toMatch(/^[a-zA-Z0-9]{20}$/);
    await shoot(admin, 'users-reset');
    await user.goto(`${p.baseUrl}/tasks`);
    expect(new URL(user.url()).pathname).toBe('/login');
    expect(problems).toEqual([]);
  });

  it('asks before revoking an API key, and revokes only when confirmed', async () => {
    const problems: string[] = [];
    const page = await newPage(problems);
    await signIn(page, 'admin', p.adminPassword);
    await page.goto(`${p.baseUrl}/admin/api-keys`);
    expect(await page.locator('td.empty').textContent()).toBe('No API keys yet.');
    await shoot(page, 'api-keys-empty');
    await page.fill('input[name=name]', 'pos-sync');
    await page.check('input[value="tasks:read"]');
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Issue key")')]);
    await page.goto(`${p.baseUrl}/admin/api-keys`);

    const questions: string[] = [];
    page.once('dialog', (d) => {
      questions.push(d.message());
      void d.dismiss();
    });
    await page.click('button:has-text("Revoke")');
    expect(questions).toEqual(['Revoke API key pos-sync? Systems using it are refused at once.']);
    // dismissed: nothing was sent
    expect(new URL(page.url()).pathname).toBe('/admin/api-keys');
    const [before] = await p.ctx.pool.query('SELECT revoked_at FROM api_keys');
    expect((before as { revoked_at: Date | null }[])[0].revoked_at).toBeNull();

    page.once('dialog', (d) => void d.accept());
    await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Revoke")')]);
    expect(await page.locator('.flash.ok').textContent()).toContain('API key revoked.');
    const [after] = await p.ctx.pool.query('SELECT revoked_at FROM api_keys');
    expect((after as { revoked_at: Date | null }[])[0].revoked_at).not.toBeNull();

    // the registry page: the platform's own parent topic offers no Delete, and a refusal reads as a message
    await page.goto(`${p.baseUrl}/admin/mqtt`);
    expect(await page.getByTestId('own-parent-topic').count()).toBe(1);
    await shoot(page, 'mqtt-instance');
    // a stale or forged delete of it is refused with the page and its message, not a bare error page
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    await Promise.all([
      page.waitForLoadState('load'),
      page.evaluate(
        ([token, topic]) => {
          const form = document.createElement('form');
          form.method = 'post';
          form.action = `/admin/mqtt/parent-topics/${topic}/delete`;
          const input = Object.assign(document.createElement('input'), { name: '_csrf', value: token });
          form.append(input);
          document.body.append(form);
          form.submit();
        },
        [csrf ?? '', p.config.MQTT_PARENT_TOPIC],
      ),
    ]);
    await page.waitForURL(/\/delete$/);
    expect(await page.getByTestId('form-error').textContent()).toContain(
      "is the platform's own parent topic",
    );
    await shoot(page, 'mqtt-instance-refused');
    await page.goto(`${p.baseUrl}/admin/mqtt/credentials`);
    await shoot(page, 'mqtt-credentials-empty');
    expect(problems).toEqual([]);
  });
});
