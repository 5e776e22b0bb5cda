// Live views pushed: a task page's (and the dashboard's) snapshot is computed once per tick for
// every viewer of every process, through a Redis lock and pub/sub (server/core/live-hub.ts),
// instead of each open stream running its own queries every second.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveHub } from '../../server/core/live-hub.js';
import { createLogger } from '../../server/core/logger.js';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import { uid } from '../support/env.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { newUserClient } from '../support/web-client.js';
import { waitFor } from '../support/wait.js';
import { seedStore } from './support/fixtures.js';

let p: TestPlatform;
let queue: TaskQueue;
const redis: Redis[] = [];

beforeAll(async () => {
  p = await startTestPlatform();
  queue = new TaskQueue(p.ctx.redisUrl, p.config.REDIS_PREFIX);
});
afterAll(async () => {
  await queue?.stop();
  for (const r of redis) r.disconnect();
  await p?.close();
});

/** Reads server-sent events from a stream until `want` events of `type` came; returns their data. */
async function events(url: string, cookie: string, type: string, want: number) {
  const ctrl = new AbortController();
  const res = await fetch(url, { headers: { cookie }, signal: ctrl.signal });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const out: unknown[] = [];
  let buf = '';
  try {
    while (out.length < want) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (ev.startsWith(`event: ${type}\n`)) out.push(JSON.parse(ev.slice(ev.indexOf('data: ') + 6)));
      }
    }
  } finally {
    ctrl.abort();
  }
  return out;
}

/** A task over `labels` labels of a new store whose Group ID no AP serves: it stays running (its labels blocked), so it streams. */
async function runningTask(labels: number) {
  const s = await seedStore(p.ctx.pool, { products: labels, labelsPerProduct: 1 });
  const creator = new TaskCreator(p.ctx.pool, p.config, (id) => queue.enqueueTask(id));
  const t = await withTx(p.ctx.pool, (c) =>
    creator.createInTx(
      c,
      { name: 'erp', role: 'api' },
      s.productIds.map((productId) => ({ storeId: s.storeId, productId })),
      { source: 'api' },
    ),
  );
  await creator.enqueue(t!.taskId);
  return t!;
}

const cookieOf = (c: unknown) =>
  [...(c as { cookies: Map<string, string> }).cookies].map(([k, v]) => `${k}=${v}`).join('; ');

describe('live views', () => {
  it('two processes with ten viewers each compute one snapshot per tick between them, and every viewer gets it', async () => {
    const prefix = `live${uid(4)}`;
    const hubs = [0, 1].map((k) => {
      const r = new Redis(p.ctx.redisUrl);
      redis.push(r);
      return new LiveHub(r, prefix, createLogger('silent'), `hub${k}`);
    });
    let computed = 0;
    const starts: number[] = [];
    const topic = {
      intervalMs: 150,
      compute: async () => {
        starts.push(Date.now());
        return { n: ++computed };
      },
    };
    const seen: number[][] = [];
    const stops = hubs.flatMap((hub) =>
      Array.from({ length: 10 }, () => {
        const got: number[] = [];
        seen.push(got);
        return hub.watch<{ n: number }>('t', topic, (v) => got.push(v.n));
      }),
    );
    await waitFor('every viewer got six snapshots', async () => seen.every((s) => s.length >= 6), {
      until: Boolean,
      timeoutMs: 30_000,
    });
    for (const s of stops) s();
    await Promise.all(hubs.map((h) => h.stop()));
    // the snapshots computed are the distinct ones the viewers saw, not one per viewer
    const distinct = new Set(seen.flat());
    expect(computed).toBe(distinct.size);
    const longest = Math.max(...seen.map((s) => s.length));
    // a viewer sees every snapshot after the one it started with (pub/sub reaches both processes)
    expect(computed).toBeLessThanOrEqual(longest + 2);
    for (const s of seen) expect(s).toEqual([...s].sort((a, b) => a - b));
    // after each process's first (for its first viewer), the Redis lock lets one computation
    // through per lock period (0.9 x the interval): never two processes in the same tick
    const ticks = starts.slice(2);
    const closest = Math.min(...ticks.slice(1).map((t, i) => t - ticks[i]));
    expect(closest).toBeGreaterThanOrEqual(150 * 0.9 - 10);
  });

  it('thirty open task pages cost one snapshot per tick: each stream pushes the shared one in its reader language', async () => {
    const t = await runningTask(30);
    const hub = p.services.find((x): x is LiveHub => x instanceof LiveHub && x.name === 'task-live')!;
    expect(hub).toBeDefined();
    const en = await newUserClient(p, 'operator', `live-en-${uid(3)}`);
    const zh = await newUserClient(p, 'auditor', `live-zh-${uid(3)}`);
    await zh.post('/account/preferences', { locale: 'zh-CN', timeZone: 'Asia/Shanghai' }, '/account');
    const before = hub.computed;
    const url = `${p.baseUrl}/tasks/${t!.taskId}/events`;
    const streams = await Promise.all(
      Array.from({ length: 30 }, (_v, i) => events(url, cookieOf(i % 2 ? zh : en), 'progress', 4)),
    );
    const computed = hub.computed - before;
    for (const evs of streams) expect(evs.length).toBe(4);
    // 30 viewers x 4 events, from a handful of computations (first one, then one per tick)
    expect(computed).toBeLessThanOrEqual(6);
    const first = streams[0][0] as { total: number; stateName: string; blocked: { name: string }[] };
    expect(first.total).toBe(30);
    const zhFirst = streams[1][0] as { stateName: string };
    expect(zhFirst.stateName).not.toBe(first.stateName);
  });

  it('with viewers open a task page view reads their shared snapshot (no query over the items), and shows a cancel at once', async () => {
    const t = await runningTask(20);
    const op = await newUserClient(p, 'operator', `live-view-${uid(3)}`);
    const path = `/tasks/${t!.taskId}`;
    await waitFor('the task running', async () =>
      (await op.get(path)).text.includes('data-state="in_progress"'),
    );
    // one viewer's stream holds the topic open in this process (and gets a snapshot every tick)
    const ctrl = new AbortController();
    const stream = await fetch(`${p.baseUrl}${path}/events`, {
      headers: { cookie: cookieOf(op) },
      signal: ctrl.signal,
    });
    const reader = stream.body!.getReader();
    let got = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        got += Buffer.from(value!).toString('utf8');
      }
    })();
    try {
      await waitFor('a first live event', () => got.includes('event: progress'));
      // The pool's statements during five page views, by SQL and parameters (mysql2's own method,
      // passed through). The platform's sweeper shares the pool: only statements about this task count.
      const hub = p.services.find((x): x is LiveHub => x instanceof LiveHub && x.name === 'task-live')!;
      const ticksBefore = hub.computed;
      const seen: { sql: string; params: unknown[] }[] = [];
      const pool = p.ctx.pool as unknown as { query: (...a: unknown[]) => unknown };
      const query = pool.query;
      pool.query = function (this: unknown, ...a: unknown[]) {
        seen.push({ sql: String(a[0]).replace(/\s+/g, ' '), params: Array.isArray(a[1]) ? a[1].flat() : [] });
        return query.apply(this, a);
      };
      try {
        for (let i = 0; i < 5; i++) expect((await op.get(path)).status).toBe(200);
      } finally {
        pool.query = query;
      }
      const ticks = hub.computed - ticksBefore;
      const about = seen.filter((q) => q.params.map(String).includes(t!.taskId));
      // the live ticks in between compute the snapshot (at most 4 statements over the items each:
      // counts, per-AP breakdown, the page's rows, the diagnosis); the five views add none
      const overItems = about.filter((q) => /FROM task_items/.test(q.sql)).map((q) => q.sql.slice(0, 120));
      expect(overItems.length, overItems.join('\n')).toBeLessThanOrEqual(4 * ticks);
      expect(about.filter((q) => /FROM tasks WHERE id = \?/.test(q.sql)).length).toBeGreaterThanOrEqual(5); // the task row, each time
      // an action changes the task's row: the next page view computes, and shows it
      expect((await op.post(`${path}/cancel`, {}, path)).status).toBe(302);
      const after = await op.get(path);
      expect(after.text).toContain('data-state="cancelled"');
    } finally {
      ctrl.abort();
      await reading;
    }
  });

  it('the dashboard pushes its snapshot to every viewer, cut to the role', async () => {
    const hub = p.services.find((x): x is LiveHub => x instanceof LiveHub && x.name === 'dashboard-live')!;
    const op = await newUserClient(p, 'operator', `dash-op-${uid(3)}`);
    const aud = await newUserClient(p, 'auditor', `dash-aud-${uid(3)}`);
    const before = hub.computed;
    const [a, b] = await Promise.all([
      events(`${p.baseUrl}/dashboard/events`, cookieOf(op), 'snapshot', 2),
      events(`${p.baseUrl}/dashboard/events`, cookieOf(aud), 'snapshot', 2),
    ]);
    expect(hub.computed - before).toBeLessThanOrEqual(3);
    expect(a[0]).toHaveProperty('tasks');
    expect(a[0]).not.toHaveProperty('audit');
    expect(b[0]).toHaveProperty('audit');
    expect((await fetch(`${p.baseUrl}/dashboard/events`, { redirect: 'manual' })).status).not.toBe(200);
  });
});
