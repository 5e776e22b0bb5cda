// A record as the auditor page shows it: ref tokens become links back into the trail,
// a task record links to its task page (the contract with the tasks pages: /tasks/<id>).
import type { AuditRecord } from './audit-chain.js';
import { OBJECT_KINDS } from './audit-filter.js';

export interface RecordView extends AuditRecord {
  objectHref: string | null;
  refLinks: { text: string; href: string | null }[];
}

const KINDS = new Set<string>(OBJECT_KINDS);

export function toView(r: AuditRecord): RecordView {
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
    objectHref: r.objectType === 'task' ? `/tasks/${encodeURIComponent(r.objectId)}` : null,
    refLinks,
  };
}
