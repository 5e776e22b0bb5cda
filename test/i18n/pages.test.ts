// Every page this project translates, fetched as each role with Accept-Language zh-CN and en
// and no saved preference: <html lang>, the navigation in that language, no catalogue key left
// on the page and no English phrase of the catalogue on a Chinese page. Then a saved choice
// beats the browser's header, and a signed-out visitor's choice lasts for the session.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { navFor } from '../../server/web/nav.js';
import { missingKeys, type Locale } from '../../server/i18n/i18n.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import type { TestPlatform } from '../support/platform.js';
import { englishPhrases, ui, untranslatedEnglish, visibleText } from '../support/catalogue.js';
import { seedLiveData, type LiveData } from '../support/live-seed.js';
import { pageUrls, unvisitedPages } from '../support/page-urls.js';
import { appOf, registeredRoutes } from '../support/routes.js';
import { WebClient } from '../support/web-client.js';
import { PASSWORD, signedIn } from '../catalog/support/fixtures.js';

type Role = 'admin' | 'operator' | 'auditor';
let f: BrokerFixture;
let p: TestPlatform;
let live: LiveData;
const clients = {} as Record<Role, WebClient>;

/** One-word UI texts (a header, a button, a badge) that the Chinese catalogue translates. */
const englishWords = [
  ...new Set(
    [...ui.en]
      // role names and CSV column names are also what users and files write (a user name, a header)
      .filter(([k, v]) => ui['zh-CN'].get(k) !== v && /^[A-Za-z][a-z]{3,}$/.test(v))
      .filter(([k]) => !/^(roles|schedules\.kind|import)\./.test(k))
      .map(([, v]) => v),
  ),
];

beforeAll(async () => {
  f = await startBroker({ CATALOG_SCHEDULE_INTERVAL_MS: '100', ALERT_INTERVAL_MS: '300' });
  p = f.platform;
  clients.admin = await signedIn(p, 'admin');
  clients.operator = await signedIn(p, 'operator');
  clients.auditor = await signedIn(p, 'auditor');
  live = await seedLiveData(f, clients);
});
afterAll(async () => {
  await live?.ap.stop();
  await f?.close();
});

async function fetchAs(c: WebClient, path: string, lang: string) {
  return c.request('GET', path, { headers: { 'accept-language': lang } });
}

/** What is wrong with a page in a language: empty when nothing is. */
function pageProblems(html: string, path: string, locale: Locale, role: Role | 'anonymous'): string[] {
  const where = `${role} ${path} (${locale})`;
  const out: string[] = [];
  const no = (what: string, found: string[]) =>
    found.length && out.push(`${where}: ${what} ${found.join(' | ')}`);
  if (!html.includes(`<html lang="${locale}">`)) out.push(`${where}: no <html lang="${locale}">`);
  const text = visibleText(html);
  no(
    'nav',
    navFor(role === 'anonymous' ? undefined : role)
      .map((i) => ui[locale].get(i.label)!)
      .filter((label) => !html.includes(`>${label}</a>`)),
  );
  no(
    'keys left',
    [...ui.en.keys()].filter((key) => text.includes(key)),
  );
  // No raw ISO-8601 time (with milliseconds or a Z) on a page: times are written for the reader.
  no('raw time', text.match(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?Z?/g) ?? []);
  if (locale === 'zh-CN') {
    if (!/[\u4e00-\u9fff]/.test(text)) out.push(`${where}: no Chinese`);
    no(
      'English',
      englishPhrases.filter((phrase) => text.includes(phrase)),
    );
    no('English outside the catalogue', untranslatedEnglish(html));
    const body = html
      .replace(/^[\s\S]*?<body>/, '')
      .replace(/<form[^>]*data-testid="lang-switch"[\s\S]*?<\/form>/, '');
    no(
      'English word',
      englishWords.filter((word) => new RegExp(`>\\s*${word}\\s*<`).test(body)),
    );
  } else {
    // Chinese on an English page only in what users typed (none here).
    no('Chinese', text.match(/[\u4e00-\u9fff]+/g) ?? []);
  }
  return out;
}

function checkPage(html: string, path: string, locale: Locale, role: Role | 'anonymous') {
  expect(pageProblems(html, path, locale, role)).toEqual([]);
}

describe('pages in the reader language', () => {
  it('visits every page the app serves', () => {
    const { routes, subRouters } = registeredRoutes(appOf(p));
    expect(subRouters).toEqual([]);
    expect(routes.length).toBeGreaterThan(40);
    expect(unvisitedPages(routes, pageUrls(live))).toEqual([]);
  });

  for (const locale of ['zh-CN', 'en'] as const) {
    it(`serves every translated page in ${locale} from Accept-Language alone`, async () => {
      const header = locale === 'zh-CN' ? 'zh-CN,zh;q=0.9,en;q=0.5' : 'en-US,en;q=0.9';
      const anon = new WebClient(p.baseUrl);
      const r = await fetchAs(anon, '/login', header);
      expect(r.status).toBe(200);
      const problems = pageProblems(r.text, '/login', locale, 'anonymous');
      // Every page as every role: what a role may not open is a translated error page.
      for (const role of ['admin', 'operator', 'auditor'] as const) {
        for (const path of pageUrls(live)) {
          const r = await fetchAs(clients[role], path, header);
          expect([200, 403, 404], `${role} ${path}`).toContain(r.status);
          problems.push(...pageProblems(r.text, path, locale, role));
          // CRAWL_DUMP=dir keeps each page's HTML to look at what a check found.
          if (process.env.CRAWL_DUMP)
            fs.writeFileSync(
              `${process.env.CRAWL_DUMP}/${role}${path.replace(/[^a-z0-9]+/gi, '_')}-${locale}.html`,
              r.text,
            );
        }
      }
      expect(problems).toEqual([]);
      expect(missingKeys()).toEqual([]);
    });
  }

  it('follows a bare "zh" and falls back to DEFAULT_LOCALE for languages it does not have', async () => {
    const anon = new WebClient(p.baseUrl);
    expect((await fetchAs(anon, '/login', 'zh')).text).toContain('<html lang="zh-CN">');
    expect((await fetchAs(anon, '/login', 'fr-FR,fr;q=0.9')).text).toContain('<html lang="en">'); // the tests' default
    expect((await anon.get('/login')).text).toContain('<html lang="en">');
  });

  it('lets a saved choice win over the browser header, and a cleared one give it back', async () => {
    const admin = clients.admin;
    await fetchAs(admin, '/admin/users', 'en');
    const saved = await admin.request('POST', '/account/preferences', {
      form: { _csrf: admin.lastCsrf, locale: 'zh-CN', next: '/admin/users' },
      headers: { 'accept-language': 'en' },
    });
    expect(saved.status).toBe(302);
    expect(saved.location).toBe('/admin/users');
    const zh = await fetchAs(admin, '/admin/users', 'en-US,en;q=0.9');
    expect(zh.headers.get('content-language')).toBe('zh-CN');
    expect(zh.headers.get('vary')).toContain('Accept-Language');
    // The switcher returns to the page it is on, query string included.
    expect((await fetchAs(admin, '/audit?actor=admin', 'en')).text).toContain(
      'name="next" value="/audit?actor=admin"',
    );
    checkPage(zh.text, '/admin/users', 'zh-CN', 'admin');
    const op = clients.operator;
    await fetchAs(op, '/account/password', 'zh-CN');
    await op.request('POST', '/account/preferences', {
      form: { _csrf: op.lastCsrf, locale: 'en', next: '/' },
    });
    checkPage((await fetchAs(op, '/account/password', 'zh-CN')).text, '/account/password', 'en', 'operator');
    // The choice is on the account (a new session has it) and in the audit trail.
    const again = await signedInAs(p, 'admin');
    expect((await fetchAs(again, '/audit', 'en')).text).toContain('<html lang="zh-CN">');
    const [rows] = (await p.ctx.pool.query(
      "SELECT after_json FROM audit_log WHERE action = 'user.preferences_changed' AND object_id = 'admin'",
    )) as unknown as [{ after_json: string }[]];
    expect(rows.map((r) => JSON.parse(r.after_json).locale)).toContain('zh-CN');
    await admin.request('POST', '/account/preferences', {
      form: { _csrf: admin.lastCsrf, locale: '', next: '/' },
    });
    expect((await fetchAs(admin, '/admin/users', 'en')).text).toContain('<html lang="en">');
  });

  it('keeps a signed-out visitor’s choice for the session', async () => {
    const anon = new WebClient(p.baseUrl);
    await fetchAs(anon, '/login', 'en');
    const r = await anon.request('POST', '/account/preferences', {
      form: { _csrf: anon.lastCsrf, locale: 'zh-CN', next: '/login' },
    });
    expect(r.status).toBe(302);
    checkPage((await fetchAs(anon, '/login', 'en')).text, '/login', 'zh-CN', 'anonymous');
    // Signing in keeps it (the session id changes, the choice stays) until the account saves its own.
    const made = await clients.admin.createUser({
      username: 'visitor-1',
      role: 'operator',
      password: PASSWORD,
    });
    expect(made.status).toBe(200);
    await anon.request('POST', '/login', {
      form: { _csrf: anon.lastCsrf, username: 'visitor-1', password: PASSWORD },
    });
    checkPage(
      (await fetchAs(anon, '/account/password', 'en')).text,
      '/account/password',
      'zh-CN',
      'operator',
    );
    await anon.request('POST', '/account/preferences', {
      form: { _csrf: anon.lastCsrf, locale: 'en', next: '/' },
    });
    checkPage(
      (await fetchAs(anon, '/account/password', 'zh-CN')).text,
      '/account/password',
      'en',
      'operator',
    );
    await anon.request('POST', '/logout', { form: { _csrf: anon.lastCsrf } });
    await fetchAs(anon, '/login', 'en');
    const bad = await anon.request('POST', '/account/preferences', {
      form: { _csrf: anon.lastCsrf, locale: 'xx', next: '/login' },
    });
    expect(bad.status).toBe(400);
  });

  it('shows times in the user’s own zone once chosen, with the zone named', async () => {
    const aud = clients.auditor;
    const page = await fetchAs(aud, '/audit', 'en');
    expect(page.text).toContain('Times in Asia/Shanghai');
    expect(page.text).toMatch(
      /<time datetime="[^"]+Z">[A-Z][a-z]{2} \d{2}, \d{4}, \d{2}:\d{2}:\d{2} GMT\+8<\/time>/,
    );
    const bad = await aud.request('POST', '/account/preferences', {
      form: { _csrf: aud.lastCsrf, timeZone: 'Mars/Olympus_Mons', next: '/audit' },
    });
    expect(bad.status).toBe(400);
    const ok = await aud.request('POST', '/account/preferences', {
      form: { _csrf: aud.lastCsrf, timeZone: 'America/New_York', next: '/audit' },
    });
    expect(ok.status).toBe(302);
    const ny = await fetchAs(aud, '/audit', 'en');
    expect(ny.text).toContain('Times in America/New_York');
    expect(ny.text).toMatch(
      /<time datetime="[^"]+Z">[A-Z][a-z]{2} \d{2}, \d{4}, \d{2}:\d{2}:\d{2} E[SD]T<\/time>/,
    );
    // Back to the default; the language was never set, so the header still decides.
    await aud.request('POST', '/account/preferences', {
      form: { _csrf: aud.lastCsrf, timeZone: '', next: '/' },
    });
    expect((await fetchAs(aud, '/audit', 'zh-CN')).text).toContain('时间按 Asia/Shanghai 时区显示');
  });

  it('translates flash messages and form errors', async () => {
    const op = clients.auditor; // no saved language (admin and operator saved one above)
    await fetchAs(op, '/account/password', 'zh-CN');
    const bad = await op.request('POST', '/account/password', {
      form: { _csrf: op.lastCsrf, current: 'not-my-password', password: 'short' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain(
      '<span class="field-error" id="err-password" data-field="password">至少 12 个字符</span>',
    );
    const wrong = await op.request('POST', '/account/password', {
      form: { _csrf: op.lastCsrf, current: 'not-my-password', password: 'another-long-password-1' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(wrong.text).toContain(
      '<span class="field-error" id="err-current" data-field="current">密码错误</span>',
    );
    const ok = await op.request('POST', '/account/password', {
      form: { _csrf: op.lastCsrf, current: PASSWORD, password: 'another-long-password-1' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(ok.status).toBe(302);
    expect((await fetchAs(op, '/', 'zh-CN')).text).toContain('密码已修改。');

    // The admin pages' form errors and flash messages (the admin cleared their choice above).
    const admin = clients.admin;
    await fetchAs(admin, '/admin/users', 'zh-CN');
    const user = await admin.request('POST', '/admin/users', {
      form: { _csrf: admin.lastCsrf, username: 'x', role: 'operator', password: 'short' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(user.status).toBe(400);
    expect(user.text).toContain('3-64 个字母、数字、点、短横线或下划线');
    expect(user.text).toContain('至少 12 个字符');
    const key = await admin.request('POST', '/admin/api-keys', {
      form: { _csrf: admin.lastCsrf, name: 'erp', scopes: 'tasks:read' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(key.text).toContain('新密钥（仅显示一次，请立即保存）');
    const id = /action="\/admin\/api-keys\/(\d+)\/revoke"/.exec(key.text)![1];
    await admin.request('POST', `/admin/api-keys/${id}/revoke`, {
      form: { _csrf: admin.lastCsrf },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect((await fetchAs(admin, '/admin/api-keys', 'zh-CN')).text).toContain('API 密钥已吊销。');
    const group = await admin.request('POST', '/admin/mqtt/groups', {
      form: { _csrf: admin.lastCsrf, groupId: 'bad' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(group.status).toBe(400);
    expect(group.text).toContain('以 GID_ 或 GID- 开头');
    const csv = await admin.request('POST', '/catalog/imports', {
      form: { _csrf: admin.lastCsrf, csv: 'sku,store,price\nLANG-1,L1,-1\nLANG-1,L1\n' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(csv.status).toBe(400);
    checkPage(csv.text, '/catalog/imports (rejected)', 'zh-CN', 'admin');
    expect(csv.text).toContain('price: “-1” 是负数');
    expect(csv.text).toContain('列数不对：有 2 列，应为 3 列');
    const header = await admin.request('POST', '/catalog/imports', {
      form: { _csrf: admin.lastCsrf, csv: 'sku;store;price\n' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(header.text).toContain('表头：请用英文逗号分隔各列；缺少列 sku, store, price');
    const audit = await fetchAs(admin, '/audit?from=yesterday', 'zh-CN');
    expect(audit.status).toBe(400);
    // the form's times are the reader's wall time: the default zone for a user without one
    expect(audit.text).toContain(`日期时间，如 2026-05-01T08:00（${p.ctx.config.DEFAULT_TIME_ZONE}）`);
  });
});

async function signedInAs(tp: TestPlatform, who: 'admin') {
  const c = new WebClient(tp.baseUrl);
  await c.login(who, tp.adminPassword);
  return c;
}

// Screenshots for a person to look at, registered only with SHOTS_DIR set (a tool, not a check):
// the operations pages in Chinese, 1280 and 390 px.
if (process.env.SHOTS_DIR)
  describe('screenshots', () => {
    it('takes the Chinese operations pages at 1280 and 390 px', async () => {
      const { launchBrowser } = await import('../support/browser.js');
      const browser = await launchBrowser();
      try {
        const ctx = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
        const page = await ctx.newPage();
        await page.goto(`${p.baseUrl}/login`);
        await page.fill('input[name=username]', 'admin');
        await page.fill('input[name=password]', p.adminPassword);
        await Promise.all([page.waitForURL(`${p.baseUrl}/`), page.click('button[type=submit]')]);
        const shots = {
          dashboard: '/',
          task: `/tasks/${live.taskId}`,
          tasks: '/tasks',
          ap: `/health/aps/${encodeURIComponent(live.clientId)}`,
          alerts: '/alerts',
          webhooks: '/admin/webhooks',
          webhook: `/admin/webhooks/${live.endpointId}`,
          store: `/catalog/stores/${live.storeId}`,
        };
        for (const [name, path] of Object.entries(shots)) {
          for (const width of [1280, 390]) {
            await page.setViewportSize({ width, height: 900 });
            await page.goto(`${p.baseUrl}${path}`);
            await page.waitForTimeout(700);
            expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
            await page.screenshot({ path: `${process.env.SHOTS_DIR}/${name}-${width}.png`, fullPage: true });
          }
        }
      } finally {
        await browser.close();
      }
    });
  });
