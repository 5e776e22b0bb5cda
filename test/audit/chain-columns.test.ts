// Every hashed column of a stored audit record, edited by hand in MySQL, one at a time: the
// local chain check names the edited record, and the comparison with the copies already
// shipped to SLS names the edited field.
import mysql from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HASHED_FIELDS } from '../../server/audit/audit-chain.js';
import { AuditShipper } from '../../server/audit/audit-shipper.js';
import { compareWithSls } from '../../server/audit/audit-sls-compare.js';
import { verifyChain } from '../../server/audit/audit-verify.js';
import type { SlsAuditClient } from '../../server/audit/sls-client.js';
import { createLogger } from '../../server/core/logger.js';
import { execute } from '../../server/db/query.js';
import { migratedDatabase } from '../support/env.js';
import type { FakeSlsServer } from '../support/sls-server.js';
import { addRecords, slsClientFor, startFakeSls } from './support/audit-env.js';

type HashedField = (typeof HASHED_FIELDS)[number];

/** Per hashed field: its column and a value different from what addRecords wrote into record #7. */
const EDITS: Record<HashedField, { column: string; value: unknown }> = {
  id: { column: 'id', value: 1000 },
  ts: { column: 'ts', value: new Date('2001-02-03T04:05:06.789Z') },
  actor: { column: 'actor', value: 'mallory' },
  actorRole: { column: 'actor_role', value: 'admin' },
  action: { column: 'action', value: 'price.reverted' },
  objectType: { column: 'object_type', value: 'product' },
  objectId: { column: 'object_id', value: '70' },
  refs: { column: 'refs', value: ' sku:000 store:S001 task:7 ' },
  summary: { column: 'summary', value: 'nothing happened' },
  before: { column: 'before_json', value: '{"price":"9.99"}' }, // was NULL
  after: { column: 'after_json', value: '{"price":"0.01"}' },
  requestId: { column: 'request_id', value: null }, // was 'req-0001'
  ip: { column: 'ip', value: '10.6.6.6' },
};

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let sls: FakeSlsServer;
let client: SlsAuditClient;
let sql: mysql.Connection;

beforeEach(async () => {
  db = await migratedDatabase();
  sls = await startFakeSls();
  client = slsClientFor(sls);
  await addRecords(db.pool, 12);
  const shipper = new AuditShipper(db.pool, client, createLogger('silent'), {
    batch: 50,
    intervalMs: 20,
    backoffMaxMs: 200,
  });
  while ((await shipper.shipOnce()).kind === 'shipped');
  expect(sls.values('id')).toHaveLength(12);
  // A separate connection, as someone editing the table by hand would have.
  sql = await mysql.createConnection({ uri: db.url, timezone: 'Z' });
});
afterEach(async () => {
  await sql?.end();
  client?.close();
  await sls?.stop();
  await db?.drop();
});

describe('audit chain check, column by column', () => {
  it('has an edit for every field the chain hashes', () => {
    expect(Object.keys(EDITS).sort()).toEqual([...HASHED_FIELDS].sort());
  });

  it('passes the untouched trail, locally and against SLS', async () => {
    expect((await verifyChain(db.pool, '1')).firstBreak).toBeNull();
    expect((await compareWithSls(db.pool, client, '1', '12')).firstMismatch).toBeNull();
  });

  it.each(HASHED_FIELDS.filter((f) => f !== 'id'))(
    'names the record whose %s was edited, and SLS names the field',
    async (field) => {
      const { column, value } = EDITS[field];
      const res = await execute(sql, `UPDATE audit_log SET \`${column}\` = ? WHERE id = 7`, [value]);
      expect(res.changedRows).toBe(1);
      expect((await verifyChain(db.pool, '1')).firstBreak).toEqual({
        id: '7',
        reason: 'its contents changed after it was written (hash mismatch)',
      });
      expect((await compareWithSls(db.pool, client, '1', '12')).firstMismatch).toEqual({
        id: '7',
        reason: `it differs from its copy in SLS (${field})`,
      });
    },
  );

  it('names the record whose id was changed as missing', async () => {
    const res = await execute(sql, 'UPDATE audit_log SET id = ? WHERE id = 7', [EDITS.id.value]);
    expect(res.changedRows).toBe(1);
    expect((await verifyChain(db.pool, '1')).firstBreak).toEqual({ id: '7', reason: 'record #7 is missing' });
  });
});
