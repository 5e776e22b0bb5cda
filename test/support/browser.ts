// Debian's Chromium driven by playwright-core (no browser download), and what tests do in its pages.
import { chromium, type Browser, type Page } from 'playwright-core';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Signs in through the login form of the page's browser and waits for the home page. */
export async function signInAs(
  page: Page,
  baseUrl: string,
  username: string,
  password: string,
): Promise<Page> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(`${baseUrl}/`), page.click('button[type=submit]')]);
  return page;
}

/** Collects the page's console errors and uncaught exceptions (the browser's own favicon request aside). */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on(
    'console',
    (m) =>
      m.type() === 'error' &&
      !m.location().url.endsWith('/favicon.ico') &&
      problems.push(`${m.text()} ${m.location().url}`),
  );
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}
