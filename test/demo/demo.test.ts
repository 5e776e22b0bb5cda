// The demo fleet of the embedded default: seeded once, simulated APs on the platform's own
// broker, each with its own device credential; a price change on the demo store confirms on every label.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTx } from '../../server/db/pool.js';
import { DemoFleet, DEMO_GROUP_ID } from '../../server/demo/demo-fleet.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { execute, queryRows } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let queue: TaskQueue;
beforeAll(async () => {
  f = await startBroker({ DEMO_APS: '2', DEMO_LABELS_PER_AP: '15' });
  queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.stop();
  await f?.close();
});

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) => queryRows<Row>(f.platform.ctx.pool, sql, args);

describe('demo fleet', () => {
  it('seeds the demo store once and confirms a price change on all its labels', async () => {
    const demo = new DemoFleet(f.platform.ctx, f.registry, () => f.broker);
    await demo.start();
    const [store] = await q("SELECT id, name FROM stores WHERE code = 'DEMO'");
    expect(store.name).toContain('simulated');
    expect(await q('SELECT COUNT(*) AS n FROM labels WHERE group_id = ?', [DEMO_GROUP_ID])).toEqual([
      { n: '30' },
    ]);
    await waitFor(
      'demo APs reported',
      () => q('SELECT client_id FROM aps WHERE group_id = ? ORDER BY client_id', [DEMO_GROUP_ID]),
      { until: (r) => r.length === 2 },
    );
    expect(
      (await q('SELECT client_id FROM aps WHERE group_id = ? ORDER BY client_id', [DEMO_GROUP_ID])).map(
        (r) => r.client_id,
      ),
    ).toEqual([`${DEMO_GROUP_ID}@@@SIMULATED-AP-0`, `${DEMO_GROUP_ID}@@@SIMULATED-AP-1`]);

    const creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
    const [p] = await q('SELECT p.product_id AS pid FROM prices p WHERE p.store_id = ? LIMIT 1', [store.id]);
    const t = await withTx(f.platform.ctx.pool, async (c) => {
      await execute(c, "UPDATE prices SET price = '2.99' WHERE store_id = ? AND product_id = ?", [
        store.id,
        p.pid,
      ]);
      return creator.createInTx(
        c,
        { name: 'op', role: 'operator' },
        [{ storeId: Number(store.id), productId: Number(p.pid) }],
        { source: 'ui' },
      );
    });
    await creator.enqueue(t!.taskId);
    await waitFor('demo task completed', () => q('SELECT state FROM tasks WHERE id = ?', [t!.taskId]), {
      until: (r) => r[0].state === 'completed',
    });
    expect(t!.items).toBeGreaterThan(0);
    await demo.stop();
    // Their disconnects recorded first, so that "back online" below is the second start's doing.
    await waitFor(
      'demo APs offline',
      () => q('SELECT online FROM aps WHERE group_id = ? AND online = 1', [DEMO_GROUP_ID]),
      { until: (r) => r.length === 0 },
    );

    // every simulated AP logged in with its own device credential
    const creds = await q(
      'SELECT client_id, device_access_key_id AS id FROM mqtt_device_credentials WHERE revoked_at IS NULL ORDER BY client_id',
    );
    expect(creds.map((c) => c.client_id)).toEqual([
      `${DEMO_GROUP_ID}@@@SIMULATED-AP-0`,
      `${DEMO_GROUP_ID}@@@SIMULATED-AP-1`,
    ]);
    expect(
      await q("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'mqtt.device_credential.issued'"),
    ).toEqual([{ n: '2' }]);

    // a second start finds the store, and rotates the same credentials (a secret is shown only once)
    const again = new DemoFleet(f.platform.ctx, f.registry, () => f.broker);
    await again.start();
    expect(await q("SELECT COUNT(*) AS n FROM stores WHERE code = 'DEMO'")).toEqual([{ n: '1' }]);
    expect(
      await q(
        'SELECT client_id, device_access_key_id AS id FROM mqtt_device_credentials WHERE revoked_at IS NULL ORDER BY client_id',
      ),
    ).toEqual(creds);
    expect(
      await q("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'mqtt.device_credential.rotated'"),
    ).toEqual([{ n: '2' }]);
    await waitFor(
      'demo APs back online with rotated secrets',
      () => q('SELECT online FROM aps WHERE group_id = ? AND online = 1', [DEMO_GROUP_ID]),
      { until: (r) => r.length === 2 },
    );
    await again.stop();
  });
});
