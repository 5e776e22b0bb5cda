// The other alert rules over the real pipeline: simulated APs report battery and fail items,
// a price changed without a task leaves labels showing the old one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import { SimAp } from '../../sim/sim-ap.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { WebClient } from '../support/web-client.js';
import { seedStore, type SeededStore } from '../pipeline/support/fixtures.js';

let f: BrokerFixture;
let admin: WebClient;
let queue: TaskQueue;
const aps: SimAp[] = [];

beforeAll(async () => {
  f = await startBroker({ ALERTS_EVALUATE_SECONDS: '0.5' });
  queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
  admin = new WebClient(f.platform.baseUrl);
  await admin.login('admin', f.platform.adminPassword);
});
afterAll(async () => {
  await Promise.all(aps.map((a) => a.stop()));
  await queue?.stop();
  await f?.close();
});

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) =>
  ((await f.platform.ctx.pool.query(sql, args)) as unknown as [Row[]])[0];
const active = (kind: string) =>
  q(
    "SELECT subject, state FROM alerts WHERE kind = ? AND state IN ('open', 'acknowledged') ORDER BY subject",
    [kind],
  );
const setRule = async (kind: string, threshold: number, enabled = true) =>
  expect(
    (
      await admin.post(
        `/alerts/rules/${kind}`,
        enabled ? { threshold: String(threshold), enabled: '1' } : { threshold: String(threshold) },
        '/alerts',
      )
    ).status,
  ).toBe(302);

/** A store with its own Group ID and one simulated AP serving its labels. */
async function storeWithAp(products: number, knobs: { failureRate?: number } = {}) {
  const g = await f.newGroup();
  const s = await seedStore(f.platform.ctx.pool, { products, labelsPerProduct: 1, groupId: g.groupId });
  const clientId = `${g.groupId}@@@AP0`;
  const ap = new SimAp({
    url: f.url(),
    clientId,
    parentTopic: f.parent,
    labels: s.labelIds,
    statusIntervalMs: 1000,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
    ...knobs,
  });
  await ap.start();
  aps.push(ap);
  const [store] = await q('SELECT code FROM stores WHERE id = ?', [s.storeId]);
  return { ...s, code: String(store.code) };
}

async function changePrices(s: SeededStore, price: string) {
  const creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
  const t = await withTx(f.platform.ctx.pool, async (c) => {
    await c.query('UPDATE prices SET price = ? WHERE store_id = ?', [price, s.storeId]);
    return creator.createInTx(
      c,
      { name: 'op', role: 'operator' },
      s.productIds.map((productId) => ({ storeId: s.storeId, productId })),
      { source: 'ui' },
    );
  });
  await creator.enqueue(t!.taskId);
  return t!.taskId;
}

describe('alert rules', () => {
  it('opens a low-battery alert per label below the threshold, and resolves them when it is lowered', async () => {
    const s = await storeWithAp(3);
    await expect
      .poll(async () => (await q('SELECT COUNT(*) AS n FROM labels WHERE battery_mv IS NOT NULL'))[0].n)
      .toBe('3');
    // the simulator reports 2900-2999 mV
    await setRule('label_battery_low', 3000);
    await expect
      .poll(async () => (await active('label_battery_low')).map((a) => a.subject))
      .toEqual([...s.labelIds].sort());
    await setRule('label_battery_low', 2000);
    await expect.poll(async () => (await active('label_battery_low')).length).toBe(0);
  });

  it('opens a failure-rate alert when most items of the last hour failed', async () => {
    const s = await storeWithAp(12, { failureRate: 1 });
    await setRule('failure_rate', 20);
    await changePrices(s, '4.40');
    await expect.poll(async () => (await active('failure_rate')).map((a) => a.subject)).toEqual(['platform']);
    const [a] = await q("SELECT message FROM alerts WHERE kind = 'failure_rate' AND state = 'open'");
    expect(a.message).toMatch(/^100\.0 % of the \d+ items finished in the last hour failed \(above 20 %\)$/);
    // raising the threshold past the rate clears it
    await setRule('failure_rate', 100);
    await expect.poll(async () => (await active('failure_rate')).length).toBe(0);
  });

  it('opens a mismatch alert for a store whose labels show an old price past the threshold, and resolves it once they are updated', async () => {
    const s = await storeWithAp(2);
    await setRule('mismatch_old', 0.05); // 3 s
    const first = await changePrices(s, '2.00');
    await expect
      .poll(async () => (await q('SELECT state FROM tasks WHERE id = ?', [first]))[0].state)
      .toBe('completed');
    expect(await active('mismatch_old')).toEqual([]);

    // the price changes without a task: the labels still show 2.00
    await f.platform.ctx.pool.query("UPDATE prices SET price = '2.50' WHERE store_id = ?", [s.storeId]);
    await expect
      .poll(async () => await active('mismatch_old'))
      .toEqual([{ subject: `store:${s.code}`, state: 'open' }]);
    const [a] = await q(
      "SELECT since, opened_at, message FROM alerts WHERE kind = 'mismatch_old' AND state = 'open'",
    );
    expect((a.opened_at as Date).getTime() - (a.since as Date).getTime()).toBeGreaterThanOrEqual(3000);
    expect(a.message).toBe(`2 label(s) of store ${s.code} show another price than the one in force`);

    const second = await changePrices(s, '2.50');
    await expect
      .poll(async () => (await q('SELECT state FROM tasks WHERE id = ?', [second]))[0].state)
      .toBe('completed');
    await expect.poll(async () => (await active('mismatch_old')).length).toBe(0);
  });

  it('warns that a running task will miss its deadline while its labels have no AP online, and clears when the AP returns', async () => {
    const s = await storeWithAp(2);
    const ap = aps[aps.length - 1];
    await setRule('task_deadline', 0.05); // blocked for 3 s
    await ap.stop();
    await expect
      .poll(async () => (await q('SELECT online FROM aps WHERE client_id = ?', [ap.opts.clientId]))[0].online)
      .toBe(0);
    const task = await changePrices(s, '3.30');
    await expect
      .poll(async () => await active('task_deadline'))
      .toEqual([{ subject: `task:${task}`, state: 'open' }]);
    const [a] = await q(
      "SELECT since, opened_at, message FROM alerts WHERE kind = 'task_deadline' AND state = 'open'",
    );
    expect((a.opened_at as Date).getTime() - (a.since as Date).getTime()).toBeGreaterThanOrEqual(3000);
    expect(a.message).toContain(`Task ${task} will miss its deadline`);
    expect(a.message).toContain(`2 label(s) wait for ${s.groupId}, with no AP online`);

    await ap.start();
    await expect
      .poll(async () => (await q('SELECT state FROM tasks WHERE id = ?', [task]))[0].state)
      .toBe('completed');
    await expect.poll(async () => (await active('task_deadline')).length).toBe(0);
    expect(
      await q("SELECT actor FROM audit_log WHERE action = 'alert.resolved' AND refs LIKE ?", [
        `%task:${task} %`,
      ]),
    ).toEqual([{ actor: 'system' }]);
  });
});
