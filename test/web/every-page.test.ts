// Every page of the UI in a real browser, in Chinese and in English, signed in as an admin (who
// sees every page): no wider than a 390 px or a 768 px screen, no serious or critical axe-core
// violation, a skip link to the main content and a favicon. A form sent with errors ties each
// error to its field and moves the focus to the first one. With SCREENSHOT_DIR set, each page
// is also saved at 1280 and 390 px.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { signedIn } from '../catalog/support/fixtures.js';
import { launchBrowser, signInAs } from '../support/browser.js';
import { seedLiveData, type LiveData } from '../support/live-seed.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { pageUrls, unvisitedPages } from '../support/page-urls.js';
import { appOf, registeredRoutes } from '../support/routes.js';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const shots = process.env.SCREENSHOT_DIR;

let f: BrokerFixture;
let browser: Browser;
let live: LiveData;

beforeAll(async () => {
  [f, browser] = await Promise.all([
    startBroker({ CATALOG_SCHEDULE_INTERVAL_MS: '100', ALERT_INTERVAL_MS: '300' }),
    launchBrowser(),
  ]);
  const p = f.platform;
  live = await seedLiveData(f, {
    admin: await signedIn(p, 'admin'),
    operator: await signedIn(p, 'operator'),
  });
});
afterAll(async () => {
  await browser?.close();
  await live?.ap.stop();
  await f?.close();
});

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[];
}

/** axe-core run in the page (evaluated through the DevTools protocol, so the page's CSP does not apply to it). */
async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run: (o: unknown) => Promise<unknown> } }).axe.run({
      resultTypes: ['violations'],
    }),
  )) as AxeResult;
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(', ')}`,
    );
}

async function widthProblems(page: Page, name: string): Promise<string[]> {
  const out: string[] = [];
  for (const width of [390, 768]) {
    await page.setViewportSize({ width, height: 844 });
    // charts resize on a ResizeObserver callback: let the layout settle (up to about a second)
    const measure = () =>
      page.evaluate(() => ({
        doc: document.documentElement.scrollWidth,
        view: document.documentElement.clientWidth,
      }));
    let w = await measure();
    for (let i = 0; i < 20 && w.doc > w.view; i++) {
      await page.waitForTimeout(50);
      w = await measure();
    }
    if (w.doc > w.view) {
      // name the outermost elements that stick out, so the failure says where to look
      const culprits = await page.evaluate((view) => {
        const out: string[] = [];
        for (const el of Array.from(document.body.querySelectorAll('*'))) {
          if (el.getBoundingClientRect().right <= view + 1) continue;
          const parent = el.parentElement;
          if (parent && parent !== document.body && parent.getBoundingClientRect().right > view + 1) continue;
          out.push(
            `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className ? `.${String(el.className).split(' ').join('.')}` : ''}`,
          );
        }
        return out.slice(0, 3);
      }, w.view);
      out.push(`${name} at ${width} px: ${w.doc} px wide (${culprits.join(', ')})`);
    }
  }
  return out;
}

async function visitAll(locale: 'zh-CN' | 'en') {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  const look = async (name: string) => {
    problems.push(...(await widthProblems(page, name)));
    await page.setViewportSize({ width: 1280, height: 900 });
    problems.push(...(await axe(page)).map((v) => `${name}: ${v}`));
    if (!(await page.locator('a.skip-link[href="#main"]').count())) problems.push(`${name}: no skip link`);
    if (!(await page.locator('main#main').count())) problems.push(`${name}: no main#main`);
    if (!(await page.locator('link[rel=icon]').count())) problems.push(`${name}: no favicon`);
    if (shots) {
      fs.mkdirSync(shots, { recursive: true });
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        const file = `${name.replace(/[^a-z0-9]+/gi, '_').slice(0, 60)}-${locale}-${width}.png`;
        await page.screenshot({ path: path.join(shots, file), fullPage: true });
      }
    }
  };
  await page.goto(`${f.platform.baseUrl}/login`);
  await look('/login');
  await signInAs(page, f.platform.baseUrl, 'admin', f.platform.adminPassword);
  for (const url of pageUrls(live)) {
    await page.goto(`${f.platform.baseUrl}${url}`);
    expect(await page.getAttribute('html', 'lang')).toBe(locale);
    await look(url);
  }
  await context.close();
  return problems;
}

describe('every page in a browser', () => {
  it('visits every page the app serves', () => {
    const { routes, subRouters } = registeredRoutes(appOf(f.platform));
    expect(subRouters).toEqual([]);
    expect(unvisitedPages(routes, pageUrls(live))).toEqual([]);
  });

  it('fits a phone and passes axe-core, in Chinese', async () => {
    expect(await visitAll('zh-CN')).toEqual([]);
  }, 300_000);

  it('and in English', async () => {
    expect(await visitAll('en')).toEqual([]);
  }, 300_000);

  it('ties form errors to their fields and focuses the first one', async () => {
    const context = await browser.newContext({ locale: 'en' });
    const page = await signInAs(
      await context.newPage(),
      f.platform.baseUrl,
      'admin',
      f.platform.adminPassword,
    );
    await page.goto(`${f.platform.baseUrl}/catalog/stores`);
    await page.fill('input[name=code]', 'BAD CODE WITH SPACES');
    await page.fill('input[name=name]', 'x');
    await page.fill('input[name=timezone]', 'Mars/Olympus');
    await Promise.all([
      page.waitForLoadState('load'),
      page.click('form[action="/catalog/stores"] button[type=submit]'),
    ]);
    const invalid = page.locator('[aria-invalid=true]');
    expect(await invalid.count()).toBeGreaterThanOrEqual(2);
    const first = invalid.first();
    const described = (await first.getAttribute('aria-describedby'))!;
    expect((await page.locator(`#${described}`).textContent())!.trim().length).toBeGreaterThan(0);
    expect(await first.evaluate((el) => el === document.activeElement)).toBe(true);
    // the skip link is the first thing the keyboard reaches, and it leads to the main content
    await page.keyboard.press('Shift+Tab');
    await page.goto(`${f.platform.baseUrl}/catalog/stores`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await context.close();
  });
});
