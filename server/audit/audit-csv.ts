// Audit records as CSV (RFC 4180, CRLF, UTF-8 with BOM so Excel opens Chinese text correctly). A cell that a spreadsheet would run as a formula
// (=, +, -, @ first, perhaps after blanks, or a leading tab/CR) gets a leading apostrophe:
// evidence exports are opened in Excel, and a record's text comes from users and devices.
import type { AuditRecord } from './audit-chain.js';
import { RECORD_FIELDS } from './sls-records.js';

/** The record's fields, then its summary in the reader's language (a view; not part of the record). */
export const CSV_COLUMNS = [...RECORD_FIELDS, 'summary_text'] as const;

export function csvCell(v: string | null | undefined): string {
  let s = v ?? '';
  if (/^\s*[=+\-@]/.test(s) || /^[\t\r]/.test(s)) s = `'${s}`;
  if (/[",\r\n]/.test(s) || s !== s.trim()) s = `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** UTF-8's byte order mark: without it Excel reads a CSV in the system's code page (GBK on Chinese Windows). */
export const CSV_BOM = '\uFEFF';

export const csvHeader = () => `${CSV_COLUMNS.join(',')}\r\n`;

export const csvRow = (r: AuditRecord, summaryText: string) =>
  `${[...RECORD_FIELDS.map((c) => csvCell(r[c])), csvCell(summaryText)].join(',')}\r\n`;

/** The last row of an export that hit the cap, so a cut-off file cannot pass for a complete one. */
export const csvTruncatedRow = (max: number) =>
  `${CSV_COLUMNS.map((c) => (c === 'summary' ? csvCell(`TRUNCATED: more than ${max} records match; narrow the query`) : '')).join(',')}\r\n`;
