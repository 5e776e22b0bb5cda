// The whole platform (web, broker, worker in one process) with simulated APs connecting to
// its own broker with signed credentials: tasks confirm, the pages and the REST API show them,
// operators cancel and retry, auditors only read, status reports feed the mismatch list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import type { SimAp, SimApOptions } from '../../sim/sim-ap.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { newUserClient } from '../support/web-client.js';
import type { SeededStore } from './support/fixtures.js';
import { storeWithSignedFleet } from './support/fleet.js';
import { execute, queryRows } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let queue: TaskQueue;
let creator: TaskCreator;
const aps: SimAp[] = [];

// The silence retry is well past any ack delay of a loaded machine, so attempts stay exact.
beforeAll(async () => {
  f = await startBroker({ TASK_RETRY_BASE_MS: '5000', TASK_ITEMS_PER_MESSAGE: '20' });
  queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
  creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
});
afterAll(async () => {
  await Promise.all(aps.map((a) => a.stop()));
  await queue?.stop();
  await f?.close();
});

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) => queryRows<Row>(f.platform.ctx.pool, sql, args);
const taskState = async (id: string) =>
  String((await q('SELECT state FROM tasks WHERE id = ?', [id]))[0].state);

const storeWithFleet = (products: number, fleet: number, knobs: Partial<SimApOptions> = {}) =>
  storeWithSignedFleet(f, aps, { products, labelsPerProduct: 1, fleet }, knobs);

async function change(s: SeededStore, deadlineSeconds?: number) {
  const t = await withTx(f.platform.ctx.pool, async (c) => {
    await execute(c, 'UPDATE prices SET price = price + 1 WHERE store_id = ?', [s.storeId]);
    return creator.createInTx(
      c,
      { name: 'erp', role: 'api' },
      s.productIds.map((productId) => ({ storeId: s.storeId, productId })),
      { source: 'api', deadlineSeconds },
    );
  });
  await creator.enqueue(t!.taskId);
  return t!.taskId;
}

const userClient = (role: 'operator' | 'auditor') =>
  newUserClient(f.platform, role, `${role}-${Math.random().toString(36).slice(2, 8)}`);

describe('price change through the platform and its own broker', () => {
  it('confirms on signed simulated APs; the task page streams progress; the API reports per-label results', async () => {
    const s = await storeWithFleet(50, 2);
    const id = await change(s);
    const op = await userClient('operator');
    // live progress: the event stream runs until the task is final
    const cookie = (op as unknown as { cookies: Map<string, string> }).cookies;
    const res = await fetch(`${f.platform.baseUrl}/tasks/${id}/events`, {
      headers: { cookie: [...cookie].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const stream = await res.text();
    const events = stream
      .split('\n\n')
      .filter((e) => e.startsWith('event: progress'))
      .map((e) => JSON.parse(e.split('data: ')[1]));
    expect(events.at(-1)).toMatchObject({
      state: 'completed',
      total: 50,
      done: 50,
      active: false,
      counts: { confirmed: 50 },
    });
    expect(
      events
        .at(-1)
        .breakdown.map((b: Row) => b.ap)
        .sort(),
    ).toEqual([`${s.groupId}@@@AP0`, `${s.groupId}@@@AP1`]);

    const page = await op.get(`/tasks/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('src="/static/tasks.js"');
    expect(page.text).toContain(`href="/audit?task=${id}"`);
    expect(page.text).toMatch(/data-count="confirmed">50</);
    expect((await op.get('/tasks')).text).toContain(`href="/tasks/${id}"`);

    const { key } = await new ApiKeysService(f.platform.ctx.pool).issue(SYSTEM_ACTOR, null, {
      name: 'erp-reader',
      scopes: ['tasks:read'],
    });
    const api = (path: string) =>
      fetch(`${f.platform.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    const task = await (await api(`/api/v1/tasks/${id}`)).json();
    expect(task).toMatchObject({
      id,
      state: 'completed',
      source: 'api',
      createdBy: 'erp',
      items: { total: 50, done: 50, byState: { confirmed: 50 } },
    });
    // cursor pages of 20: the third and last holds the remaining 10
    let items = await (await api(`/api/v1/tasks/${id}/items?limit=20`)).json();
    const seen = new Set<string>(items.items.map((i: { itemId: string }) => i.itemId));
    items = await (await api(`/api/v1/tasks/${id}/items?limit=20&cursor=${items.nextCursor}`)).json();
    for (const i of items.items) seen.add(i.itemId);
    items = await (await api(`/api/v1/tasks/${id}/items?limit=20&cursor=${items.nextCursor}`)).json();
    for (const i of items.items) seen.add(i.itemId);
    expect(items.items).toHaveLength(10);
    expect(items.nextCursor).toBeNull();
    expect(seen.size).toBe(50);
    expect(items.items[0]).toMatchObject({ state: 'confirmed', attempts: 1 });
    expect(items.items[0].confirmedBy).toMatch(new RegExp(`^${s.groupId}@@@AP[01]$`));
    const bad = await api(`/api/v1/tasks/${id}/items?limit=5000&state=bogus`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({
      code: 'invalid_input',
      fields: { limit: expect.any(String), state: expect.any(String) },
    });
    expect((await api('/api/v1/tasks/99999999')).status).toBe(404);
    expect((await fetch(`${f.platform.baseUrl}/api/v1/tasks/${id}`)).status).toBe(401);
    // a key without the scope is refused
    const { key: writer } = await new ApiKeysService(f.platform.ctx.pool).issue(SYSTEM_ACTOR, null, {
      name: 'erp-writer',
      scopes: ['prices:write'],
    });
    expect(
      (
        await fetch(`${f.platform.baseUrl}/api/v1/tasks/${id}`, {
          headers: { authorization: `Bearer ${writer}` },
        })
      ).status,
    ).toBe(403);
  });

  it('lets an operator cancel a running task and retry what timed out; an auditor only reads', async () => {
    const s = await storeWithFleet(6, 1, { failureRate: 1 });
    const id = await change(s, 600);
    await waitFor('task running', () => taskState(id), { until: (st) => st === 'in_progress' });
    const aud = await userClient('auditor');
    const seen = await aud.get(`/tasks/${id}`);
    expect(seen.status).toBe(200);
    expect(seen.text).not.toContain('/cancel');
    expect((await aud.post(`/tasks/${id}/cancel`, {}, `/tasks/${id}`)).status).toBe(403);
    expect(await taskState(id)).toBe('in_progress');

    const op = await userClient('operator');
    await op.get(`/tasks/${id}`);
    const cancel = await op.post(`/tasks/${id}/cancel`, {});
    expect(cancel.status).toBe(302);
    expect(await taskState(id)).toBe('cancelled');

    const id2 = await change(s, 2);
    await waitFor('task timed out', () => taskState(id2), { until: (st) => st === 'timed_out' });
    for (const ap of aps) ap.opts.failureRate = 0;
    await op.get(`/tasks/${id2}`);
    const retry = await op.post(`/tasks/${id2}/retry`, {});
    expect(retry.status).toBe(302);
    const id3 = /\/tasks\/(\d+)$/.exec(retry.location!)![1];
    expect(id3).not.toBe(id2);
    await waitFor('retry completed', () => taskState(id3), { until: (st) => st === 'completed' });
    expect((await q('SELECT source, parent_task_id AS p FROM tasks WHERE id = ?', [id3]))[0]).toEqual({
      source: 'retry',
      p: id2,
    });
    expect(
      await q("SELECT actor FROM audit_log WHERE action = 'task.retried' AND object_id = ?", [id2]),
    ).toHaveLength(1);
    // retrying again is refused with a clear message: the parent is final and nothing changed there
    await op.get(`/tasks/${id3}`);
    const again = await op.request('POST', `/tasks/${id3}/retry`, {
      json: {},
      headers: { 'x-csrf-token': op.lastCsrf },
    });
    expect(again.status).toBe(409);
    expect(JSON.parse(again.text).error.message).toContain('no unconfirmed labels');
  });

  it('lists the APs with their store, connection and last status, for operators, auditors and the API', async () => {
    const s = await storeWithFleet(2, 2);
    const [a0, a1] = aps.slice(-2);
    await Promise.all([a0.reportStatus(), a1.reportStatus()]);
    const auditor = await userClient('auditor');
    const group = a0.opts.clientId.split('@@@')[0];
    const listed = await waitFor(
      'both APs listed online with their status',
      () => auditor.get(`/devices/aps?group=${group}`),
      {
        until: (r) =>
          r.text.includes('data-testid="ap-total">2 AP(s), 2 online') &&
          (r.text.match(/sim-1\.0\.0/g) ?? []).length === 2,
      },
    );
    expect(listed.text).toContain(`data-ap="${a0.opts.clientId}"`);
    const [store] = await q('SELECT code, name FROM stores WHERE id = ?', [s.storeId]);
    const storeCode = String(store.code);
    // the page names the store (its code when it has no name)
    expect(listed.text).toContain(`<td>${String(store.name || store.code)}</td>`);

    // a clean DISCONNECT shows as offline with its reason; the online filter and the API agree
    await a1.stop();
    aps.splice(aps.indexOf(a1), 1);
    const op = await userClient('operator');
    const off = await waitFor('AP offline', () => op.get(`/devices/aps?group=${group}&online=no`), {
      until: (r) => r.text.includes('data-testid="ap-total">1 AP(s), 0 online'),
    });
    expect(off.text).toContain(`data-ap="${a1.opts.clientId}"`);
    expect(off.text).toContain('(clean)');
    const { key } = await new ApiKeysService(f.platform.ctx.pool).issue(SYSTEM_ACTOR, null, {
      name: 'ap-reader',
      scopes: ['tasks:read'],
    });
    const api = await fetch(`${f.platform.baseUrl}/api/v1/aps?group=${group}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await api.json()) as {
      total: number;
      online: number;
      aps: {
        clientId: string;
        online: boolean;
        storeCode: string;
        disconnectReason: string | null;
        lastStatusAt: string | null;
      }[];
    };
    expect(body).toMatchObject({ total: 2, online: 1 });
    expect(body.aps.find((x) => x.clientId === a1.opts.clientId)).toMatchObject({
      online: false,
      storeCode,
      disconnectReason: 'clean',
    });
    expect(body.aps.find((x) => x.clientId === a0.opts.clientId)?.lastStatusAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    // hostile filters are refused, not run
    expect((await op.get(`/devices/aps?online=maybe`)).status).toBe(400);
    expect((await op.get(`/devices/aps?online=toString`)).status).toBe(400);
    const bad = await fetch(`${f.platform.baseUrl}/api/v1/aps?group=${'G'.repeat(65)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('at most 64 characters');
  });

  it('takes status reports into the labels and lists labels whose display differs from their price', async () => {
    const s = await storeWithFleet(3, 1);
    const ap = aps.at(-1)!;
    ap.displayed.set(s.labelIds[0], 'f'.repeat(64));
    await ap.reportStatus();
    const op = await userClient('operator');
    const page = await waitFor('mismatch listed', () => op.get(`/devices/mismatches?store=${s.storeId}`), {
      until: (r) => r.text.includes(s.labelIds[0]),
    });
    expect(page.text).toContain('data-testid="mismatch-total">1 label(s)');
    const [l0] = await q('SELECT last_status_at AS t FROM labels WHERE label_id = ?', [s.labelIds[0]]);
    const audit = await q(
      "SELECT actor, refs FROM audit_log WHERE action = 'label.mismatch' AND refs LIKE ?",
      [`% label:${s.labelIds[0]} %`],
    );
    expect(audit).toEqual([
      { actor: ap.opts.clientId, refs: expect.stringContaining(`ap:${ap.opts.clientId}`) },
    ]);
    const before = (l0.t as Date).getTime();
    await ap.reportStatus(); // the same report again is not a new mismatch
    await waitFor(
      'second report applied',
      () => q('SELECT last_status_at AS t FROM labels WHERE label_id = ?', [s.labelIds[0]]),
      { until: (r) => (r[0].t as Date).getTime() !== before },
    );
    const l = (
      await q(
        'SELECT last_ap_client_id AS ap, battery_mv AS b, last_status_at AS t FROM labels WHERE label_id = ?',
        [s.labelIds[0]],
      )
    )[0];
    expect(l.ap).toBe(ap.opts.clientId);
    expect(Number(l.b)).toBeGreaterThan(0);
    const a = (
      await q('SELECT firmware, labels_reported AS n FROM aps WHERE client_id = ?', [ap.opts.clientId])
    )[0];
    expect(a).toEqual({ firmware: 'sim-1.0.0', n: 3 });
    expect(
      await q("SELECT id FROM audit_log WHERE action = 'label.mismatch' AND refs LIKE ?", [
        `% label:${s.labelIds[0]} %`,
      ]),
    ).toHaveLength(1);
    // a price change that reaches the label clears it from the list
    const id = await change(s);
    await waitFor('task completed', () => taskState(id), { until: (st) => st === 'completed' });
    await ap.reportStatus();
    await waitFor('mismatch cleared', () => op.get(`/devices/mismatches?store=${s.storeId}`), {
      until: (r) => r.text.includes('data-testid="mismatch-total">0 label(s)'),
    });
  });
});
