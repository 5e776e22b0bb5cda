// Reads a CSV price list: the bytes are decoded (UTF-8 with or without BOM, UTF-16 with BOM,
// else GB18030, which covers GBK as Excel on Chinese Windows saves it), the header's columns
// are matched in English or Chinese (商品编码, 门店, 价格, 促销价, ...), and the whole text goes
// to csv-parse, so a quoted field may span lines and line numbers are csv-parse's own. A quote
// that breaks a record is reported at the record's first line; parsing resumes on the line after
// it, so the rows below are still checked. Problems carry a code and values for the reader's
// language, and an English message.
import iconv from 'iconv-lite';
import { parse } from 'csv-parse/sync';
import type { RawEntry } from './price-input.js';

export const COLUMNS = [
  'sku',
  'store',
  'price',
  'promo_price',
  'promo_from',
  'promo_to',
  'effective_at',
  'urgent',
] as const;
export type Column = (typeof COLUMNS)[number];
const REQUIRED: Column[] = ['sku', 'store', 'price'];
export const MAX_ROWS = 5000;

/** Header names accepted for each column (compared after normalising: NFKC, lower case, blanks and dashes as _). */
export const ALIASES: Record<Column, string[]> = {
  sku: ['sku', '商品编码', '商品代码', '商品编号', '货号', 'sku编码'],
  store: ['store', 'store_code', '门店', '门店编码', '门店代码', '门店编号', '店铺', '店铺编码'],
  price: ['price', '价格', '售价', '零售价'],
  promo_price: ['promo_price', 'promotion_price', '促销价', '促销价格'],
  promo_from: ['promo_from', 'promotion_from', '促销开始', '促销开始时间'],
  promo_to: ['promo_to', 'promotion_to', '促销结束', '促销结束时间'],
  effective_at: ['effective_at', '生效时间', '生效于'],
  urgent: ['urgent', '紧急', '加急'],
};

/** The header of the downloadable template in each language. */
export const TEMPLATE_HEADERS: Record<'en' | 'zh-CN', string[]> = {
  en: [...COLUMNS],
  'zh-CN': ['商品编码', '门店编码', '价格', '促销价', '促销开始', '促销结束', '生效时间', '紧急'],
};

export const normaliseHeader = (h: string) =>
  h
    .normalize('NFKC')
    .trim()
    .toLowerCase()
    .replace(/[\s\-_]+/g, '_');

const BY_ALIAS = new Map<string, Column>(
  COLUMNS.flatMap((c) => ALIASES[c].map((a) => [normaliseHeader(a), c] as [string, Column])),
);

export interface LineError {
  line: number;
  /** English, for logs and callers without a catalogue. */
  message: string;
  /** Catalogue key under import.err. and its values, for the page in the reader's language. */
  code?: string;
  params?: Record<string, string | number>;
}

export interface ParsedCsv {
  rows: { line: number; entry: RawEntry }[];
  errors: LineError[];
  /** Column -> its header as written in the file. */
  written: Partial<Record<Column, string>>;
}

export type Decoded = { text: string; encoding: string } | { error: LineError };

const problem = (line: number, code: string, message: string, params?: LineError['params']): LineError => ({
  line,
  code,
  message,
  ...(params ? { params } : {}),
});

/** Decodes an uploaded file's bytes, or says why it cannot be read as text. */
export function decodeCsv(bytes: Buffer): Decoded {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x504b0304)
    return {
      error: problem(
        0,
        'workbook',
        'this is a spreadsheet workbook (.xlsx), not a CSV file: save it as "CSV UTF-8" and upload that',
      ),
    };
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: iconv.decode(bytes, 'utf-16le'), encoding: 'UTF-16LE' };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: iconv.decode(bytes, 'utf-16be'), encoding: 'UTF-16BE' };
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  let text: string | null = null;
  let encoding = bom ? 'UTF-8 (BOM)' : 'UTF-8';
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    if (!bom) {
      const gb = iconv.decode(bytes, 'gb18030');
      if (!gb.includes('\uFFFD')) {
        text = gb;
        encoding = 'GB18030';
      }
    }
  }
  if (text === null)
    return {
      error: problem(
        0,
        bom ? 'encodingBom' : 'encoding',
        bom
          ? 'the file says it is UTF-8 but contains bytes that are not UTF-8; save it again as "CSV UTF-8"'
          : 'the file could not be decoded as UTF-8 or GB18030/GBK; save it as "CSV UTF-8" and upload it again',
      ),
    };
  if (text.includes('\u0000'))
    return {
      error: problem(0, 'binary', 'the file is not a text file (it contains NUL bytes); upload a CSV file'),
    };
  return { text, encoding };
}

interface Rec {
  cells: string[];
  line: number;
}

/** csv-parse over text[from..]; a record broken by its quotes becomes an error, and reading resumes on its next line. */
/** Broken records reported before reading stops (each costs a new pass over the rest of the file). */
export const MAX_BROKEN_RECORDS = 100;

function records(lines: string[], errors: LineError[]): Rec[] {
  const out: Rec[] = [];
  // One string, and where each line starts in it: a pass reads a slice, not a new copy.
  const text = lines.join('\n');
  const starts: number[] = [];
  for (let i = 0, at = 0; i < lines.length; at += lines[i].length + 1, i++) starts.push(at);
  let broken = 0;
  let from = 0; // index into lines of the first line of this pass
  while (from < lines.length) {
    let lastEnd = from; // lines consumed, as an index, by the records read so far in this pass
    const pass: Rec[] = [];
    const startOf = (endLine: number) => {
      let s = lastEnd;
      while (s < endLine - 1 && lines[s].trim() === '') s++;
      return s + 1;
    };
    try {
      parse(text.slice(starts[from]), {
        relax_column_count: true,
        trim: true,
        skip_empty_lines: true,
        skip_records_with_empty_values: true,
        on_record: (record: string[], info) => {
          const end = from + info.lines;
          pass.push({ cells: record, line: startOf(end) });
          lastEnd = end;
          return null;
        },
      });
      out.push(...pass);
      break;
    } catch (err) {
      out.push(...pass);
      const code = String((err as { code?: string }).code ?? '');
      let s = lastEnd;
      while (s < lines.length - 1 && lines[s].trim() === '') s++;
      const line = s + 1;
      if (code === 'CSV_QUOTE_NOT_CLOSED')
        errors.push(
          problem(line, 'quoteNotClosed', 'broken quoting: a quote opened in this record is never closed'),
        );
      else if (code.includes('QUOTE'))
        errors.push(
          problem(line, 'quote', 'broken quoting (a quote is not closed, or text follows a closing quote)'),
        );
      else errors.push(problem(line, 'invalid', 'not valid CSV'));
      if (++broken >= MAX_BROKEN_RECORDS && line < lines.length) {
        errors.push(
          problem(line, 'tooBroken', `${broken} broken records: the lines after this one were not checked`, {
            count: broken,
          }),
        );
        break;
      }
      from = line; // the next pass starts on the line after the broken record's first line
    }
  }
  return out;
}

export function parseCsv(input: string): ParsedCsv {
  const lines = input.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const errors: LineError[] = [];
  const rows: ParsedCsv['rows'] = [];
  const written: ParsedCsv['written'] = {};
  const all = records(lines, errors);
  const head = all.shift();
  if (!head) {
    if (!errors.length) errors.push(problem(1, 'empty', 'the file is empty'));
    return { rows, errors, written };
  }
  if (errors.length && errors[0].line <= head.line) {
    errors[0] = problem(errors[0].line, 'header', 'the header line is not valid CSV');
    return { rows, errors: [errors[0]], written };
  }
  const header = head.cells.map((h) => BY_ALIAS.get(normaliseHeader(h)) ?? null);
  const unknown = head.cells.filter((_h, i) => header[i] === null);
  const missing = REQUIRED.filter((c) => !header.includes(c));
  const dup = head.cells.filter((_h, i) => header[i] !== null && header.indexOf(header[i]) !== i);
  if (unknown.length || missing.length || dup.length) {
    const quote = (l: string[]) => l.map((u) => JSON.stringify(u.slice(0, 40))).join(', ');
    const params = {
      missing: missing.join(', '),
      unknown: quote(unknown),
      repeated: quote(dup),
      expected: COLUMNS.join(','),
      expectedZh: TEMPLATE_HEADERS['zh-CN'].join(','),
    };
    const why = [
      missing.length ? `missing column(s) ${params.missing}` : '',
      unknown.length ? `unknown column(s) ${params.unknown}` : '',
      dup.length ? `repeated column(s) ${params.repeated}` : '',
    ].filter(Boolean);
    const semicolons = head.cells.length === 1 && /[;\t]/.test(head.cells[0]);
    if (semicolons) why.unshift('separate the columns with commas');
    return {
      rows,
      errors: [
        {
          line: head.line,
          code: 'badHeader',
          params: {
            ...params,
            parts: [
              semicolons ? 'commas' : '',
              missing.length ? 'missing' : '',
              unknown.length ? 'unknown' : '',
              dup.length ? 'repeated' : '',
            ]
              .filter(Boolean)
              .join(','),
          },
          message: `header: ${why.join('; ')}. Expected: ${COLUMNS.join(',')} (the first three required; urgent: yes/no, goes during quiet hours)`,
        },
      ],
      written,
    };
  }
  header.forEach((c, i) => {
    if (c) written[c] = head.cells[i];
  });
  for (const r of all) {
    if (r.cells.length !== header.length) {
      errors.push(
        problem(r.line, 'columns', `wrong number of columns: ${r.cells.length} instead of ${header.length}`, {
          got: r.cells.length,
          want: header.length,
        }),
      );
      continue;
    }
    const get = (c: Column) => (header.includes(c) ? r.cells[header.indexOf(c)] : '');
    rows.push({
      line: r.line,
      entry: {
        sku: get('sku'),
        store: get('store'),
        price: get('price'),
        promoPrice: get('promo_price'),
        promoFrom: get('promo_from'),
        promoTo: get('promo_to'),
        effectiveAt: get('effective_at'),
        urgent: get('urgent'),
      },
    });
  }
  if (rows.length + errors.length === 0)
    errors.push(problem(head.line, 'noRows', 'the file has a header but no rows'));
  if (rows.length > MAX_ROWS)
    errors.push(
      problem(rows[MAX_ROWS].line, 'tooMany', `too many rows: at most ${MAX_ROWS} per file`, {
        max: MAX_ROWS,
      }),
    );
  errors.sort((a, b) => a.line - b.line);
  return { rows, errors, written };
}
