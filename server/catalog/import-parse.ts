// Reads a CSV price list one physical line at a time, so every problem is pinned to its
// line and one broken quote cannot swallow the rows after it. The price of that choice:
// a quoted field cannot span lines, which a price list never needs.
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
] as const;
const REQUIRED = ['sku', 'store', 'price'];
export const MAX_ROWS = 5000;

export interface LineError {
  line: number;
  message: string;
}

export interface ParsedCsv {
  rows: { line: number; entry: RawEntry }[];
  errors: LineError[];
}

function parseLine(text: string): string[] {
  const [rec] = parse(text, { relax_column_count: true, trim: true, skip_empty_lines: false }) as string[][];
  return rec ?? [];
}

export function parseCsv(text: string): ParsedCsv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const errors: LineError[] = [];
  const rows: ParsedCsv['rows'] = [];
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) return { rows, errors: [{ line: 1, message: 'the file is empty' }] };
  let header: string[];
  try {
    header = parseLine(lines[headerAt]).map((h) => h.toLowerCase());
  } catch {
    return { rows, errors: [{ line: headerAt + 1, message: 'the header line is not valid CSV' }] };
  }
  const unknown = header.filter((h) => !(COLUMNS as readonly string[]).includes(h));
  const missing = REQUIRED.filter((h) => !header.includes(h));
  const dup = header.filter((h, i) => header.indexOf(h) !== i);
  if (unknown.length || missing.length || dup.length) {
    const why = [
      missing.length ? `missing column(s) ${missing.join(', ')}` : '',
      unknown.length
        ? `unknown column(s) ${unknown.map((u) => JSON.stringify(u.slice(0, 40))).join(', ')}`
        : '',
      dup.length ? `repeated column(s) ${dup.join(', ')}` : '',
    ].filter(Boolean);
    if (header.length === 1 && /[;\t]/.test(header[0])) why.unshift('separate the columns with commas');
    return {
      rows,
      errors: [
        {
          line: headerAt + 1,
          message: `header: ${why.join('; ')}. Expected: ${COLUMNS.join(',')} (the first three required)`,
        },
      ],
    };
  }
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = i + 1;
    if (lines[i].trim() === '') continue;
    let cells: string[];
    try {
      cells = parseLine(lines[i]);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      errors.push({
        line,
        message: code.includes('QUOTE')
          ? 'broken quoting (a quote is not closed, or text follows a closing quote)'
          : 'not valid CSV',
      });
      continue;
    }
    if (cells.length !== header.length) {
      errors.push({ line, message: `wrong number of columns: ${cells.length} instead of ${header.length}` });
      continue;
    }
    const get = (c: string) => (header.includes(c) ? cells[header.indexOf(c)] : '');
    rows.push({
      line,
      entry: {
        sku: get('sku'),
        store: get('store'),
        price: get('price'),
        promoPrice: get('promo_price'),
        promoFrom: get('promo_from'),
        promoTo: get('promo_to'),
        effectiveAt: get('effective_at'),
      },
    });
  }
  if (rows.length + errors.length === 0)
    errors.push({ line: headerAt + 1, message: 'the file has a header but no rows' });
  if (rows.length > MAX_ROWS)
    errors.push({ line: rows[MAX_ROWS].line, message: `too many rows: at most ${MAX_ROWS} per file` });
  return { rows, errors };
}
