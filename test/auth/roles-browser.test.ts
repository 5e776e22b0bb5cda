// A real browser signs in as each role and sees what that role may see, and no more.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { WebClient } from '../support/web-client.js';

let p: TestPlatform;
let browser: Browser;
const PASSWORD = 'browser-test-password-1';

beforeAll(async () => {
  [p, browser] = await Promise.all([startTestPlatform(), launchBrowser()]);
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  for (const role of ['operator', 'auditor']) {
    const r = await admin.createUser({ username: `${role}1`, role, password: PASSWORD });
    expect(r.status).toBe(200);
  }
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
});

async function signIn(username: string, password: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${p.baseUrl}/`);
  expect(page.url()).toContain('/login');
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${p.baseUrl}/`), page.click('button[type=submit]')]);
  return page;
}

const navLabels = (page: Page) => page.locator('header nav a').allTextContents();

describe('the web UI per role', () => {
  it('shows a wrong password as an error on the login page', async () => {
    const page = await browser.newPage();
    await page.goto(`${p.baseUrl}/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button[type=submit]');
    await expect(page.locator('[role=alert]').textContent()).resolves.toContain('Wrong username or password');
    await page.close();
  });

  it('gives the admin the user administration and lets them create a user', async () => {
    const page = await signIn('admin', p.adminPassword);
    expect(await page.getByTestId('whoami').textContent()).toBe('admin (admin)');
    expect(await navLabels(page)).toEqual(expect.arrayContaining(['Users', 'API keys']));
    await page.click('header nav a:has-text("Users")');
    await page.fill('form[method=post][action="/admin/users"] input[name=username]', 'created-in-browser');
    await page.selectOption('form[method=post][action="/admin/users"] select[name=role]', 'auditor');
    await page.click('form[method=post][action="/admin/users"] button[type=submit]');
    // The click waits for the new page to commit, not to be parsed: read it once it has loaded.
    await page.waitForLoadState('load');
    const otp = await page.getByTestId('one-time-password').textContent();
    expect(otp).toMatch(/^[a-zA-Z0-9]{20}$/);
    expect(await page.locator('tr[data-user="created-in-browser"]').count()).toBe(1);
    await page.close();
  });

  it('hides admin pages from an operator and refuses them by URL', async () => {
    const page = await signIn('operator1', PASSWORD);
    expect(await page.getByTestId('whoami').textContent()).toBe('operator1 (operator)');
    const nav = await navLabels(page);
    expect(nav).not.toContain('Users');
    expect(nav).not.toContain('API keys');
    const res = await page.goto(`${p.baseUrl}/admin/users`);
    expect(res?.status()).toBe(403);
    expect(await page.getByTestId('error-status').textContent()).toContain('403');
    await page.close();
  });

  it('lets an auditor change nothing, even by forging a form post from their own session', async () => {
    const page = await signIn('auditor1', PASSWORD);
    expect(await navLabels(page)).not.toContain('Users');
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const status = await page.evaluate(async (token) => {
      const r = await fetch('/admin/users', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: token ?? '', username: 'evil', role: 'admin' }).toString(),
      });
      return r.status;
    }, csrf);
    expect(status).toBe(403);
    await page.close();
  });

  it('signs out', async () => {
    const page = await signIn('operator1', PASSWORD);
    await Promise.all([page.waitForURL(/\/login$/), page.click('button:has-text("Sign out")')]);
    const res = await page.goto(`${p.baseUrl}/`);
    expect(res?.url()).toContain('/login');
    await page.close();
  });
});
