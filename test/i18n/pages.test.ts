// Every page this project translates, fetched as each role with Accept-Language zh-CN and en
// and no saved preference: <html lang>, the navigation in that language, no catalogue key left
// on the page and no English phrase of the catalogue on a Chinese page. Then a saved choice
// beats the browser's header, and a signed-out visitor's choice lasts for the session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { navFor } from '../../server/web/nav.js';
import { hmacB64 } from '../../broker/index.js';
import { missingKeys, type Locale } from '../../server/i18n/i18n.js';
import { SimAp } from '../../sim/sim-ap.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import type { TestPlatform } from '../support/platform.js';
import { englishPhrases, ui, visibleText } from '../support/catalogue.js';
import { waitFor } from '../support/wait.js';
import { WebClient } from '../support/web-client.js';
import { makeProduct, makeStore, PASSWORD, q, setPrice, signedIn } from '../catalog/support/fixtures.js';
import { seedStore } from '../tasks/support/fixtures.js';

type Role = 'admin' | 'operator' | 'auditor';
let f: BrokerFixture;
let p: TestPlatform;
let ap: SimAp | undefined;
const clients = {} as Record<Role, WebClient>;
let importPath = '';
/** Real data on the operations pages: a store (in another zone than the readers'), its AP, a task with items, an alert, a webhook endpoint with a delivery. */
const live = { storeId: 0, clientId: '', taskId: '', endpointId: 0, deliveryUid: '' };

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

/** What a reader sees: the body's text without tags, scripts, or the language switcher (endonyms). */

/** The operations pages every signed-in role reads (the dashboard, tasks, devices, alerts, stores, ...). */
const operations = () => [
  '/',
  '/tasks',
  '/tasks?stuck=1',
  `/tasks/${live.taskId}`,
  '/alerts',
  '/alerts?state=all',
  '/alerts/rules',
  '/devices/aps',
  '/devices/mismatches',
  `/health/aps/${encodeURIComponent(live.clientId)}`,
  '/health/labels',
  '/catalog/stores',
  `/catalog/stores/${live.storeId}`,
  '/catalog/schedules',
  '/catalog/products',
];
const webhookPages = () => [
  '/admin/webhooks',
  `/admin/webhooks/${live.endpointId}`,
  `/admin/webhooks/${live.endpointId}/delete`,
  `/admin/webhooks/${live.endpointId}/deliveries/${live.deliveryUid}`,
];

const PAGES: Record<Role | 'anonymous', () => string[]> = {
  anonymous: () => ['/login'],
  admin: () => [
    ...operations(),
    ...webhookPages(),
    '/account/password',
    '/admin/users',
    '/admin/api-keys',
    '/admin/mqtt',
    '/admin/mqtt/credentials',
    '/audit',
    '/audit/verify?fromId=1',
    '/catalog/imports',
    importPath,
    '/no-such-page',
  ],
  operator: () => [
    ...operations(),
    '/account/password',
    '/catalog/imports',
    importPath,
    '/audit',
    '/no-such-page',
  ],
  auditor: () => [
    ...operations(),
    '/account/password',
    '/audit',
    '/audit/verify?fromId=1',
    importPath,
    '/admin/users',
    '/admin/webhooks',
  ],
};

beforeAll(async () => {
  f = await startBroker({ CATALOG_SCHEDULE_INTERVAL_MS: '100', ALERT_INTERVAL_MS: '300' });
  p = f.platform;
  clients.admin = await signedIn(p, 'admin');
  clients.operator = await signedIn(p, 'operator');
  clients.auditor = await signedIn(p, 'auditor');
  await seedOperations();
  await makeStore(p, clients.admin, 'L1');
  await makeProduct(clients.operator, 'LANG-1');
  const r = await clients.operator.post(
    '/catalog/imports',
    { csv: 'sku,store,price\nLANG-1,L1,3.50\n' },
    '/catalog/imports',
  );
  expect(r.status).toBe(302);
  importPath = r.location!;
});
afterAll(async () => {
  await ap?.stop();
  await f?.close();
});

async function seedOperations() {
  const admin = clients.admin;
  const g = await f.newGroup();
  const store = await seedStore(p.ctx.pool, { products: 2, labelsPerProduct: 2, groupId: g.groupId });
  live.storeId = store.storeId;
  const [{ code }] = await q<{ code: string }>(p, 'SELECT code FROM stores WHERE id = ?', [store.storeId]);
  // The store keeps another zone than the readers' (Asia/Shanghai), so its pages show its own.
  const zone = await admin.post(
    `/catalog/stores/${store.storeId}`,
    { name: `Store ${code}`, timezone: 'Europe/Berlin', currency: 'CNY' },
    `/catalog/stores/${store.storeId}`,
  );
  expect(zone.status).toBe(302);
  live.clientId = `${g.groupId}@@@AP1`;
  ap = new SimAp({
    url: f.url(),
    clientId: live.clientId,
    parentTopic: f.parent,
    statusIntervalMs: 500,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, live.clientId),
    labels: store.labelIds,
  });
  await ap.start();
  await waitFor(
    'labels reported by the AP',
    () => q(p, 'SELECT COUNT(*) AS n FROM labels WHERE last_ap_client_id = ?', [live.clientId]),
    { until: (r) => Number((r[0] as { n: number }).n) === store.labelIds.length, timeoutMs: 30_000 },
  );
  // 1.00 to 4.20 is a large change: the operator confirms it (server/catalog/price-sanity.ts)
  const price = await setPrice(clients.operator, store.productIds[0], {
    price: '4.20',
    stores: code,
    confirm: '1',
  });
  expect(price.status, price.text.slice(0, 300)).toBe(302);
  const [task] = await waitFor(
    'the price change confirmed',
    () => q<{ id: string; state: string }>(p, 'SELECT id, state FROM tasks ORDER BY id DESC LIMIT 1'),
    { until: (r) => r[0]?.state === 'completed', timeoutMs: 30_000 },
  );
  live.taskId = String(task.id);
  // An alert: every label's battery reads below this threshold.
  const rules = await admin.post(
    '/alerts/rules',
    {
      ap_offline_minutes: '5',
      battery_below_mv: '5000',
      battery_below_mv_on: '1',
      task_will_miss_labels: '1',
      mismatch_minutes: '30',
      failure_rate_percent: '50',
    },
    '/alerts/rules',
  );
  expect(rules.status).toBe(302);
  await waitFor('an alert opened', () => q(p, "SELECT id FROM alerts WHERE kind = 'battery_below_mv'"), {
    until: (r) => r.length > 0,
    timeoutMs: 30_000,
  });
  // A webhook endpoint (a receiver that is not there) with a test delivery.
  const hook = await admin.post(
    '/admin/webhooks',
    { name: 'ERP', url: 'http://127.0.0.1:9/esl-hooks', events: 'task.completed' },
    '/admin/webhooks',
  );
  expect(hook.status).toBe(201);
  const [endpoint] = await q<{ id: number }>(p, 'SELECT id FROM webhook_endpoints ORDER BY id DESC LIMIT 1');
  live.endpointId = Number(endpoint.id);
  const test = await admin.post(
    `/admin/webhooks/${live.endpointId}/test`,
    {},
    `/admin/webhooks/${live.endpointId}`,
  );
  expect(test.status).toBe(302);
  const [delivery] = await waitFor(
    'a test delivery',
    () =>
      q<{ uid: string }>(
        p,
        'SELECT uid FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT 1',
        [live.endpointId],
      ),
    { until: (r) => r.length > 0, timeoutMs: 30_000 },
  );
  live.deliveryUid = delivery.uid;
}

async function fetchAs(c: WebClient, path: string, lang: string) {
  return c.request('GET', path, { headers: { 'accept-language': lang } });
}

function checkPage(html: string, path: string, locale: Locale, role: Role | 'anonymous') {
  const where = `${role} ${path} (${locale})`;
  expect(html, where).toContain(`<html lang="${locale}">`);
  const text = visibleText(html);
  for (const item of navFor(role === 'anonymous' ? undefined : role))
    expect(html, `${where}: nav ${item.label}`).toContain(`>${ui[locale].get(item.label)}</a>`);
  for (const key of ui.en.keys()) expect(text, `${where}: key ${key} left`).not.toContain(key);
  // No raw ISO-8601 time (with milliseconds or a Z) on a page: times are written for the reader.
  expect(text.match(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?Z?/g) ?? [], `${where}: raw time`).toEqual([]);
  if (locale === 'zh-CN') {
    expect(text, where).toMatch(/[\u4e00-\u9fff]/);
    for (const phrase of englishPhrases) expect(text, `${where}: English "${phrase}"`).not.toContain(phrase);
    const body = html
      .replace(/^[\s\S]*?<body>/, '')
      .replace(/<form[^>]*data-testid="lang-switch"[\s\S]*?<\/form>/, '');
    for (const word of englishWords)
      expect(body, `${where}: English "${word}"`).not.toMatch(new RegExp(`>\\s*${word}\\s*<`));
  } else {
    // Chinese on an English page only in what users typed (none here).
    expect(text.match(/[\u4e00-\u9fff]+/g) ?? [], where).toEqual([]);
  }
}

describe('pages in the reader language', () => {
  for (const locale of ['zh-CN', 'en'] as const) {
    it(`serves every translated page in ${locale} from Accept-Language alone`, async () => {
      const header = locale === 'zh-CN' ? 'zh-CN,zh;q=0.9,en;q=0.5' : 'en-US,en;q=0.9';
      const anon = new WebClient(p.baseUrl);
      for (const path of PAGES.anonymous()) {
        const r = await fetchAs(anon, path, header);
        expect(r.status).toBe(200);
        checkPage(r.text, path, locale, 'anonymous');
      }
      for (const role of ['admin', 'operator', 'auditor'] as const) {
        for (const path of PAGES[role]()) {
          const r = await fetchAs(clients[role], path, header);
          expect([200, 403, 404], `${role} ${path}`).toContain(r.status);
          checkPage(r.text, path, locale, role);
        }
      }
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
    expect(bad.text).toContain('<span class="field-error" data-field="password">至少 12 个字符</span>');
    const wrong = await op.request('POST', '/account/password', {
      form: { _csrf: op.lastCsrf, current: 'not-my-password', password: 'another-long-password-1' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(wrong.text).toContain('<span class="field-error" data-field="current">密码错误</span>');
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
    expect(audit.text).toContain('日期时间，如 2026-05-01T08:00（UTC）');
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
