// The shipper against the fake SLS through the real SDK: order, outages of both kinds,
// replies lost after SLS stored a batch, a process killed mid-batch, one shipper at a time.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditShipper } from '../../server/audit/audit-shipper.js';
import { readShipStatus } from '../../server/audit/audit-ship-repo.js';
import type { SlsAuditClient } from '../../server/audit/sls-client.js';
import { PROJECT_ROOT } from '../../server/config.js';
import { createLogger } from '../../server/core/logger.js';
import type { Pool } from '../../server/db/pool.js';
import type { FakeSlsServer } from '../support/sls-server.js';
import { addRecords, shippedUpTo, slsClientFor, startFakeSls } from './support/audit-env.js';
import { migratedDatabase } from '../support/env.js';
import { waitFor } from '../support/wait.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let pool: Pool;
let sls: FakeSlsServer;
let client: SlsAuditClient;
const shippers: AuditShipper[] = [];

beforeEach(async () => {
  db = await migratedDatabase();
  pool = db.pool;
  sls = await startFakeSls();
  client = slsClientFor(sls);
});
afterEach(async () => {
  for (const s of shippers.splice(0)) await s.stop();
  client.close();
  await sls.stop();
  await db.drop();
});

const shipper = (opts: Partial<ConstructorParameters<typeof AuditShipper>[3]> = {}, sink = client) => {
  const s = new AuditShipper(pool, sink, createLogger('silent'), {
    batch: 10,
    intervalMs: 20,
    backoffMaxMs: 200,
    ...opts,
  });
  shippers.push(s);
  return s;
};

async function drain(s: AuditShipper) {
  for (;;) {
    const r = await s.shipOnce();
    if (r.kind !== 'shipped') return r;
  }
}

const ids = () => sls.values('id');
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('audit shipper', () => {
  it('ships every record once, in id order, each log carrying its record id and hash', async () => {
    const recs = await addRecords(pool, 25);
    expect(await drain(shipper())).toEqual({ kind: 'idle' });
    expect(ids()).toEqual(range(1, 25));
    expect(sls.putRequests).toBe(3);
    expect(sls.values('hash')).toEqual(recs.map((r) => r.hash));
    expect(sls.logs[24].contents).toMatchObject({
      action: 'price.changed',
      refs: ' sku:6924 store:S001 task:24 ',
      after: '{"price":"24.99"}',
      actor: 'alice',
    });
    expect((await readShipStatus(pool)).shippedId).toBe('25');
    expect(sls.refused).toEqual([]);
  });

  it('cuts a batch short when its records are large, and still ships them all in order', async () => {
    const big = 'x'.repeat(1500);
    await addRecords(pool, 5, (i) => ({
      action: 'import.finished',
      objectType: 'import',
      objectId: String(i),
      after: { rows: big },
    }));
    await drain(shipper({ batch: 10, maxBatchBytes: 4500 }));
    expect(sls.putRequests).toBe(3);
    expect(ids()).toEqual(range(1, 5));
    expect(sls.logs[4].contents.after).toBe(JSON.stringify({ rows: big }));
  });

  it('loses nothing while SLS is down, backs off (capped), and ships it all when SLS is back', async () => {
    await addRecords(pool, 5);
    await sls.down();
    const s = shipper({ batch: 4, intervalMs: 10, backoffMaxMs: 80 });
    await expect(s.shipOnce()).rejects.toThrow(/ECONNREFUSED/);
    const st = await readShipStatus(pool);
    expect(st.shippedId).toBe('0');
    expect(st.lastError).toMatch(/ECONNREFUSED/);
    expect([1, 2, 3, 4, 5, 9].map((n) => s.backoffMs(n))).toEqual([10, 20, 40, 80, 80, 80]);

    await s.start();
    await waitFor('several failed attempts', async () => s.failures >= 4);
    await addRecords(pool, 6); // written during the outage
    await sls.up();
    await shippedUpTo(pool, '11');
    expect(ids()).toEqual(range(1, 11));
    expect((await readShipStatus(pool)).lastError).toBeNull();
  });

  it.each(['error', 'bad-gateway', 'empty-503'] as const)(
    'treats an SLS answering %s as a failure, not a delivery',
    async (fault) => {
      await addRecords(pool, 3);
      sls.fault = fault;
      const s = shipper();
      await expect(s.shipOnce()).rejects.toThrow(
        fault === 'error' ? /told to fail/ : fault === 'bad-gateway' ? /HTTP 502/ : /HTTP 503/,
      );
      expect((await readShipStatus(pool)).shippedId).toBe('0');
      sls.fault = 'none';
      await drain(s);
      expect(ids()).toEqual(range(1, 3));
    },
  );

  it('sends a batch again when the reply was lost after SLS stored it: duplicates carry the same id and hash, no gap', async () => {
    await addRecords(pool, 7);
    sls.fault = 'drop-after-store';
    const s = shipper({ batch: 4 });
    await expect(s.shipOnce()).rejects.toThrow();
    expect((await readShipStatus(pool)).shippedId).toBe('0');
    sls.fault = 'none';
    await drain(s);
    expect(ids()).toEqual([...range(1, 4), ...range(1, 7)]);
    const byId = new Map<string, Set<string>>();
    for (const l of sls.logs)
      byId.set(l.contents.id, (byId.get(l.contents.id) ?? new Set()).add(l.contents.hash));
    expect([...byId.values()].every((h) => h.size === 1)).toBe(true);
  });

  it('leaves no gap when the shipping process is killed between PutLogs and the commit', async () => {
    await addRecords(pool, 9);
    sls.fault = 'hang-after-store';
    const stored = new Promise<void>((resolve) => (sls.onPut = () => resolve()));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/audit/support/ship-child.ts')],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          AUDIT_TEST_MYSQL_URL: db.url,
          AUDIT_TEST_SLS: JSON.stringify({ endpoint: sls.endpoint, ...sls.opts }),
          AUDIT_TEST_BATCH: '4',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal ? -1 : _code)),
    );
    await Promise.race([stored, exited.then(() => Promise.reject(new Error(`child exited early: ${out}`)))]);
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);
    expect(ids()).toEqual(range(1, 4)); // SLS has the batch ...
    expect((await readShipStatus(pool)).shippedId).toBe('0'); // ... the bookmark never moved

    sls.fault = 'none';
    const s = shipper({ batch: 4 });
    // MySQL drops the killed connection's lock when it notices; until then the row is busy.
    await waitFor("the killed shipper's lock to go", async () => (await s.shipOnce()).kind !== 'busy');
    await drain(s);
    expect(ids()).toEqual([...range(1, 4), ...range(1, 9)]);
    expect(new Set(ids())).toEqual(new Set(range(1, 9)));
  });

  it('stops while SLS sits on a PutLogs, without moving the bookmark; the batch goes again on the next start', async () => {
    await addRecords(pool, 3);
    sls.fault = 'hang-after-store';
    const slow = slsClientFor(sls, 60_000);
    const s = shipper({ stopGraceMs: 50 }, slow);
    const stored = new Promise<void>((resolve) => (sls.onPut = () => resolve()));
    await s.start();
    await stored;
    await s.stop(); // would wait out the 60 s read timeout without the cut
    slow.close();
    expect((await readShipStatus(pool)).shippedId).toBe('0');
    sls.fault = 'none';
    await drain(shipper());
    expect(ids()).toEqual([...range(1, 3), ...range(1, 3)]);
  });

  it('lets one shipper ship at a time across connections: a second one skips while the first holds the batch', async () => {
    await addRecords(pool, 6);
    sls.holdReplies = true;
    const a = shipper({ batch: 3 });
    const b = shipper({ batch: 3 });
    const first = a.shipOnce();
    await waitFor('the first PutLogs', async () => sls.putRequests === 1);
    expect(await b.shipOnce()).toEqual({ kind: 'busy' });
    sls.releaseReplies();
    expect(await first).toEqual({ kind: 'shipped', count: 3, lastId: '3' });
    await Promise.all([a.start(), b.start()]);
    await shippedUpTo(pool, '6');
    await addRecords(pool, 20);
    await shippedUpTo(pool, '26');
    expect(ids()).toEqual(range(1, 26));
  });
});
