// The auditor's filter as an SLS query: a search statement with the same conditions the
// local store applies, then `| select * order by id desc limit n` so pages follow record
// ids (GetLogs alone orders by the second a log carries, which ties within a second).
// Requires the logstore index described in README.md (id as long; text fields analysed).
import type { AuditRecord } from './audit-chain.js';
import { OBJECT_KINDS, TEXT_FIELDS, slsPhrase, type AuditFilter } from './audit-filter.js';
import type { SlsAuditClient } from './sls-client.js';
import { logToRecord } from './sls-records.js';

export function slsQuery(f: AuditFilter, beforeId: string | null, limit: number): string {
  const parts: string[] = [];
  if (f.actor) parts.push(`actor: ${slsPhrase(f.actor)}`);
  if (f.action) parts.push(`action: ${slsPhrase(f.action)}`);
  for (const kind of OBJECT_KINDS) {
    const v = f.objects[kind];
    if (v)
      parts.push(
        `(refs: ${slsPhrase(`${kind}:${v}`)} or (objectType: ${slsPhrase(kind)} and objectId: ${slsPhrase(v)}))`,
      );
  }
  if (f.stores)
    parts.push(
      f.stores.length
        ? `(${f.stores
            .map(
              (c) =>
                `refs: ${slsPhrase(`store:${c}`)} or (objectType: "store" and objectId: ${slsPhrase(c)})`,
            )
            .join(' or ')})`
        : 'not *',
    );
  if (f.text) parts.push(`(${TEXT_FIELDS.map((k) => `${k}: ${slsPhrase(f.text!)}`).join(' or ')})`);
  if (beforeId) parts.push(`id < ${BigInt(beforeId).toString()}`);
  return `${parts.length ? parts.join(' and ') : '*'} | select * order by id desc limit ${limit}`;
}

export async function searchSls(
  client: SlsAuditClient,
  f: AuditFilter,
  beforeId: string | null,
  limit: number,
): Promise<AuditRecord[]> {
  const rows = await client.query(slsQuery(f, beforeId, limit), f.from, f.to);
  return rows.map(logToRecord);
}
