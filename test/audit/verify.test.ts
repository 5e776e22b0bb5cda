// The chain check against rows edited, re-hashed and deleted directly in MySQL, as an
// insider with database access would: each kind of tampering is named at its record.
import mysql from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chainHash } from '../../server/audit/audit-chain.js';
import { readAuditAfter } from '../../server/audit/audit-repo.js';
import { verifyChain } from '../../server/audit/audit-verify.js';
import { addRecords } from './support/audit-env.js';
import { migratedDatabase } from '../support/env.js';
import { execute } from '../../server/db/query.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let sql: mysql.Connection;
beforeEach(async () => {
  db = await migratedDatabase();
  await addRecords(db.pool, 12);
  // A separate connection, as someone editing the table by hand would have.
  sql = await mysql.createConnection({ uri: db.url, timezone: 'Z' });
});
afterEach(async () => {
  await sql.end();
  await db.drop();
});

describe('audit chain check', () => {
  it('passes an untouched trail, whole or in part', async () => {
    expect(await verifyChain(db.pool, '1')).toEqual({
      fromId: '1',
      toId: '12',
      checked: 12,
      firstBreak: null,
    });
    expect(await verifyChain(db.pool, '5', '8')).toEqual({
      fromId: '5',
      toId: '8',
      checked: 4,
      firstBreak: null,
    });
  });

  it('names the record whose contents were edited in MySQL', async () => {
    await execute(sql, 'UPDATE audit_log SET after_json = \'{"price":"0.01"}\' WHERE id = 7');
    const check = await verifyChain(db.pool, '1');
    expect(check.firstBreak).toEqual({
      id: '7',
      reason: 'its contents changed after it was written (hash mismatch)',
    });
    expect(check.checked).toBe(6);
    // A range that ends before the edit is still intact; one that covers it is not.
    expect((await verifyChain(db.pool, '1', '6')).firstBreak).toBeNull();
    expect((await verifyChain(db.pool, '7', '7')).firstBreak?.id).toBe('7');
  });

  it('names the next record when the edited one was re-hashed to hide the edit', async () => {
    const [r] = await readAuditAfter(db.pool, '4', 1);
    const forged = { ...r, actor: 'mallory' };
    await execute(sql, 'UPDATE audit_log SET actor = ?, hash = ? WHERE id = 5', [
      'mallory',
      chainHash(r.prevHash, forged),
    ]);
    expect((await verifyChain(db.pool, '1')).firstBreak).toEqual({
      id: '6',
      reason: 'its link (prev_hash) does not match the hash of record #5',
    });
  });

  it('names a deleted record, and records cut off the end', async () => {
    await execute(sql, 'DELETE FROM audit_log WHERE id = 3');
    expect((await verifyChain(db.pool, '1')).firstBreak).toEqual({ id: '3', reason: 'record #3 is missing' });
    expect((await verifyChain(db.pool, '4')).firstBreak).toEqual({
      id: '3',
      reason: 'the record before the range is missing',
    });
    await execute(sql, 'DELETE FROM audit_log WHERE id >= 11');
    expect((await verifyChain(db.pool, '5')).firstBreak).toEqual({
      id: '11',
      reason: 'record #11 is missing',
    });
  });

  it('refuses a range it cannot check', async () => {
    await expect(verifyChain(db.pool, '9', '3')).rejects.toThrow(/ends before it starts/);
    expect((await verifyChain(db.pool, '40')).firstBreak?.reason).toMatch(/newest is #12/);
  });
});
