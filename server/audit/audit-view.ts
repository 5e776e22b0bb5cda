// A record as the auditor page shows it: ref tokens become links back into the trail,
// a task record links to its task page (the contract with the tasks pages: /tasks/<id>), and
// the record reads in plain language (audit-plain.ts).
import type { AuditRecord } from './audit-chain.js';
import { OBJECT_KINDS } from './audit-filter.js';
import type { Names } from './audit-names-repo.js';
import { plainRecord, type PlainRecord, type Reader } from './audit-plain.js';

export interface RecordView extends AuditRecord, PlainRecord {
  /** The record as stored, before/after unfolded when they are JSON, for the raw view. */
  rawJson: string;
  objectHref: string | null;
  refLinks: { text: string; href: string | null }[];
}

const KINDS = new Set<string>(OBJECT_KINDS);

const unfold = (json: string | null): unknown => {
  if (json === null) return null;
  try {
    return JSON.parse(json);
  } catch {
    return json;
  }
};

export function toView(r: AuditRecord, names: Names, reader: Reader): RecordView {
  const refLinks = r.refs
    .trim()
    .split(' ')
    .filter(Boolean)
    .map((token) => {
      const i = token.indexOf(':');
      const kind = token.slice(0, i);
      return {
        text: token,
        href:
          i > 0 && KINDS.has(kind) ? `/audit?${new URLSearchParams({ [kind]: token.slice(i + 1) })}` : null,
      };
    });
  return {
    ...r,
    ...plainRecord(r, names, reader),
    rawJson: JSON.stringify({ ...r, before: unfold(r.before), after: unfold(r.after) }, null, 2),
    objectHref: r.objectType === 'task' ? `/tasks/${encodeURIComponent(r.objectId)}` : null,
    refLinks,
  };
}
