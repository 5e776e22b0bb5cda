// The rendering pages in both languages, checked the way test/i18n/pages.test.ts checks the
// others: <html lang>, the navigation (with its templates entry) in that language, no catalogue
// key left on the page, no English phrase of the catalogue on a Chinese page and no Chinese on an
// English one (the products here have Latin names). Flash messages follow the page's language.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingKeys } from '../../server/i18n/i18n.js';
import { navFor } from '../../server/web/nav.js';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  q,
  setPrice,
  signedIn,
  startCatalogPlatform,
} from '../catalog/support/fixtures.js';
import { englishPhrases, ui, visibleText } from '../support/catalogue.js';
import { waitFor } from '../support/wait.js';

let p: TestPlatform;
let admin: WebClient;
let templateId = 0;
let taskId = '';
let productId = 0;

beforeAll(async () => {
  p = await startCatalogPlatform({ RENDER_INTERVAL_MS: '100', RENDER_ALL_TASKS: 'true' });
  admin = await signedIn(p, 'admin');
  const store = await makeStore(p, admin, 'T1');
  productId = await makeProduct(admin, 'I18N-1', 'Sparkling Water 500ml');
  await makeLabels(admin, store, 'I18N-1', ['TL-1']);
  expect((await setPrice(admin, productId, { price: '2.50', stores: store.code })).status).toBe(302);
  const [task] = await q<{ id: string }>(p, 'SELECT MAX(task_id) AS id FROM task_items');
  taskId = String(task.id);
  await waitFor('the task rendered', () =>
    q(p, "SELECT 1 FROM render_task_progress WHERE task_id = ? AND state = 'done'", [taskId]).then(
      (r) => r.length > 0,
    ),
  );
  const editor = await admin.get('/render/templates/new?model=bwr-290');
  const body = /<textarea[^>]*>([\s\S]*?)<\/textarea>/
    .exec(editor.text)![1]
    .replace(/&#34;/g, '"')
    .replace(/&amp;/g, '&');
  const saved = await admin.post(
    '/render/templates',
    { model: 'bwr-290', name: 'Shelf default', body },
    '/render/templates/new?model=bwr-290',
  );
  expect(saved.status, saved.text.slice(0, 300)).toBe(302);
  templateId = Number(/\/render\/templates\/(\d+)/.exec(saved.location!)![1]);
  const assigned = await admin.post(
    '/render/assignments',
    { model: 'bwr-290', store: '0', category: '', templateId: String(templateId) },
    '/render/templates',
  );
  expect(assigned.status).toBe(302);
});
afterAll(async () => {
  await p?.close();
});

const pages = () => [
  '/render/templates',
  '/render/templates/new?model=bwr-290',
  `/render/templates/${templateId}`,
  '/catalog/labels/TL-1',
  `/render/tasks/${taskId}`,
];

function checkPage(html: string, where: string, locale: 'en' | 'zh-CN') {
  expect(html, where).toContain(`<html lang="${locale}">`);
  for (const item of navFor('admin'))
    expect(html, `${where}: nav ${item.label}`).toContain(`>${ui[locale].get(item.label)}</a>`);
  const text = visibleText(html);
  for (const key of ui.en.keys()) expect(text, `${where}: key ${key} left`).not.toContain(key);
  if (locale === 'zh-CN') {
    expect(text, where).toMatch(/[\u4e00-\u9fff]/);
    for (const phrase of englishPhrases) expect(text, `${where}: English "${phrase}"`).not.toContain(phrase);
  } else {
    expect(text.match(/[\u4e00-\u9fff]+/g) ?? [], where).toEqual([]);
  }
}

describe('rendering pages in the reader language', () => {
  for (const [locale, header] of [
    ['zh-CN', 'zh-CN,zh;q=0.9'],
    ['en', 'en-US,en;q=0.9'],
  ] as const) {
    it(`serves the template, label and task image pages in ${locale}`, async () => {
      for (const path of pages()) {
        const r = await admin.request('GET', path, { headers: { 'accept-language': header } });
        expect(r.status, path).toBe(200);
        checkPage(r.text, `${path} (${locale})`, locale);
      }
      expect(missingKeys()).toEqual([]);
    });
  }

  it('translates the template pages’ own words and the flash after a save', async () => {
    const zh = { headers: { 'accept-language': 'zh-CN' } };
    const list = await admin.request('GET', '/render/templates', zh);
    expect(list.text).toContain('价签型号');
    expect(list.text).toContain('Shelf default');
    const editor = await admin.request('GET', `/render/templates/${templateId}`, zh);
    expect(editor.text).toContain('data-rendering="正在绘制…"');
    expect(editor.text).toContain('商品名称（中文或任何文字）');
    const page = await admin.request('GET', `/render/templates/${templateId}`, zh);
    const body = /<textarea[^>]*>([\s\S]*?)<\/textarea>/
      .exec(page.text)![1]
      .replace(/&#34;/g, '"')
      .replace(/&amp;/g, '&');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1];
    const saved = await admin.request('POST', `/render/templates/${templateId}`, {
      form: { _csrf: csrf, model: 'bwr-290', name: 'Shelf default', body },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(saved.status).toBe(302);
    const after = await admin.request('GET', saved.location!, zh);
    expect(after.text).toContain('模板已保存。');
    // A template that cannot be saved: the page's words in Chinese, nothing saved.
    const bad = await admin.request('POST', `/render/templates/${templateId}`, {
      form: { _csrf: csrf, model: 'bwr-290', name: 'Shelf default', body: '{"elements": [' },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('未保存任何内容。');
    expect(bad.text).toContain('该模板不是有效的 JSON。');
  });
});
