// The outside anchor of the chain: someone with write access to MySQL can rewrite every
// record from some point on, re-hash them all and fix audit_chain_head, and the local
// check passes. The copies already in SLS were written before; comparing them field by
// field, id by id, names the first record whose stored form differs from what was shipped.
import type { Queryable } from '../db/pool.js';
import type { AuditRecord } from './audit-chain.js';
import { readAuditAfter } from './audit-repo.js';
import type { ChainBreak } from './audit-verify.js';
import type { SlsAuditClient } from './sls-client.js';
import { logToRecord, RECORD_FIELDS } from './sls-records.js';

const CHUNK = 500;
const EARLIEST = new Date(Date.UTC(2000, 0, 1));

export interface SlsComparison {
  fromId: string;
  toId: string;
  compared: number;
  firstMismatch: ChainBreak | null;
}

async function slsRange(
  client: SlsAuditClient,
  from: bigint,
  to: bigint,
): Promise<Map<string, AuditRecord[]>> {
  const byId = new Map<string, AuditRecord[]>();
  const until = new Date(Date.now() + 86_400_000);
  let next = from;
  while (next <= to) {
    const rows = await client.query(
      `id >= ${next} and id <= ${to} | select * order by id asc limit ${CHUNK}`,
      EARLIEST,
      until,
    );
    for (const r of rows.map(logToRecord)) byId.set(r.id, [...(byId.get(r.id) ?? []), r]);
    if (rows.length < CHUNK) break;
    // Duplicates may straddle the chunk's end; asking again from the last id keeps them together.
    const last = BigInt(logToRecord(rows[rows.length - 1]).id);
    next = last === next ? last + 1n : last;
  }
  return byId;
}

/** Compares records fromId..toId (only ever shipped ones) with their copies in SLS. */
export async function compareWithSls(
  db: Queryable,
  client: SlsAuditClient,
  fromId: string,
  toId: string,
): Promise<SlsComparison> {
  const from = BigInt(fromId);
  const to = BigInt(toId);
  const result = (compared: number, firstMismatch: ChainBreak | null) => ({
    fromId,
    toId,
    compared,
    firstMismatch,
  });
  if (to < from) return result(0, null);
  const copies = await slsRange(client, from, to);
  let compared = 0;
  let cursor = from - 1n;
  while (cursor < to) {
    const rows = await readAuditAfter(db, cursor.toString(), CHUNK, to.toString());
    if (rows.length === 0) break;
    for (const r of rows) {
      const seen = copies.get(r.id) ?? [];
      if (seen.length === 0)
        return result(compared, { id: r.id, reason: 'it was shipped but SLS has no copy of it' });
      const field = seen.map((c) => RECORD_FIELDS.find((f) => c[f] !== r[f])).find(Boolean);
      if (field) return result(compared, { id: r.id, reason: `it differs from its copy in SLS (${field})` });
      compared++;
    }
    cursor = BigInt(rows[rows.length - 1].id);
  }
  return result(compared, null);
}
