// The local store's answer to an auditor's filter: SQL over audit_log, newest first,
// with the same token semantics SLS applies (tokenRegex), so both stores agree.
import type { Queryable } from '../db/pool.js';
import type { AuditRecord } from './audit-chain.js';
import { rowToRecord, type AuditRow } from './audit-repo.js';
import { OBJECT_KINDS, tokenRegex, type AuditFilter } from './audit-filter.js';
import { queryRows } from '../db/query.js';

// NULL-safe: CONCAT_WS skips NULLs, and '\n' is a token delimiter, so no match spans two fields.
// The separator is a parameter so sql_mode (NO_BACKSLASH_ESCAPES) and collations cannot change it.
const TEXT_SQL =
  'CONCAT_WS(?, actor, action, object_type, object_id, refs, summary, before_json, after_json)';

export async function searchLocal(
  db: Queryable,
  f: AuditFilter,
  beforeId: string | null,
  limit: number,
): Promise<AuditRecord[]> {
  const where = ['ts >= ?', 'ts < ?'];
  const params: unknown[] = [f.from, f.to];
  if (f.actor) {
    where.push('actor REGEXP ?');
    params.push(tokenRegex(f.actor));
  }
  if (f.action) {
    where.push('action REGEXP ?');
    params.push(tokenRegex(f.action));
  }
  for (const kind of OBJECT_KINDS) {
    const v = f.objects[kind];
    if (!v) continue;
    where.push('(refs REGEXP ? OR (object_type REGEXP ? AND object_id REGEXP ?))');
    params.push(tokenRegex(`${kind}:${v}`), tokenRegex(kind), tokenRegex(v));
  }
  if (f.stores) {
    if (!f.stores.length) where.push('FALSE');
    else {
      where.push(
        `(${f.stores.map(() => 'refs REGEXP ?').join(' OR ')} OR (object_type = 'store' AND object_id IN (?)))`,
      );
      params.push(...f.stores.map((c) => tokenRegex(`store:${c}`)), f.stores);
    }
  }
  if (f.text) {
    where.push(`${TEXT_SQL} REGEXP ?`);
    params.push('\n', tokenRegex(f.text));
  }
  if (beforeId) {
    where.push('id < ?');
    params.push(beforeId);
  }
  params.push(limit);
  const rows = await queryRows<AuditRow>(
    db,
    `SELECT * FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
    params,
  );
  return rows.map(rowToRecord);
}
