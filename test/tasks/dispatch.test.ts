// Price changes flow end to end through the worker side of the pipeline over real MQTT
// (mosquitto), real MariaDB and Redis: dispatch per Group ID, acks, retries, deadlines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { withTx } from '../../server/db/pool.js';
import { countInflightMessages } from '../../server/tasks/dispatch-repo.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { seedStore, type SeededStore } from './support/fixtures.js';
import { startFleet } from './support/fleet.js';
import { startHarness, type Harness } from './support/harness.js';
import { Mosquitto, mqttDownlink, uplinkBridge } from './support/mosquitto.js';
import { execute, queryRows } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

const actor = { name: 'op1', role: 'operator' as const };
let h: Harness<Awaited<ReturnType<typeof mqttDownlink>>>;
let broker: Mosquitto;
let closers: (() => Promise<unknown>)[] = [];
const fleets: SimAp[] = [];

beforeAll(async () => {
  broker = new Mosquitto();
  await broker.start();
  h = await startHarness(
    {
      TASK_ITEMS_PER_MESSAGE: '10',
      TASK_GROUP_INFLIGHT: '3',
      TASK_RETRY_BASE_MS: '300',
    },
    (prefix) => mqttDownlink(broker.url, `platform-${prefix}`),
  );
  const bridge = await uplinkBridge(broker.url, h.ctx.redisUrl, h.prefix);
  closers = [() => h.downlink.close(), () => bridge.close()];
});
afterAll(async () => {
  await Promise.all(fleets.map((a) => a.stop()));
  for (const c of closers) await c();
  await h?.close();
  await broker?.close();
});

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) => queryRows<Row>(h.ctx.pool, sql, args);
const counts = async (taskId: string) =>
  Object.fromEntries(
    (await q('SELECT state, COUNT(*) AS n FROM task_items WHERE task_id = ? GROUP BY state', [taskId])).map(
      (r) => [r.state, Number(r.n)],
    ),
  );

async function change(
  store: SeededStore | SeededStore[],
  opts: { deadlineSeconds?: number; enqueue?: boolean } = {},
) {
  const stores = Array.isArray(store) ? store : [store];
  const t = await withTx(h.ctx.pool, async (c) => {
    for (const s of stores)
      await execute(c, 'UPDATE prices SET price = price + 1 WHERE store_id = ?', [s.storeId]);
    return h.creator.createInTx(
      c,
      actor,
      stores.flatMap((s) => s.productIds.map((productId) => ({ storeId: s.storeId, productId }))),
      { source: 'ui', deadlineSeconds: opts.deadlineSeconds },
    );
  });
  if (opts.enqueue !== false) await h.creator.enqueue(t!.taskId);
  return t!;
}

const taskState = async (id: string) =>
  String((await q('SELECT state FROM tasks WHERE id = ?', [id]))[0].state);

describe('dispatch and confirmation', () => {
  it('confirms every label of two stores exactly once, in messages of at most N items, and completes the task', async () => {
    const a = await seedStore(h.ctx.pool, { products: 40, labelsPerProduct: 3 });
    const b = await seedStore(h.ctx.pool, { products: 25, labelsPerProduct: 2 });
    fleets.push(
      ...(await startFleet(broker.url, a, 2, { duplicateRate: 0.5 })),
      ...(await startFleet(broker.url, b, 3)),
    );
    const t = await change([a, b]);
    expect(t.items).toBe(170);
    await waitFor('task completed', () => taskState(t.taskId), { until: (s) => s === 'completed' });
    expect(await counts(t.taskId)).toEqual({ confirmed: 170 });
    // Each label confirmed once: the audit trail names every label in exactly one confirmation.
    const audits = await q(
      "SELECT refs FROM audit_log WHERE action = 'task.items.confirmed' AND object_id = ?",
      [t.taskId],
    );
    const labels = audits.flatMap((r) => [...String(r.refs).matchAll(/label:(\S+)/g)].map((m) => m[1]));
    expect(labels.length).toBe(170);
    expect(new Set(labels).size).toBe(170);
    // What each label now shows is the item's content, and the AP that confirmed it serves it.
    const wrong = await q(
      `SELECT i.label_id FROM task_items i JOIN labels l ON l.label_id = i.label_id
       WHERE i.task_id = ? AND (l.displayed_hash <> i.content_hash OR l.last_ap_client_id <> i.confirmed_by
         OR NOT l.last_confirmed_at <=> i.confirmed_at OR i.confirmed_by NOT LIKE CONCAT(i.group_id, '@@@%'))`,
      [t.taskId],
    );
    expect(wrong).toEqual([]);
    const sent = await q(
      'SELECT COUNT(DISTINCT last_msg_id) AS m, MAX(attempts) AS a FROM task_items WHERE task_id = ?',
      [t.taskId],
    );
    expect(Number(sent[0].m)).toBeGreaterThanOrEqual(17); // 120/10 + 50/10
    const perMsg = await q(
      'SELECT COUNT(*) AS n FROM task_items WHERE task_id = ? GROUP BY last_msg_id ORDER BY n DESC LIMIT 1',
      [t.taskId],
    );
    expect(Number(perMsg[0].n)).toBeLessThanOrEqual(10);
    const actions = (
      await q("SELECT action FROM audit_log WHERE object_type = 'task' AND object_id = ? ORDER BY id", [
        t.taskId,
      ])
    ).map((r) => r.action);
    expect(actions[0]).toBe('task.created');
    expect(actions[1]).toBe('task.dispatched');
    expect(actions.at(-1)).toBe('task.completed');
  });

  it('keeps a slow store within its window while another store finishes', async () => {
    // The slow store's AP acks each message SLOW_MS after it gets it. Its 60 items fill two
    // windows (3 messages of 10), and its second 30 go out only once some of the first 30 are
    // confirmed (until then they fill the window, in flight or as due retries): it cannot finish
    // sooner than 2 x SLOW_MS after its first send, whatever the machine's speed. The fast
    // store's 60 items have all that time, many times what they take even on a loaded machine.
    const SLOW_MS = 5000;
    const fast = await seedStore(h.ctx.pool, { products: 60, labelsPerProduct: 1 });
    const slow = await seedStore(h.ctx.pool, { products: 60, labelsPerProduct: 1 });
    fleets.push(
      ...(await startFleet(broker.url, fast, 1)),
      ...(await startFleet(broker.url, slow, 1, { latencyMs: SLOW_MS })),
    );
    const t = await change([fast, slow]);
    let maxInflight = 0;
    const sampleSlowWindow = async () => {
      maxInflight = Math.max(maxInflight, await countInflightMessages(h.ctx.pool, slow.groupId));
    };
    const done = await waitFor(
      'fast store confirmed',
      async () => {
        await sampleSlowWindow();
        return (
          await q(
            "SELECT group_id AS g, SUM(state = 'confirmed') AS c FROM task_items WHERE task_id = ? GROUP BY group_id",
            [t.taskId],
          )
        ).map((r) => [r.g, Number(r.c)]);
      },
      { until: (rows) => rows.some(([g, c]) => g === fast.groupId && c === 60) },
    );
    // The fast store was not held up by the slow one: it finished while the slow one still had work out.
    const slowConfirmed = done.find(([g]) => g === slow.groupId)?.[1] ?? 0;
    expect(slowConfirmed).toBeLessThan(60);
    // And the slow store stayed within its window of 3 messages the whole way, to its end.
    await waitFor(
      'slow store completed',
      async () => {
        await sampleSlowWindow();
        return taskState(t.taskId);
      },
      { until: (s) => s === 'completed' },
    );
    expect(maxInflight).toBeGreaterThan(0); // the samples did see its window in use
    expect(maxInflight).toBeLessThanOrEqual(3);
  });

  it('retries failed labels (P2P to the AP that serves them) until they confirm', async () => {
    const s = await seedStore(h.ctx.pool, { products: 30, labelsPerProduct: 1 });
    const [ap] = await startFleet(broker.url, s, 1, { failFirst: 2 });
    fleets.push(ap);
    // the status report tells the platform which AP serves the labels
    await waitFor(
      'status applied',
      () =>
        q('SELECT COUNT(*) AS n FROM labels WHERE group_id = ? AND last_ap_client_id IS NOT NULL', [
          s.groupId,
        ]),
      { until: (r) => Number(r[0].n) === 30 },
    );
    const t = await change(s);
    await waitFor('retried task completed', () => taskState(t.taskId), { until: (st) => st === 'completed' });
    const att = await q('SELECT MIN(attempts) AS lo, MAX(attempts) AS hi FROM task_items WHERE task_id = ?', [
      t.taskId,
    ]);
    expect(Number(att[0].lo)).toBe(3);
    expect(ap.counters.p2p).toBeGreaterThan(0);
    expect(ap.counters.failed).toBe(60);
    expect(
      (
        await q("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'task.items.failed' AND object_id = ?", [
          t.taskId,
        ])
      )[0].n,
    ).not.toBe('0');
  });

  it('times out what no AP confirms by the deadline, with the reason', async () => {
    const s = await seedStore(h.ctx.pool, { products: 5, labelsPerProduct: 1 });
    fleets.push(...(await startFleet(broker.url, s, 1, { failureRate: 1 })));
    const t = await change(s, { deadlineSeconds: 10 });
    await waitFor('task timed out', () => taskState(t.taskId), { until: (st) => st === 'timed_out' });
    const items = await q('SELECT state, error FROM task_items WHERE task_id = ?', [t.taskId]);
    expect(
      items.every(
        (i) =>
          i.state === 'timed_out' &&
          /^deadline passed: no confirmation after \d+ attempt\(s\); last AP error: label_unreachable$/.test(
            String(i.error),
          ),
      ),
    ).toBe(true);
    expect(
      await q("SELECT id FROM audit_log WHERE action = 'task.timed_out' AND object_id = ?", [t.taskId]),
    ).toHaveLength(1);
  });

  it('delivers what an AP missed while offline, and an expired message is never applied', async () => {
    const s = await seedStore(h.ctx.pool, { products: 4, labelsPerProduct: 1 });
    const [ap] = await startFleet(broker.url, s, 1);
    fleets.push(ap);
    const away = ap.offlineFor(2500);
    await new Promise((r) => setTimeout(r, 200));
    const live = await change(s, { deadlineSeconds: 60 });
    await away;
    await waitFor('missed task delivered on return', () => taskState(live.taskId), {
      until: (st) => st === 'completed',
    });

    // An expired message: the AP stays away until the task has timed out, so whatever was sent
    // to it waits at the broker (its session is kept: clean: false) past the message's expiry,
    // however long each step takes. The deadline only has to leave the platform time to send
    // the task at all (it sends nothing after it), so it is generous.
    const before = new Map(ap.displayed);
    const was = { ...ap.counters };
    await ap.stop();
    const short = await change(s, { deadlineSeconds: 10 });
    await waitFor('short task timed out', () => taskState(short.taskId), {
      until: (st) => st === 'timed_out',
    });
    // It was sent (to the group, then retried P2P) while the AP was away, before its deadline.
    const [sent] = await q(
      'SELECT MIN(attempts) AS lo, MAX(attempts) AS hi FROM task_items WHERE task_id = ?',
      [short.taskId],
    );
    expect(Number(sent.lo)).toBeGreaterThan(0);
    await ap.start();
    // Each attempt was at least one message; all of them reach the AP now, after the deadline.
    await waitFor('expired messages delivered', async () => ap.counters.expired - was.expired, {
      until: (n) => n >= Number(sent.hi),
    });
    // Every message it got since it went away was dropped as expired: nothing was applied.
    expect(ap.counters.messages - was.messages).toBe(ap.counters.expired - was.expired);
    expect(ap.counters.applied).toBe(was.applied);
    expect(new Map(ap.displayed)).toEqual(before);
    expect(await counts(short.taskId)).toEqual({ timed_out: 4 });
  });

  it('refuses malformed and forged acks, counts them, and keeps working', async () => {
    const a = await seedStore(h.ctx.pool, { products: 3, labelsPerProduct: 1 });
    const b = await seedStore(h.ctx.pool, { products: 3, labelsPerProduct: 1 });
    const tb = await change(b, { enqueue: false });
    const items = await q('SELECT id, label_id, content_hash FROM task_items WHERE task_id = ?', [tb.taskId]);
    const evil = await mqtt.connectAsync(broker.url, { clientId: `${a.groupId}@@@EVIL` });
    const topic = `esl/ack/${a.groupId}/EVIL`;
    await evil.publishAsync(topic, 'not json {', { qos: 1 });
    await evil.publishAsync(topic, JSON.stringify({ v: 2, type: 'price.ack', msgId: 'x', results: [] }), {
      qos: 1,
    });
    await evil.publishAsync(
      topic,
      JSON.stringify({
        v: 1,
        type: 'price.ack',
        msgId: 'x',
        results: [{ itemId: '1', labelId: 'L', status: 'ok', contentHash: 'short' }],
      }),
      { qos: 1 },
    );
    await evil.publishAsync(
      `esl/status/${a.groupId}/EVIL`,
      JSON.stringify({ v: 1, type: 'status', ts: 'yesterday', labels: [] }),
      { qos: 1 },
    );
    // well-formed, but the items belong to store b's group
    const forged = items.map((i) => ({
      itemId: String(i.id),
      labelId: i.label_id,
      status: 'ok',
      contentHash: i.content_hash,
      extra: 'ignored',
    }));
    await evil.publishAsync(
      topic,
      JSON.stringify({ v: 1, type: 'price.ack', msgId: 'y', results: forged, unknownField: 1 }),
      { qos: 1 },
    );
    await evil.endAsync();
    const rejected = await waitFor(
      'rejections counted',
      () => h.ctx.redis.hgetall(h.pipeline.uplink.rejectedKey),
      {
        until: (r) =>
          Number(r.malformed_ack) === 3 && Number(r.malformed_status) === 1 && Number(r.forged) === 3,
        timeoutMs: 10_000,
      },
    );
    expect(rejected).toMatchObject({ malformed_ack: '3', malformed_status: '1', forged: '3' });
    expect(await counts(tb.taskId)).toEqual({ pending: 3 });
    // the worker is still up: the real fleet confirms the task
    fleets.push(...(await startFleet(broker.url, b, 1)));
    await h.creator.enqueue(tb.taskId);
    await waitFor('task completed after forged acks', () => taskState(tb.taskId), {
      until: (st) => st === 'completed',
    });
  });

  it('enqueues a task whose creator died before enqueue (recovery sweep)', async () => {
    const s = await seedStore(h.ctx.pool, { products: 3, labelsPerProduct: 1 });
    fleets.push(...(await startFleet(broker.url, s, 1)));
    const t = await change(s, { enqueue: false });
    await execute(h.ctx.pool, 'UPDATE tasks SET created_at = created_at - INTERVAL 1 MINUTE WHERE id = ?', [
      t.taskId,
    ]);
    await waitFor('stranded task completed', () => taskState(t.taskId), {
      until: (st) => st === 'completed',
    });
  });

  it('cancels a task: open items stop, later acks change nothing', async () => {
    const s = await seedStore(h.ctx.pool, { products: 5, labelsPerProduct: 1 });
    const t = await change(s);
    await waitFor('task started', () => taskState(t.taskId), { until: (st) => st === 'in_progress' });
    expect(await h.finisher.cancel(t.taskId, { name: 'op2', role: 'operator' })).toEqual({ cancelled: 5 });
    expect(await h.finisher.cancel(t.taskId, { name: 'op2', role: 'operator' })).toBeNull();
    fleets.push(...(await startFleet(broker.url, s, 1)));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await taskState(t.taskId)).toBe('cancelled');
    expect(await counts(t.taskId)).toEqual({ cancelled: 5 });
    expect(
      await q("SELECT actor FROM audit_log WHERE action = 'task.cancelled' AND object_id = ?", [t.taskId]),
    ).toEqual([{ actor: 'op2' }]);
  });
});
