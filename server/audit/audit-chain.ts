import crypto from 'node:crypto';

export { SYSTEM_ACTOR, type Actor } from '../core/identity.js';

/** One audit event as a caller describes it. */
export interface AuditEvent {
  action: string;
  objectType: string;
  objectId: string;
  /** Searchable references, e.g. { sku: '690...', store: 'S001', task: '12', label: ['ESL-1'] } */
  refs?: Record<string, string | number | (string | number)[] | null | undefined>;
  summary?: string;
  before?: unknown;
  after?: unknown;
}

/** A stored record: what the chain hashes, and what SLS and the auditor UI see. */
export interface AuditRecord {
  id: string;
  ts: string;
  actor: string;
  actorRole: string;
  action: string;
  objectType: string;
  objectId: string;
  refs: string;
  summary: string;
  before: string | null;
  after: string | null;
  requestId: string | null;
  ip: string | null;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** refs as space-delimited key:value tokens, so `refs LIKE '% sku:X %'` and SLS full-text both find them. */
export function formatRefs(refs: AuditEvent['refs']): string {
  if (!refs) return '';
  const tokens: string[] = [];
  for (const [k, v] of Object.entries(refs)) {
    if (v === null || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) tokens.push(`${k}:${String(one).replace(/\s+/g, '_')}`);
  }
  const s = tokens.join(' ');
  return s ? ` ${s} ` : '';
}

/** The fields chainHash covers, in its order: every column of a record but its own hashes. */
export const HASHED_FIELDS = [
  'id',
  'ts',
  'actor',
  'actorRole',
  'action',
  'objectType',
  'objectId',
  'refs',
  'summary',
  'before',
  'after',
  'requestId',
  'ip',
] as const;

/** sha256 over prevHash and the record's fields in a fixed order; any edit of a stored row changes it. */
export function chainHash(prevHash: string, r: Omit<AuditRecord, 'prevHash' | 'hash'>): string {
  const h = crypto.createHash('sha256').update(prevHash);
  for (const f of HASHED_FIELDS) {
    const v = r[f];
    h.update('\u001f').update(v === null ? '\u0000' : String(v));
  }
  return h.digest('hex');
}
