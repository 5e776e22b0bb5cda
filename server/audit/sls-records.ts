// How an audit record looks in SLS: one log per record, every field a string key, the
// log's time the record's second. SLS has no null, so the names of null fields travel in
// `nullFields`; with that the stored record (and its hash) can be rebuilt exactly.
import { HASHED_FIELDS, type AuditRecord } from './audit-chain.js';

/** Every column of a record: the hashed fields, then the two hashes. */
export const RECORD_FIELDS = [
  ...HASHED_FIELDS,
  'prevHash',
  'hash',
] as const satisfies readonly (keyof AuditRecord)[];

const NULLABLE = new Set<keyof AuditRecord>(['before', 'after', 'requestId', 'ip']);

export interface SlsLogEntry {
  timestamp: number;
  content: Record<string, string>;
}

export function recordToLog(r: AuditRecord): SlsLogEntry {
  const content: Record<string, string> = {};
  const nulls: string[] = [];
  for (const f of RECORD_FIELDS) {
    const v = r[f];
    if (v === null) nulls.push(f);
    content[f] = v ?? '';
  }
  content.nullFields = nulls.join(',');
  return { timestamp: Math.floor(Date.parse(r.ts) / 1000), content };
}

export class MalformedLogError extends Error {
  override name = 'MalformedLogError';
}

/** Rebuilds a record from a GetLogs row; refuses rows that are not audit records. */
export function logToRecord(row: Record<string, unknown>): AuditRecord {
  const str = (k: string) => (typeof row[k] === 'string' ? (row[k] as string) : '');
  if (!/^\d+$/.test(str('id')) || !/^[0-9a-f]{64}$/.test(str('hash'))) {
    throw new MalformedLogError(
      `SLS returned a log that is not an audit record (id ${JSON.stringify(str('id')).slice(0, 40)})`,
    );
  }
  const nulls = new Set(str('nullFields').split(',').filter(Boolean));
  const rec = {} as Record<keyof AuditRecord, string | null>;
  for (const f of RECORD_FIELDS) rec[f] = NULLABLE.has(f) && nulls.has(f) ? null : str(f);
  return rec as unknown as AuditRecord;
}
