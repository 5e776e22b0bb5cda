// The tamper check: walks the stored records of a range in id order, recomputes each
// hash with chainHash and names the first record that breaks the chain. Edited fields
// break that record's hash; a re-hashed edit breaks the next record's link; a deleted
// row is a missing id; rows cut off the end disagree with audit_chain_head.
import { ValidationError } from '../core/errors.js';
import type { Queryable } from '../db/pool.js';
import { chainHash, GENESIS_HASH } from './audit-chain.js';
import { readAuditAfter, readChainHead } from './audit-repo.js';

export const MAX_CHECK = 500_000;
const CHUNK = 1000;

export interface ChainBreak {
  id: string;
  reason: string;
}

export interface ChainCheck {
  fromId: string;
  toId: string;
  checked: number;
  firstBreak: ChainBreak | null;
}

/** Checks records fromId..toId (toId defaults to the newest record). */
export async function verifyChain(db: Queryable, fromId: string, toId?: string): Promise<ChainCheck> {
  const head = await readChainHead(db);
  const from = BigInt(fromId);
  const to = toId === undefined ? BigInt(head.lastId) : BigInt(toId);
  const result = (checked: number, firstBreak: ChainBreak | null): ChainCheck => ({
    fromId: from.toString(),
    toId: to.toString(),
    checked,
    firstBreak,
  });
  if (from < 1n) throw new ValidationError('The range starts at record 1.', { fromId: 'at least 1' });
  if (toId !== undefined && to < from)
    throw new ValidationError('The range ends before it starts.', { toId: 'must not be below the first id' });
  if (from > BigInt(head.lastId)) {
    return result(0, { id: from.toString(), reason: `no such record: the newest is #${head.lastId}` });
  }
  if (to - from + 1n > BigInt(MAX_CHECK))
    throw new ValidationError(`Check at most ${MAX_CHECK} records at a time.`, { toId: 'range too large' });

  let prevHash = GENESIS_HASH;
  if (from > 1n) {
    const [before] = await readAuditAfter(db, (from - 2n).toString(), 1);
    if (!before || BigInt(before.id) !== from - 1n)
      return result(0, { id: (from - 1n).toString(), reason: 'the record before the range is missing' });
    prevHash = before.hash;
  }

  let expected = from;
  let checked = 0;
  const last = to < BigInt(head.lastId) ? to : BigInt(head.lastId);
  while (expected <= last) {
    const rows = await readAuditAfter(db, (expected - 1n).toString(), CHUNK, last.toString());
    if (rows.length === 0) break;
    for (const r of rows) {
      if (BigInt(r.id) !== expected)
        return result(checked, { id: expected.toString(), reason: `record #${expected} is missing` });
      if (r.prevHash !== prevHash) {
        return result(checked, {
          id: r.id,
          reason: `its link (prev_hash) does not match the hash of record #${expected - 1n}`,
        });
      }
      if (chainHash(r.prevHash, r) !== r.hash)
        return result(checked, {
          id: r.id,
          reason: 'its contents changed after it was written (hash mismatch)',
        });
      prevHash = r.hash;
      checked++;
      expected++;
    }
  }
  if (expected <= last)
    return result(checked, { id: expected.toString(), reason: `record #${expected} is missing` });
  // The head records the newest hash; a range reaching it also proves nothing was cut off or re-hashed at the end.
  if (last === BigInt(head.lastId) && prevHash !== head.lastHash && checked > 0) {
    return result(checked, {
      id: head.lastId,
      reason: 'the newest record does not match the chain head (audit_chain_head)',
    });
  }
  return result(checked, null);
}
