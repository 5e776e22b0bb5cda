// The trail in plain language: a record's summary in the reader's language with product and
// store names and before -> after values, its fields as a table, the raw record kept; names
// read in one query per page; the CSV's summary_text; the page no wider than a phone.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, AuditEvent, AuditRecord } from '../../server/audit/audit-chain.js';
import { noNames } from '../../server/audit/audit-names-repo.js';
import { plainRecord, type Reader } from '../../server/audit/audit-plain.js';
import { formatTime } from '../../server/i18n/format.js';
import { translator } from '../../server/i18n/i18n.js';
import { AuditQueryService } from '../../server/audit/audit-query-service.js';
import { parseFilter } from '../../server/audit/audit-filter.js';
import { appendAudit, readChainHead } from '../../server/audit/audit-repo.js';
import type { Pool } from '../../server/db/pool.js';
import { withTx } from '../../server/db/pool.js';
import { execute } from '../../server/db/query.js';
import { launchBrowser } from '../support/browser.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import type { FakeSlsServer } from '../support/sls-server.js';
import { WebClient } from '../support/web-client.js';
import { shippedUpTo, slsEnv, startFakeSls } from './support/audit-env.js';

let sls: FakeSlsServer;
let p: TestPlatform;
let browser: Browser;
let auditor: WebClient;
const PASSWORD = 'plain-language-password';
const alice: Actor = { name: 'alice', role: 'operator', requestId: 'req-pl-1', ip: '10.2.2.2' };
const at = (s: number) => new Date(Date.UTC(2026, 4, 5, 8, 0, s));
const ids: Record<string, string> = {};
const LONG = 'A'.repeat(300);

async function record(when: Date, e: AuditEvent) {
  const [r] = await withTx(p.ctx.pool, (c) => appendAudit(c, alice, [e], when));
  return r.id;
}

const get = (path: string, lang: string) =>
  auditor.request('GET', path, { headers: { 'accept-language': lang } });

const unescape = (s: string) =>
  s.replace(
    /&(lt|gt|#34|#39|amp);/g,
    (_m, e: string) => ({ lt: '<', gt: '>', '#34': '"', '#39': "'", amp: '&' })[e]!,
  );

/** The page's rows: id -> the plain summary's text. */
function summaries(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<tr data-id="(\d+)">[\s\S]*?data-testid="summary-text">([^<]*)</g))
    out.set(m[1], unescape(m[2]));
  return out;
}

/** A pool that counts the statements sent through it (the real pool underneath). */
function counting(pool: Pool) {
  const seen: string[] = [];
  const wrapped = new Proxy(pool, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (prop === 'query' || prop === 'execute')
        return (sql: string, ...rest: unknown[]) => {
          seen.push(typeof sql === 'string' ? sql : String(sql));
          return (v as (...a: unknown[]) => unknown).call(target, sql, ...rest);
        };
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { pool: wrapped, seen };
}

beforeAll(async () => {
  sls = await startFakeSls();
  [p, browser] = await Promise.all([
    startTestPlatform({ ...slsEnv(sls), AUDIT_SHIP_INTERVAL_MS: '50' }),
    launchBrowser(),
  ]);
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  expect(
    (await admin.createUser({ username: 'pl-auditor', role: 'auditor', password: PASSWORD })).status,
  ).toBe(200);
  auditor = new WebClient(p.baseUrl);
  await auditor.login('pl-auditor', PASSWORD);

  const db = p.ctx.pool;
  await execute(
    db,
    `INSERT INTO stores (code, name, timezone, currency) VALUES (?, ?, 'Asia/Shanghai', 'CNY')`,
    ['SH-XH', '上海徐汇店'],
  );
  await execute(db, `INSERT INTO products (sku, name, unit, currency) VALUES (?, ?, 'pcs', 'CNY')`, [
    '6901234',
    '可乐 330ml',
  ]);
  // 50 products for a full page of records, each with its own name.
  await execute(db, 'INSERT INTO products (sku, name, unit, currency) VALUES ?', [
    Array.from({ length: 50 }, (_, i) => [`PL${i}`, `Product number ${i}`, 'pcs', 'CNY']),
  ]);
  for (let i = 0; i < 50; i++)
    await record(at(1), {
      action: 'price.changed',
      objectType: 'price',
      objectId: `PL${i}@SH-XH`,
      refs: { sku: `PL${i}`, store: 'SH-XH' },
      before: { price: `${i}.50` },
      after: { price: `${i}.25` },
    });
  ids.change = await record(at(10), {
    action: 'price.changed',
    objectType: 'price',
    objectId: '6901234@SH-XH',
    refs: { sku: '6901234', store: 'SH-XH', task: 41 },
    before: { price: '3.50', promoPrice: null, promoFrom: null, promoTo: null },
    after: { price: '2.99', promoPrice: null, promoFrom: null, promoTo: null },
  });
  ids.unknown = await record(at(11), {
    action: 'shelf.repainted',
    objectType: 'shelf',
    objectId: 'aisle-7',
    refs: { store: 'SH-XH' },
    after: { hue: 'blue' },
  });
  ids.long = await record(at(12), {
    action: 'product.updated',
    objectType: 'product',
    objectId: '6901234',
    refs: { sku: '6901234' },
    summary: `long ${LONG}`,
    before: { name: '可乐 330ml', unit: 'pcs', currency: 'CNY' },
    after: { name: `可乐 330ml ${LONG}`, unit: 'pcs', currency: 'CNY', note: LONG },
  });
  await shippedUpTo(db, (await readChainHead(db)).lastId);
});

afterAll(async () => {
  await browser?.close();
  await p?.close();
  await sls?.stop();
});

describe('audit records in plain language', () => {
  it('summarise a price change with product and store names and before -> after, in zh-CN and en (read from SLS)', async () => {
    const gets = sls.getRequests;
    const zh = await get('/audit?sku=6901234', 'zh-CN');
    expect(zh.status).toBe(200);
    expect(zh.text).toContain('data-testid="audit-source">SLS<');
    expect(sls.getRequests).toBeGreaterThan(gets);
    expect(summaries(zh.text).get(ids.change)).toBe('价格 3.50 -> 2.99 CNY，可乐 330ml，上海徐汇店');
    const en = await get('/audit?sku=6901234', 'en');
    expect(summaries(en.text).get(ids.change)).toBe('Price 3.50 -> 2.99 CNY, 可乐 330ml, 上海徐汇店');
    // The local store reads the same.
    const local = await get('/audit?sku=6901234&source=local', 'en');
    expect(summaries(local.text).get(ids.change)).toBe(summaries(en.text).get(ids.change));
  });

  it('shows the fields as a table with the changed ones marked, and keeps the raw record', async () => {
    const en = await get(`/audit?sku=6901234&source=local`, 'en');
    const row = new RegExp(`<tr data-id="${ids.change}">([\\s\\S]*?)</details>\\s*</details>`).exec(
      en.text,
    )?.[1];
    expect(row).toBeTruthy();
    expect(row).toContain('data-testid="field-table"');
    expect(row).toMatch(
      /<tr class="changed" data-changed="price">\s*<th scope="row">Price[\s\S]*?<td>3.50<\/td>\s*<td>2.99<\/td>/,
    );
    expect(row).not.toContain('data-changed="promoPrice"');
    expect(row).toMatch(/<th scope="row">Promo price<\/th>\s*<td>—<\/td>\s*<td>—<\/td>/);
    expect(row).toContain('data-testid="raw-json"');
    expect(row).toContain('&#34;price&#34;: &#34;2.99&#34;');
    const zh = await get(`/audit?sku=6901234&source=local`, 'zh-CN');
    expect(zh.text).toMatch(/<th scope="row">价格 <span class="visually-hidden">\(已变更\)<\/span><\/th>/);
  });

  it('has a page per record with the summary, the field table open and the raw record', async () => {
    const list = (await get('/audit?sku=6901234&source=local', 'zh-CN')).text;
    expect(list).toContain(`href="/audit/records/${ids.change}"`);
    const zh = await get(`/audit/records/${ids.change}`, 'zh-CN');
    expect(zh.status).toBe(200);
    expect(zh.text).toContain(`<h1>审计记录 #${ids.change}</h1>`);
    expect(zh.text).toContain('data-testid="summary-text">价格 3.50 -&gt; 2.99 CNY，可乐 330ml，上海徐汇店<');
    expect(zh.text).toContain('<details data-testid="record-details" open>');
    expect(zh.text).toMatch(/data-changed="price">\s*<th scope="row">价格/);
    expect(zh.text).toContain('data-testid="raw-json"');
    const missing = await get('/audit/records/999999', 'zh-CN');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('没有这条审计记录。');
    expect((await get('/audit/records/abc', 'en')).status).toBe(404);
  });

  it('reads an action it has no phrase for with the generic fallback', async () => {
    const en = summaries((await get('/audit?store=SH-XH&action=shelf.repainted', 'en')).text);
    expect(en.get(ids.unknown)).toBe('shelf.repainted on shelf aisle-7, hue blue, 上海徐汇店');
    const zh = summaries((await get('/audit?store=SH-XH&action=shelf.repainted', 'zh-CN')).text);
    expect(zh.get(ids.unknown)).toBe('shelf aisle-7：shelf.repainted，hue blue，上海徐汇店');
  });

  it('looks the names of a page of 50 records up in one query', async () => {
    const { pool, seen } = counting(p.ctx.pool);
    const svc = new AuditQueryService(pool, null);
    const page = await svc.page('local', parseFilter({ store: 'SH-XH', action: 'price.changed' }), null, 50);
    expect(page.records).toHaveLength(50);
    seen.length = 0;
    const names = await svc.names(page.records);
    expect(seen).toHaveLength(1);
    expect(names.products.size).toBe(50);
    expect(names.stores.get('SH-XH')?.name).toBe('上海徐汇店');

    const html = (await get('/audit?store=SH-XH&action=price.changed&source=local', 'en')).text;
    const s = summaries(html);
    expect(s.size).toBe(50);
    // The newest 50: the cola's change and PL1..PL49 (PL0 is on the next page).
    expect(s.get(ids.change)).toBe('Price 3.50 -> 2.99 CNY, 可乐 330ml, 上海徐汇店');
    for (let i = 1; i < 50; i++)
      expect([...s.values()]).toContain(`Price ${i}.50 -> ${i}.25 CNY, Product number ${i}, 上海徐汇店`);
  });

  it('exports summary_text in the reader language next to the unchanged columns, with the BOM', async () => {
    const res = await get('/audit/export.csv?sku=6901234&source=local', 'zh-CN');
    expect(res.status).toBe(200);
    expect(res.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.text.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe(
      'id,ts,actor,actorRole,action,objectType,objectId,refs,summary,before,after,requestId,ip,prevHash,hash,summary_text',
    );
    const change = lines.find((l) => l.startsWith(`${ids.change},`))!;
    expect(
      change.endsWith(',"价格 3.50 -> 2.99 CNY，可乐 330ml，上海徐汇店"') ||
        change.endsWith(',价格 3.50 -> 2.99 CNY，可乐 330ml，上海徐汇店'),
    ).toBe(true);
    const en = (await get('/audit/export.csv?sku=6901234&source=local', 'en')).text;
    expect(en).toContain('"Price 3.50 -> 2.99 CNY, 可乐 330ml, 上海徐汇店"');
  });

  it('never grows wider than a 390 px viewport, with long records and their details open', async () => {
    const shots = process.env.AUDIT_SHOTS_DIR;
    for (const locale of ['zh-CN', 'en']) {
      for (const width of [390, 1280]) {
        const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
        const page = await context.newPage();
        await page.goto(`${p.baseUrl}/login`);
        await page.fill('input[name=username]', 'pl-auditor');
        await page.fill('input[name=password]', PASSWORD);
        await Promise.all([page.waitForURL(`${p.baseUrl}/`), page.click('button[type=submit]')]);
        await page.goto(`${p.baseUrl}/audit?sku=6901234`);
        expect(await page.locator(`tr[data-id="${ids.long}"]`).count()).toBe(1);
        const width0 = () =>
          page.evaluate(() => ({ doc: document.documentElement.scrollWidth, view: window.innerWidth }));
        let w = await width0();
        expect(w.doc, `${locale} ${width}`).toBeLessThanOrEqual(w.view);
        await page.evaluate(() => {
          for (const d of document.querySelectorAll('details')) d.open = true;
        });
        w = await width0();
        if (process.env.AUDIT_DEBUG)
          console.log(
            await page.evaluate(() =>
              [...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 8)
                .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
            ),
          );
        expect(w.doc, `${locale} ${width} details open`).toBeLessThanOrEqual(w.view);
        if (shots) {
          await fs.mkdir(shots, { recursive: true });
          await page.screenshot({ path: path.join(shots, `audit-${locale}-${width}.png`), fullPage: true });
          await page
            .locator('.table-wrap:has([data-testid=results])')
            .screenshot({ path: path.join(shots, `audit-results-${locale}-${width}.png`) });
        }
        await page.goto(`${p.baseUrl}/audit/records/${ids.long}`);
        w = await width0();
        expect(w.doc, `${locale} ${width} record page`).toBeLessThanOrEqual(w.view);
        if (shots)
          await page.screenshot({ path: path.join(shots, `record-${locale}-${width}.png`), fullPage: true });
        await context.close();
      }
    }
  });
});

describe('summaries of other action families', () => {
  const reader = (locale: 'zh-CN' | 'en'): Reader => ({
    t: translator(locale),
    locale,
    fmtTime: (iso) => formatTime(locale, iso, 'Asia/Shanghai'),
  });
  const rec = (e: Partial<AuditRecord>): AuditRecord => ({
    id: '1',
    ts: '2026-05-05T08:00:00.000Z',
    actor: 'admin',
    actorRole: 'admin',
    action: 'x',
    objectType: 'x',
    objectId: '1',
    refs: ' ',
    summary: '',
    before: null,
    after: null,
    requestId: null,
    ip: null,
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
    ...e,
  });

  it('reads users, AP connections, labels and odd before/after values', () => {
    const user = rec({
      action: 'user.created',
      objectType: 'user',
      objectId: 'li.lei',
      after: JSON.stringify({ username: 'li.lei', role: 'auditor' }),
    });
    expect(plainRecord(user, noNames(), reader('zh-CN')).summaryText).toBe(
      '创建用户 li.lei，用户名 li.lei，角色 审计员',
    );
    expect(plainRecord(user, noNames(), reader('en')).summaryText).toBe(
      'User li.lei created, Username li.lei, Role auditor',
    );
    const ap = rec({
      action: 'ap.connected',
      objectType: 'ap',
      objectId: 'GID_S1@@@AP-1',
      refs: ' store:S1 ap:GID_S1@@@AP-1 ',
      after: JSON.stringify({
        at: '2026-05-05T08:00:00.000Z',
        ip: '10.0.0.9',
        brokerNode: 'n1',
        cleanSession: true,
      }),
    });
    const names = noNames();
    names.stores.set('S1', { name: '上海徐汇店', currency: 'CNY' });
    expect(plainRecord(ap, names, reader('en')).summaryText).toBe(
      'AP GID_S1@@@AP-1 connected, At May 05, 2026, 16:00:00 GMT+8, IP address 10.0.0.9, Broker node n1, 1 more field(s), 上海徐汇店',
    );
    const bound = rec({
      action: 'label.bound',
      objectType: 'label',
      objectId: 'ESL-1',
      refs: ' sku:A sku:B sku:C label:ESL-1 ',
      before: JSON.stringify({ productId: 3 }),
      after: JSON.stringify({ productId: 4, sku: 'A' }),
    });
    const v = plainRecord(bound, noNames(), reader('zh-CN'));
    expect(v.summaryText).toBe('绑定价签 ESL-1，商品编码 A，A、B 等 1 项');
    expect(v.fields).toEqual([
      { field: 'productId', label: '商品 ID', before: '3', after: '4', changed: true },
      { field: 'sku', label: '商品编码', before: '—', after: 'A', changed: true },
    ]);
    // A long value is cut in the line and whole in the table.
    const long = rec({
      action: 'product.updated',
      objectId: 'P1',
      after: JSON.stringify({ note: 'x'.repeat(100) }),
    });
    const lv = plainRecord(long, noNames(), reader('en'));
    expect(lv.summaryText).toBe(`Product P1 changed, Note ${'x'.repeat(59)}…`);
    expect(lv.fields[0].after).toBe('x'.repeat(100));
    // Not JSON objects: still one readable field, never a crash.
    const odd = rec({ action: 'import.applied', objectId: '9', before: '"draft"', after: 'not json' });
    expect(plainRecord(odd, noNames(), reader('en')).summaryText).toBe(
      'Price import 9 applied, value draft -> not json',
    );
  });
});
