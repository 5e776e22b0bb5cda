// Quiet hours over the real pipeline (platform, its own broker, signed simulated APs): a store in
// its quiet window keeps its non-urgent items waiting, the task page and API say why and until
// when; an urgent change goes at once; when the window is over the waiting items go. The window
// is set around the store's local "now" (and then to one that has just ended), so nothing sleeps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import { queryRows } from '../../server/db/query.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { newUserClient } from '../support/web-client.js';
import { waitFor } from '../support/wait.js';
import type { SeededStore } from './support/fixtures.js';
import { storeWithSignedFleet } from './support/fleet.js';

let f: BrokerFixture;
let admin: string;
let writer: string;
let reader: string;
const aps: SimAp[] = [];

beforeAll(async () => {
  f = await startBroker({ TASK_RETRY_BASE_MS: '5000' });
  const keys = new ApiKeysService(f.platform.ctx.pool);
  const issue = async (name: string, scopes: string[]) =>
    (await keys.issue(SYSTEM_ACTOR, null, { name, scopes })).key;
  admin = await issue('installer', ['admin']);
  writer = await issue('erp', ['prices:write']);
  reader = await issue('reader', ['tasks:read']);
}, 120_000);
afterAll(async () => {
  await Promise.all(aps.map((a) => a.stop()));
  await f?.close();
});

type Row = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const q = (sql: string, args: unknown[] = []) => queryRows<Row>(f.platform.ctx.pool, sql, args);
async function api(method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(f.platform.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Row };
}
const hhmm = (m: number) => {
  const x = ((m % 1440) + 1440) % 1440;
  return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
};
/** Minutes after midnight now in Asia/Shanghai (UTC+8, no daylight saving). */
const localNow = () => {
  const d = new Date(Date.now() + 8 * 3600_000);
  return d.getUTCHours() * 60 + d.getUTCMinutes();
};
const itemStates = async (taskId: string) =>
  (await q('SELECT state, COUNT(*) AS n FROM task_items WHERE task_id = ? GROUP BY state', [taskId])).map(
    (r) => [r.state, Number(r.n)],
  );

describe('quiet hours', () => {
  it('hold non-urgent items of a store in its window, let urgent ones go, and release the rest after it', async () => {
    const s: SeededStore = await storeWithSignedFleet(f, aps, { products: 4, labelsPerProduct: 2, fleet: 1 });
    const [{ code }] = await q('SELECT code FROM stores WHERE id = ?', [s.storeId]);
    await q("UPDATE stores SET timezone = 'Asia/Shanghai' WHERE id = ?", [s.storeId]);
    const skus = (await q('SELECT sku FROM products WHERE id IN (?) ORDER BY id', [s.productIds])).map(
      (r) => r.sku,
    );

    const from = hhmm(localNow() - 60);
    const to = hhmm(localNow() + 60);
    const set = await api('PUT', `/api/v1/stores/${code}/quiet-hours`, admin, { from, to });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.quietHours).toEqual({ from, to });
    const audit = await q("SELECT after_json FROM audit_log WHERE action = 'store.quiet_hours_set'");
    expect(JSON.parse(audit[0].after_json)).toEqual({ quietHours: { from, to }, timezone: 'Asia/Shanghai' });
    expect(
      (await api('PUT', `/api/v1/stores/${code}/quiet-hours`, admin, { from: '25:00', to })).body.error
        .fields,
    ).toEqual({
      from: 'a time of day like 22:00 (24-hour clock)',
    });

    // large changes from the seeded 1.00: confirmed, as price sanity asks (server/catalog/price-sanity.ts)
    const waiting = await api('POST', '/api/v1/price-changes', writer, {
      changes: skus.slice(0, 3).map((sku) => ({ sku, store: code, price: '3.30' })),
      confirm: true,
    });
    expect(waiting.status, JSON.stringify(waiting.body)).toBe(201);
    const waitingId = waiting.body.taskIds[0];
    const urgent = await api('POST', '/api/v1/price-changes', writer, {
      changes: [{ sku: skus[3], store: code, price: '9.90', urgent: true }],
      confirm: true,
    });
    expect(urgent.status).toBe(201);
    const urgentId = urgent.body.taskIds[0];

    // The urgent task confirms on the store's AP while the older task's items have not been sent.
    await waitFor(
      'the urgent task to complete',
      async () => (await q('SELECT state FROM tasks WHERE id = ?', [urgentId]))[0].state === 'completed',
    );
    expect(await itemStates(waitingId)).toEqual([['pending', 6]]);
    expect((await q('SELECT SUM(attempts) AS a FROM task_items WHERE task_id = ?', [waitingId]))[0].a).toBe(
      '0',
    );

    // The window's end, today or tomorrow in Shanghai, as an instant.
    const untilLocal = localNow() + 60;
    const until = new Date(Math.floor(Date.now() / 60_000) * 60_000 + (untilLocal - localNow()) * 60_000);
    const t = await api('GET', `/api/v1/tasks/${waitingId}`, reader);
    expect(t.body.blocked).toEqual([
      expect.objectContaining({
        reason: 'quiet_hours',
        groupId: s.groupId,
        labels: 6,
        until: until.toISOString(),
      }),
    ]);
    expect(t.body.forecast).toMatchObject({ open: 6, blocked: 6, quietHours: 6, willMiss: 0 });
    // it keeps its whole time to confirm after the window
    expect(
      new Date(
        t.body.deadlineAt ??
          (await q('SELECT deadline_at FROM tasks WHERE id = ?', [waitingId]))[0].deadline_at,
      ).getTime(),
    ).toBeGreaterThan(until.getTime());

    const op = await newUserClient(f.platform, 'operator', `op-${Math.random().toString(36).slice(2, 8)}`);
    const page = await op.get(`/tasks/${waitingId}`);
    expect(page.text).toContain('<tr data-reason="quiet_hours">');
    expect(page.text).toContain('waiting for the store&#39;s quiet hours to end');
    expect(page.text).toMatch(/data-testid="quiet-until">until /);

    // The window has ended (it is now one that closed a minute ago): the waiting labels go.
    const over = await api('PUT', `/api/v1/stores/${code}/quiet-hours`, admin, {
      from: hhmm(localNow() - 120),
      to: hhmm(localNow() - 1),
    });
    expect(over.status).toBe(200);
    await waitFor(
      'the held task to complete',
      async () => (await q('SELECT state FROM tasks WHERE id = ?', [waitingId]))[0].state === 'completed',
    );
    expect(await itemStates(waitingId)).toEqual([['confirmed', 6]]);
  });
});
