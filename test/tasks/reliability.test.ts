// Nothing lost, nothing twice: a large task runs while the worker process is SIGKILLed and
// restarted, while the broker process restarts, and while Redis restarts. Every item must
// end in exactly one final state, and no label may be confirmed twice (the audit trail
// names each confirmation; each label must appear in exactly one).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfig } from '../../server/config.js';
import { withTx, type Pool } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import { Fleet } from '../../sim/fleet.js';
import { serverUrls, uid } from '../support/env.js';
import { deleteRedisPrefix } from '../support/scratch.js';
import { seedRegisteredStores, type SeededStore } from './support/fixtures.js';
import { migratedDatabase } from '../support/env.js';
import { freePort } from './support/mosquitto.js';
import { PrivateRedis, RoleProcess, roleEnv } from './support/processes.js';
import { execute, queryRows, querySingle } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

const GROUPS = 3;
const LABELS_PER_GROUP = 1500;

interface Rig {
  pool: Pool;
  dbUrl: string;
  redisUrl: string;
  prefix: string;
  mqttPort: number;
  broker: RoleProcess;
  worker: RoleProcess;
  fleet: Fleet;
  stores: SeededStore[];
  creator: TaskCreator;
  queue: TaskQueue;
  close(): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function rig(redisUrl: string): Promise<Rig> {
  const db = await migratedDatabase();
  const prefix = `tr${uid()}`;
  const mqttPort = await freePort();
  const env = {
    ...roleEnv({ mysqlUrl: db.url, redisUrl, prefix, mqttPort }),
    TASK_ITEMS_PER_MESSAGE: '25',
    TASK_GROUP_INFLIGHT: '2',
  };
  const config = loadConfig({ NODE_ENV: 'test', ...env });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {}); // Redis is restarted on purpose in one test
  const { stores, groups, key } = await seedRegisteredStores(db.pool, redis, config, {
    count: GROUPS,
    tag: 'r',
    products: LABELS_PER_GROUP / 3,
    labelsPerProduct: 3,
  });
  const broker = new RoleProcess('broker', { ...env, ROLES: 'broker' });
  const worker = new RoleProcess('worker', {
    ...env,
    ROLES: 'worker',
    MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
  });
  let fleet: Fleet | null = null;
  const queue = new TaskQueue(redisUrl, prefix);
  const close = async () => {
    await fleet?.stop();
    await worker.kill('SIGTERM');
    await broker.kill('SIGTERM');
    await queue.stop();
    redis.disconnect();
    await deleteRedisPrefix(redisUrl, prefix).catch(() => {});
    await db.drop();
  };
  cleanups.push(close);
  await broker.start();
  const inst = await querySingle<{ instance_id: string }>(
    db.pool,
    'SELECT instance_id FROM mqtt_instance WHERE id = 1',
  );
  await worker.start();
  fleet = new Fleet({
    url: `mqtt://127.0.0.1:${mqttPort}`,
    parentTopic: 'esl',
    groups,
    apsPerGroup: 2,
    credentials: {
      accessKeyId: key.accessKeyId,
      accessKeySecret: key.accessKeySecret,
      instanceId: inst.instance_id,
    },
    knobs: { latencyMs: 250, statusIntervalMs: 60_000, duplicateRate: 0.2 },
  });
  await fleet.start();
  const creator = new TaskCreator(db.pool, config, (id) => queue.enqueueTask(id));
  return {
    pool: db.pool,
    dbUrl: db.url,
    redisUrl,
    prefix,
    mqttPort,
    broker,
    worker,
    fleet,
    stores,
    creator,
    queue,
    close,
  };
}

type Row = Record<string, unknown>;
const q = async (r: Rig, sql: string, args: unknown[] = []) => queryRows<Row>(r.pool, sql, args);

async function startTask(r: Rig) {
  const t = await withTx(r.pool, async (c) => {
    await execute(c, 'UPDATE prices SET price = price + 1');
    return r.creator.createInTx(
      c,
      { name: 'op', role: 'operator' },
      r.stores.flatMap((s) => s.productIds.map((productId) => ({ storeId: s.storeId, productId }))),
      { source: 'ui', deadlineSeconds: 900 },
    );
  });
  await r.creator.enqueue(t!.taskId);
  expect(t!.items).toBe(GROUPS * LABELS_PER_GROUP);
  return t!.taskId;
}

const confirmed = async (r: Rig, id: string) =>
  Number(
    (await q(r, "SELECT COUNT(*) AS n FROM task_items WHERE task_id = ? AND state = 'confirmed'", [id]))[0].n,
  );

async function expectExactlyOnce(r: Rig, id: string) {
  try {
    await waitFor(
      `task ${id} completed`,
      async () => String((await q(r, 'SELECT state FROM tasks WHERE id = ?', [id]))[0].state),
      { until: (s) => s === 'completed', timeoutMs: 120_000 },
    );
  } catch (err) {
    // what the processes said is the first thing to read when this fails
    console.error(
      `broker alive=${r.broker.alive}:\n${r.broker.log.slice(-4000)}\nworker alive=${r.worker.alive}:\n${r.worker.log.slice(-4000)}`,
    );
    throw err;
  }
  const total = GROUPS * LABELS_PER_GROUP;
  expect(
    await q(r, 'SELECT state, COUNT(*) AS n FROM task_items WHERE task_id = ? GROUP BY state', [id]),
  ).toEqual([{ state: 'confirmed', n: String(total) }]);
  const audits = await q(
    r,
    "SELECT refs FROM audit_log WHERE action = 'task.items.confirmed' AND object_id = ?",
    [id],
  );
  const labels = audits.flatMap((a) => [...String(a.refs).matchAll(/label:(\S+)/g)].map((m) => m[1]));
  expect(labels.length).toBe(total);
  expect(new Set(labels).size).toBe(total);
  const wrong = await q(
    r,
    'SELECT COUNT(*) AS n FROM task_items i JOIN labels l ON l.label_id = i.label_id WHERE i.task_id = ? AND l.displayed_hash <> i.content_hash',
    [id],
  );
  expect(wrong[0].n).toBe('0');
}

describe('reliability', () => {
  it('survives SIGKILL of the worker mid-task', async () => {
    const r = await rig(serverUrls().redisUrl);
    const id = await startTask(r);
    await waitFor('some progress', () => confirmed(r, id), { until: (n) => n > 900, timeoutMs: 60_000 });
    await r.worker.kill('SIGKILL');
    const atKill = await confirmed(r, id);
    expect(atKill).toBeLessThan(GROUPS * LABELS_PER_GROUP);
    await r.worker.start();
    await expectExactlyOnce(r, id);
  }, 240_000);

  it('survives a restart of the broker process mid-task', async () => {
    const r = await rig(serverUrls().redisUrl);
    const id = await startTask(r);
    await waitFor('some progress', () => confirmed(r, id), { until: (n) => n > 900, timeoutMs: 60_000 });
    await r.broker.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 1000));
    await r.broker.start();
    await expectExactlyOnce(r, id);
  }, 240_000);

  describe('with a Redis of its own', () => {
    let redis: PrivateRedis;
    beforeAll(async () => {
      redis = new PrivateRedis(await freePort());
      await redis.start();
    });
    afterAll(async () => {
      await redis?.close();
    });

    it('survives a restart of Redis mid-task', async () => {
      const r = await rig(redis.url);
      const id = await startTask(r);
      await waitFor('some progress', () => confirmed(r, id), { until: (n) => n > 900, timeoutMs: 60_000 });
      await redis.stop();
      await new Promise((res) => setTimeout(res, 1500));
      await redis.start();
      // Both role processes ride the outage out: their Redis connections reconnect by themselves.
      expect(r.broker.alive, r.broker.label).toBe(true);
      expect(r.worker.alive, r.worker.label).toBe(true);
      await expectExactlyOnce(r, id);
    }, 240_000);
  });
});
