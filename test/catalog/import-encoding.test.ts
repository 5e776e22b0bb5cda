// Chinese CSV files: GBK (what Excel on Chinese Windows saves), UTF-8 with and without BOM,
// Chinese column headers, problems naming the column as the file writes it, files that cannot
// be decoded, quoted fields across lines, and the templates in both languages.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../server/catalog/import-parse.js';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import { makeLabels, makeProduct, makeStore, signedIn, startCatalogPlatform } from './support/fixtures.js';

let p: TestPlatform;
let op: WebClient;

beforeAll(async () => {
  p = await startCatalogPlatform();
  const admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  const sh = await makeStore(p, admin, 'SH1');
  const bj = await makeStore(p, admin, 'BJ1');
  await makeProduct(op, 'GB-1', '可乐 330ml');
  await makeProduct(op, 'GB-2', '雪碧 500ml');
  await makeLabels(op, sh, 'GB-1', ['GS-1', 'GS-2']);
  await makeLabels(op, bj, 'GB-1', ['GB-L1']);
  await makeLabels(op, bj, 'GB-2', ['GB-L2']);
});
afterAll(async () => {
  await p?.close();
});

const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const CHINESE = [
  '商品编码,门店编码,价格,促销价,促销结束',
  `GB-1,SH1,3.50,2.99,${inAWeek}`,
  'GB-1,BJ1,3.60,,',
  '"GB-2",BJ1,"4.00",,',
  '',
].join('\r\n');

const asFile = (bytes: Buffer, fileName: string, lang = 'en') =>
  op.request('POST', '/catalog/imports', {
    form: { _csrf: op.lastCsrf, fileData: bytes.toString('base64url'), fileName, csv: '' },
    headers: { 'accept-language': lang },
  });

async function upload(bytes: Buffer, fileName: string, lang = 'en') {
  await op.get('/catalog/imports');
  return asFile(bytes, fileName, lang);
}

/** The preview without what differs per upload (id, file name, hash, upload time). */
function previewOf(html: string) {
  const part = (re: RegExp) => re.exec(html)?.[0];
  return {
    state: part(/<p data-testid="import-state">[\s\S]*?<\/p>/),
    labels: part(/<strong data-testid="import-labels">[\s\S]*?<\/strong>/),
    stores: part(/<table[^>]*data-testid="import-stores">[\s\S]*?<\/table>/),
    samples: part(/<table[^>]*data-testid="import-samples">[\s\S]*?<\/table>/),
  };
}

const problems = (html: string) =>
  [...html.matchAll(/<tr data-line="(\d+)"><td>[^<]*<\/td><td>([^<]*)<\/td>/g)].map(
    (m) => [Number(m[1]), m[2].replace(/&#34;|&quot;/g, '"').replace(/&#39;/g, "'")] as const,
  );

describe('CSV files from Chinese spreadsheets', () => {
  it('imports a GBK file with Chinese headers with the same preview as its UTF-8 twin (and with a BOM)', async () => {
    const gbk = iconv.encode(CHINESE, 'gbk');
    expect(gbk.equals(Buffer.from(CHINESE, 'utf8'))).toBe(false); // really another encoding
    const previews = [];
    for (const [bytes, name] of [
      [Buffer.from(CHINESE, 'utf8'), 'utf8.csv'],
      [gbk, 'gbk.csv'],
      [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CHINESE, 'utf8')]), 'bom.csv'],
      [iconv.encode(CHINESE, 'gb18030'), 'gb18030.csv'],
    ] as const) {
      const r = await upload(bytes, name);
      expect(r.status, `${name}: ${problems(r.text).join(' | ')}`).toBe(302);
      const page = await op.get(r.location!);
      expect(page.text).toContain(`Import ${name}`);
      expect(/data-testid="import-encoding">([^<]*)</.exec(page.text)?.[1]).toBe(
        `The file was read as ${{ 'utf8.csv': 'UTF-8', 'gbk.csv': 'GB18030', 'bom.csv': 'UTF-8 (BOM)', 'gb18030.csv': 'GB18030' }[name]}.`,
      );
      previews.push(previewOf(page.text));
    }
    expect(previews[0].state).toContain('<strong>3</strong> row(s), all valid');
    expect(previews[0].stores).toMatch(/data-store="SH1"><td>SH1<\/td><td>1<\/td><td>2<\/td>/);
    expect(previews[0].stores).toMatch(/data-store="BJ1"><td>BJ1<\/td><td>2<\/td><td>2<\/td>/);
    expect(previews[0].samples).toContain('data-price="2.99"');
    for (const other of previews.slice(1)) expect(other).toEqual(previews[0]);
  });

  it('names the column as the file writes it, in the reader language', async () => {
    const bad = iconv.encode('商品编码,门店,售价\r\nGB-1,SH1,1.234\r\nGB-9,SH1,1.00\r\n', 'gbk');
    const en = await upload(bad, 'bad.csv', 'en');
    expect(en.status).toBe(400);
    expect(problems(en.text)).toEqual([
      [2, '售价: "1.234" has more than 2 decimals'],
      [3, '商品编码: unknown SKU "GB-9"'],
    ]);
    const zh = await upload(bad, 'bad.csv', 'zh-CN');
    expect(zh.text).toContain('文件未导入：发现 2 个问题。未做任何更改。');
    expect(problems(zh.text)).toEqual([
      [2, '售价: “1.234” 超过 2 位小数'],
      [3, '商品编码: 未知的 SKU “GB-9”'],
    ]);
    const header = await upload(
      iconv.encode('商品编码,店名,价格\r\nGB-1,SH1,1.00\r\n', 'gbk'),
      'h.csv',
      'zh-CN',
    );
    expect(problems(header.text)[0][1]).toContain('缺少列 store');
    expect(problems(header.text)[0][1]).toContain('无法识别的列 "店名"');
  });

  it('says when a file cannot be decoded, or is no CSV at all, and keeps nothing', async () => {
    const before = await p.ctx.pool.query('SELECT COUNT(*) AS n FROM price_imports');
    // 0x81 0x20 is neither UTF-8 nor GB18030.
    const garbage = Buffer.concat([Buffer.from('sku,store,price\r\nGB-1,SH1,'), Buffer.from([0x81, 0x20])]);
    const en = await upload(garbage, 'x.csv', 'en');
    expect(en.status).toBe(400);
    expect(problems(en.text)[0][1]).toContain('could not be decoded as UTF-8 or GB18030/GBK');
    const zh = await upload(garbage, 'x.csv', 'zh-CN');
    expect(problems(zh.text)[0][1]).toContain('无法按 UTF-8 或 GB18030/GBK 解码此文件');
    const bomButGbk = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), iconv.encode(CHINESE, 'gbk')]);
    expect(problems((await upload(bomButGbk, 'y.csv')).text)[0][1]).toContain('says it is UTF-8');
    const xlsx = Buffer.from('504b0304140006000800000021', 'hex');
    expect(problems((await upload(xlsx, 'z.xlsx')).text)[0][1]).toContain('workbook (.xlsx)');
    expect(await p.ctx.pool.query('SELECT COUNT(*) AS n FROM price_imports')).toEqual(before);
  });

  it('reads quoted fields across lines with csv-parse line numbers', async () => {
    const csv = 'sku,store,price\n"GB\n-1",SH1,1.00\nGB-2,ZZ9,1.00\n';
    const r = await upload(Buffer.from(csv), 'multi.csv');
    expect(problems(r.text)).toEqual([
      [2, 'sku: unknown SKU "GB\n-1"'],
      [4, 'store: unknown store "ZZ9"'],
    ]);
  });

  it('stops after 100 broken records, saying the rest was not checked', () => {
    const r = parseCsv(`sku,store,price\n${'A,"B"x,1\n'.repeat(300)}`);
    expect(r.errors).toHaveLength(101);
    expect(r.errors.at(-1)).toMatchObject({ line: 101, code: 'tooBroken' });
  });

  it('offers a template in each language, UTF-8 with BOM, whose header the import accepts', async () => {
    for (const [lang, head] of [
      ['zh-CN', '商品编码,门店编码,价格,促销价,促销开始,促销结束,生效时间,紧急'],
      ['en', 'sku,store,price,promo_price,promo_from,promo_to,effective_at,urgent'],
    ] as const) {
      const t = await op.request('GET', `/catalog/imports/template.csv?lang=${lang}`);
      expect(t.status).toBe(200);
      expect(t.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(t.headers.get('content-disposition')).toContain(`price-import-template-${lang}.csv`);
      expect(t.bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(t.text.startsWith(`${head}\r\n`)).toBe(true);
      const parsed = parseCsv(t.text);
      expect(parsed.errors).toEqual([]);
      expect(parsed.rows).toHaveLength(1);
    }
    const page = await op.request('GET', '/catalog/imports', { headers: { 'accept-language': 'zh-CN' } });
    expect(page.text).toContain('href="/catalog/imports/template.csv?lang=zh-CN"');
  });
});
