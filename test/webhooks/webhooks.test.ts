// Webhooks end to end over real MariaDB, Redis and MQTT: endpoints registered through
// /api/v1/webhooks, events recorded by the pipeline and the devices module in their own
// transactions, delivered through BullMQ to a local receiver that checks the signature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import type { WebhooksPorts } from '../../server/webhooks/module.js';
import { openDeliveryQueue, deliveryJobId } from '../../server/webhooks/delivery-queue.js';
import { StalePresenceSweeper } from '../../server/devices/stale-presence-sweeper.js';
import type { SimAp, SimApOptions } from '../../sim/sim-ap.js';
import { connectDevice, startBroker, type BrokerFixture } from '../support/mqtt.js';
import { storeWithSignedFleet } from '../tasks/support/fleet.js';
import { waitFor } from '../support/wait.js';
import { Receiver } from './receiver.js';

let f: BrokerFixture;
let rx: Receiver;
let key = '';
const aps: SimAp[] = [];

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) =>
  ((await f.platform.ctx.pool.query(sql, args)) as unknown as [Row[]])[0];

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(f.platform.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Registers an endpoint for a receiver path; the receiver learns the secret it was given. */
async function register(path: string, events: string[], statuses: number[] = [200], secret?: string) {
  const url = rx.path(path, secret ?? '', statuses);
  const r = await api('POST', '/api/v1/webhooks', {
    name: `hook ${path}`,
    url,
    events,
    ...(secret ? { secret } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  rx.setSecret(path, r.body.secret);
  return r.body as { id: number; secret: string };
}

const storeWithFleet = (products: number, fleet: number, knobs: Partial<SimApOptions> = {}) =>
  storeWithSignedFleet(f, aps, { products, labelsPerProduct: 2, fleet }, knobs);

async function changePrices(s: { storeId: number; productIds: number[] }, price: string) {
  const [store] = await q('SELECT code FROM stores WHERE id = ?', [s.storeId]);
  const skus = await q('SELECT sku FROM products WHERE id IN (?) ORDER BY id', [s.productIds]);
  const change = await api('POST', '/api/v1/price-changes', {
    changes: skus.map((p) => ({ sku: p.sku, store: store.code, price })),
    // the fleet's products cost 1.00: these are large changes, confirmed (server/catalog/price-sanity.ts)
    confirm: true,
  });
  expect(change.status, JSON.stringify(change.body)).toBe(201);
  return String(change.body.taskIds[0]);
}

const kick = () =>
  (
    f.platform.services.find((s) => s.name === 'webhook-outbox-relay') as unknown as NonNullable<
      WebhooksPorts['relay']
    >
  ).kick();

beforeAll(async () => {
  f = await startBroker({
    TASK_RETRY_BASE_MS: '400',
    WEBHOOK_RETRY_BASE_MS: '100',
    WEBHOOK_MAX_ATTEMPTS: '6',
    WEBHOOK_PAUSE_AFTER_FAILURES: '3',
    WEBHOOK_RELAY_INTERVAL_MS: '100',
    WEBHOOK_TIMEOUT_MS: '5000',
  });
  rx = await new Receiver().start();
  key = (
    await new ApiKeysService(f.platform.ctx.pool).issue(SYSTEM_ACTOR, null, {
      name: 'hooks admin',
      scopes: ['admin'],
    })
  ).key;
});
afterAll(async () => {
  await Promise.all(aps.map((a) => a.stop()));
  await rx?.close();
  await f?.close();
});

describe('webhooks', () => {
  it('a price change to a simulated fleet delivers task.completed, signed, only to the endpoints subscribed', async () => {
    const hook = await register('/erp', ['task.completed', 'task.timed_out']);
    const other = await register('/aps-only', ['ap.offline']);
    const s = await storeWithFleet(6, 2);
    const taskId = await changePrices(s, '4.20');

    const [got] = await waitFor(
      'task.completed at the receiver',
      async () => rx.at('/erp', 'task.completed').filter((r) => r.json.data.taskId === taskId),
      { until: (l) => l.length > 0, timeoutMs: 60_000 },
    );
    expect(got.signatureValid).toBe(true);
    expect(got.json).toMatchObject({
      type: 'task.completed',
      data: { taskId, state: 'completed', items: { confirmed: 12 } },
    });
    expect(Object.keys(got.json).sort()).toEqual(['createdAt', 'data', 'id', 'type']);
    expect(got.headers['x-esl-event']).toBe('task.completed');
    expect(got.headers['x-esl-event-id']).toBe(got.json.id);
    expect(got.headers['x-esl-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.headers['x-esl-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    // the attempt is logged with its status and latency, and the API shows the delivery
    const deliveries = await waitFor(
      'the delivery succeeded',
      () => api('GET', `/api/v1/webhooks/${hook.id}/deliveries`),
      {
        until: (r) =>
          r.body.deliveries.some(
            (d: Row) => d.id === got.headers['x-esl-delivery'] && d.state === 'succeeded',
          ),
        timeoutMs: 10_000,
      },
    );
    const d = deliveries.body.deliveries.find((x: Row) => x.id === got.headers['x-esl-delivery']);
    expect(d).toMatchObject({
      eventType: 'task.completed',
      attempts: 1,
      lastStatus: 200,
      eventId: got.json.id,
    });
    expect(d.lastLatencyMs).toBeGreaterThanOrEqual(0);
    const attempts = await q(
      'SELECT a.status_code, a.latency_ms FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.uid = ?',
      [d.id],
    );
    expect(attempts).toEqual([{ status_code: 200, latency_ms: expect.any(Number) }]);
    // the endpoint not subscribed to task.completed got no delivery row for it
    const foreign = await q(
      `SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
       WHERE d.endpoint_id = ? AND e.type = 'task.completed'`,
      [other.id],
    );
    expect(Number(foreign[0].n)).toBe(0);
    // the event was written in the finisher's transaction: its row exists with the task's completion
    const [ev] = await q('SELECT body FROM webhook_events WHERE uid = ?', [got.json.id]);
    expect(JSON.parse(String(ev.body))).toEqual(got.json);
    expect(got.body).toBe(String(ev.body));
  }, 120_000);

  it('labels an AP reports failed deliver item.failed with the task, the AP and the error', async () => {
    await register('/failures', ['item.failed']);
    const s = await storeWithFleet(3, 1, { failFirst: 1 });
    const taskId = await changePrices(s, '5.10');
    const got = await waitFor(
      'item.failed for every label',
      async () => rx.at('/failures', 'item.failed').filter((r) => r.json.data.taskId === taskId),
      { until: (l) => l.flatMap((r) => r.json.data.items as unknown[]).length >= 6, timeoutMs: 60_000 },
    );
    expect(got.every((r) => r.signatureValid)).toBe(true);
    expect(got[0].json.data).toMatchObject({
      taskId,
      ap: aps.at(-1)!.opts.clientId,
      error: expect.any(String),
    });
    const labels = got.flatMap((r) => (r.json.data.items as { labelId: string }[]).map((i) => i.labelId));
    expect(new Set(labels)).toEqual(new Set(s.labelIds));
  }, 90_000);

  it('a label newly seen showing something else than its price delivers mismatch.detected', async () => {
    await register('/mismatch', ['mismatch.detected']);
    const s = await storeWithFleet(3, 1);
    const ap = aps.at(-1)!;
    ap.displayed.set(s.labelIds[0], 'f'.repeat(64));
    await ap.reportStatus();
    const [got] = await waitFor(
      'mismatch.detected',
      async () => rx.at('/mismatch').filter((r) => (r.json.data.labels as string[]).includes(s.labelIds[0])),
      { until: (l) => l.length > 0, timeoutMs: 30_000 },
    );
    expect(got.signatureValid).toBe(true);
    expect(got.json).toMatchObject({
      type: 'mismatch.detected',
      data: { ap: ap.opts.clientId, labels: [s.labelIds[0]] },
    });
  }, 60_000);

  it('a receiver answering 500 then 200 gets the same delivery again after a backoff', async () => {
    const hook = await register('/flaky', ['task.timed_out'], [500, 200]);
    const t = await api('POST', `/api/v1/webhooks/${hook.id}/test`);
    expect(t.status).toBe(202);
    const got = await waitFor('two attempts', async () => rx.at('/flaky', 'webhook.test'), {
      until: (l) => l.length >= 2,
      timeoutMs: 30_000,
    });
    expect(got.map((r) => r.status)).toEqual([500, 200]);
    expect(got[0].headers['x-esl-delivery']).toBe(got[1].headers['x-esl-delivery']);
    expect(got[0].body).toBe(got[1].body);
    expect(got.every((r) => r.signatureValid)).toBe(true);
    const rows = await waitFor(
      'both attempts logged',
      () =>
        q(
          `SELECT d.state, d.attempts, a.status_code, a.error FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id
           WHERE d.uid = ? ORDER BY a.id`,
          [got[0].headers['x-esl-delivery']],
        ),
      { until: (r) => r.length === 2 && r[0].state === 'succeeded', timeoutMs: 10_000 },
    );
    expect(rows.map((r) => [r.status_code, r.error])).toEqual([
      [500, 'HTTP 500'],
      [200, null],
    ]);
    expect((await api('GET', `/api/v1/webhooks/${hook.id}`)).body).toMatchObject({
      consecutiveFailures: 0,
      paused: false,
    });
  }, 60_000);

  // These endpoints subscribe to task.timed_out, which no task of this file emits: only their test events reach them.
  it('failed attempts in a row pause the endpoint; its delivery waits, and goes out once an admin resumes it', async () => {
    const hook = await register('/down', ['task.timed_out'], [503]);
    await api('POST', `/api/v1/webhooks/${hook.id}/test`);
    const paused = await waitFor('the endpoint paused', () => api('GET', `/api/v1/webhooks/${hook.id}`), {
      until: (r) => r.body.paused === true,
      timeoutMs: 30_000,
    });
    expect(paused.body.consecutiveFailures).toBe(3);
    expect(paused.body.pauseReason).toMatch(/3 failed attempts in a row; last: HTTP 503/);
    const [audit] = await q(
      "SELECT actor, summary FROM audit_log WHERE action = 'webhook.endpoint.paused' AND object_id = ?",
      [String(hook.id)],
    );
    expect(audit).toMatchObject({ actor: 'system', summary: 'paused after 3 failed attempts in a row' });
    // held, not failed: pending until the endpoint is resumed
    const [d] = await waitFor(
      'the delivery held',
      () => q('SELECT uid, state, attempts FROM webhook_deliveries WHERE endpoint_id = ?', [hook.id]),
      { until: (r) => r[0]?.state === 'pending', timeoutMs: 10_000 },
    );
    expect(d.attempts).toBe(3);
    await kick();
    expect(rx.at('/down')).toHaveLength(3);

    rx.answer('/down', [200]);
    const resumed = await api('POST', `/api/v1/webhooks/${hook.id}/resume`);
    expect(resumed.body).toMatchObject({ paused: false, consecutiveFailures: 0 });
    await waitFor(
      'delivered after resume',
      () => q('SELECT state, attempts FROM webhook_deliveries WHERE uid = ?', [d.uid]),
      { until: (r) => r[0].state === 'succeeded', timeoutMs: 30_000 },
    );
    expect(rx.at('/down').map((r) => r.status)).toEqual([503, 503, 503, 200]);
    const actions = await q(
      "SELECT action FROM audit_log WHERE object_type = 'webhook_endpoint' AND object_id = ? ORDER BY id",
      [String(hook.id)],
    );
    expect(actions.map((a) => a.action)).toEqual([
      'webhook.endpoint.created',
      'webhook.test_sent',
      'webhook.endpoint.paused',
      'webhook.endpoint.resumed',
    ]);
  }, 60_000);

  it('an AP that connects and disconnects delivers ap.online then ap.offline', async () => {
    await register('/presence', ['ap.online', 'ap.offline']);
    const g = await f.newGroup();
    const client = await connectDevice(f, g, 'DEVX');
    const clientId = `${g.groupId}@@@DEVX`;
    const online = await waitFor(
      'ap.online',
      async () => rx.at('/presence', 'ap.online').filter((r) => r.json.data.clientId === clientId),
      { until: (l) => l.length > 0, timeoutMs: 30_000 },
    );
    expect(online[0].json.data).toMatchObject({ clientId, groupId: g.groupId, deviceId: 'DEVX' });
    await new Promise<void>((r) => client.end(false, {}, () => r()));
    const offline = await waitFor(
      'ap.offline',
      async () => rx.at('/presence', 'ap.offline').filter((r) => r.json.data.clientId === clientId),
      { until: (l) => l.length > 0, timeoutMs: 30_000 },
    );
    expect(offline[0].signatureValid).toBe(true);
    expect(offline[0].json.data).toMatchObject({ clientId, groupId: g.groupId, reason: 'clean' });
  }, 60_000);

  it('APs of a broker node that stopped answering deliver ap.offline with reason node_lost', async () => {
    const g = await f.newGroup();
    const clientId = `${g.groupId}@@@GHOST`;
    // online on a node whose heartbeat is gone (it never had one)
    await q(
      "INSERT INTO aps (client_id, group_id, device_id, online, broker_node) VALUES (?, ?, 'GHOST', 1, 'ghost-node')",
      [clientId, g.groupId],
    );
    const sweeper = new StalePresenceSweeper(f.platform.ctx);
    expect(await sweeper.sweep()).toBe(1);
    const [got] = await waitFor(
      'ap.offline of the lost node',
      async () => rx.at('/presence', 'ap.offline').filter((r) => r.json.data.clientId === clientId),
      { until: (l) => l.length > 0, timeoutMs: 30_000 },
    );
    expect(got.signatureValid).toBe(true);
    expect(got.json.data).toMatchObject({
      clientId,
      groupId: g.groupId,
      deviceId: 'GHOST',
      reason: 'node_lost',
    });
  }, 60_000);

  it('a receiver holding another secret sees the signature fail; with the right one it passes', async () => {
    const secret = 'admin-chosen-secret-0123456789';
    const hook = await register('/wrong', ['task.timed_out'], [200], secret);
    expect(hook.secret).toBe(secret);
    rx.setSecret('/wrong', 'some-other-secret-9876543210');
    await api('POST', `/api/v1/webhooks/${hook.id}/test`);
    const [r] = await waitFor('the test event', async () => rx.at('/wrong'), {
      until: (l) => l.length > 0,
      timeoutMs: 30_000,
    });
    expect(r.signatureValid).toBe(false);
    const { verify } = await import('./receiver.js');
    expect(verify(secret, r.body, r.headers['x-esl-signature'] as string)).toBe(true);
    // a body changed on the way fails with the right secret too
    expect(
      verify(secret, r.body.replace('webhook.test', 'webhook.tset'), r.headers['x-esl-signature'] as string),
    ).toBe(false);
    // rotating the secret: new deliveries are signed with the new one
    const rot = await api('POST', `/api/v1/webhooks/${hook.id}/rotate-secret`);
    expect(rot.body.secret).toMatch(/^whsec_/);
    await api('POST', `/api/v1/webhooks/${hook.id}/test`);
    const got = await waitFor('the second test event', async () => rx.at('/wrong'), {
      until: (l) => l.length > 1,
      timeoutMs: 30_000,
    });
    expect(verify(rot.body.secret, got[1].body, got[1].headers['x-esl-signature'] as string)).toBe(true);
    expect(verify(secret, got[1].body, got[1].headers['x-esl-signature'] as string)).toBe(false);
  }, 60_000);

  it('a queued delivery whose job Redis lost is queued again and delivered', async () => {
    const hook = await register('/lost', ['task.timed_out']);
    // an event whose delivery is marked queued with no job behind it, as after a Redis flush
    await q('UPDATE webhook_endpoints SET paused_at = NOW(3) WHERE id = ?', [hook.id]);
    await api('POST', `/api/v1/webhooks/${hook.id}/test`);
    const [d] = await q('SELECT id, uid, generation FROM webhook_deliveries WHERE endpoint_id = ?', [
      hook.id,
    ]);
    await q(
      "UPDATE webhook_deliveries SET state = 'queued', generation = 7, queued_at = NOW(3) - INTERVAL 2 MINUTE WHERE id = ?",
      [d.id],
    );
    await q('UPDATE webhook_endpoints SET paused_at = NULL WHERE id = ?', [hook.id]);
    const queue = openDeliveryQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
    expect(await queue.getJob(deliveryJobId(String(d.id), 7))).toBeUndefined();
    await queue.close();
    const relay = f.platform.services.find(
      (s) => s.name === 'webhook-outbox-relay',
    ) as unknown as NonNullable<WebhooksPorts['relay']>;
    expect(await relay.recoverLost()).toBe(1);
    await waitFor('delivered', () => q('SELECT state FROM webhook_deliveries WHERE id = ?', [d.id]), {
      until: (r) => r[0].state === 'succeeded',
      timeoutMs: 30_000,
    });
    expect(rx.at('/lost').map((r) => r.headers['x-esl-delivery'])).toEqual([d.uid]);
  }, 60_000);

  it('answers in the shapes the OpenAPI document describes', async () => {
    const doc = await (await fetch(`${f.platform.baseUrl}/api/v1/openapi.json`)).json();
    const props = (id: string) => Object.keys(doc.components.schemas[id].properties).sort();
    const list = await api('GET', '/api/v1/webhooks');
    expect(list.body.webhooks.length).toBeGreaterThan(0);
    for (const w of list.body.webhooks) expect(Object.keys(w).sort()).toEqual(props('WebhookEndpoint'));
    expect(JSON.stringify(list.body)).not.toMatch(/secret/i);
    const created = await register('/shape', ['ap.online']);
    expect(Object.keys(created).sort()).toEqual(props('WebhookEndpointWithSecret'));
    // an endpoint with two deliveries or more, to page through by cursor
    let page: Awaited<ReturnType<typeof api>> | undefined;
    let hookId = '';
    for (const w of list.body.webhooks as { id: string }[]) {
      const pg = await api('GET', `/api/v1/webhooks/${w.id}/deliveries?limit=1`);
      if (pg.body.nextCursor) {
        page = pg;
        hookId = w.id;
        break;
      }
    }
    expect(page, 'an endpoint with two deliveries').toBeDefined();
    expect(Object.keys(page!.body).sort()).toEqual(props('WebhookDeliveryPage'));
    expect(Object.keys(page!.body.deliveries[0]).sort()).toEqual(props('WebhookDelivery'));
    const next = await api(
      'GET',
      `/api/v1/webhooks/${hookId}/deliveries?limit=1&cursor=${page!.body.nextCursor}`,
    );
    expect(next.body.deliveries).toHaveLength(1);
    expect(next.body.deliveries[0].id).not.toBe(page!.body.deliveries[0].id);
    const patched = await api('PATCH', `/api/v1/webhooks/${created.id}`, {
      enabled: false,
      events: ['ap.online', 'ap.offline'],
    });
    expect(patched.body).toMatchObject({ enabled: false, events: ['ap.offline', 'ap.online'] });
    const test = await api('POST', `/api/v1/webhooks/${created.id}/test`);
    expect(test.status).toBe(400);
    expect(test.body.error.message).toMatch(/disabled/);
    expect((await api('DELETE', `/api/v1/webhooks/${created.id}`)).status).toBe(204);
    expect((await api('GET', `/api/v1/webhooks/${created.id}`)).status).toBe(404);
  });

  it('a create replayed under its Idempotency-Key answers the same endpoint without storing the secret', async () => {
    const post = () =>
      fetch(`${f.platform.baseUrl}/api/v1/webhooks`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'idempotency-key': 'hook-once-1',
        },
        body: JSON.stringify({ name: 'once', url: rx.path('/once', ''), events: ['ap.online'] }),
      });
    const first = await post();
    const a = await first.json();
    expect(first.status).toBe(201);
    expect(a.secret).toMatch(/^whsec_/);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const again = await post();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ ...a, secret: null });
    const stored = await q("SELECT response FROM idempotency_keys WHERE idem_key = 'hook-once-1'");
    expect(String(stored[0].response)).not.toContain(a.secret);
    expect(await q("SELECT id FROM webhook_endpoints WHERE name = 'once'")).toHaveLength(1);
  });

  it('deletes finished deliveries and their events after the retention period, never waiting ones', async () => {
    const hook = await register('/old', ['task.timed_out']);
    await q('UPDATE webhook_endpoints SET paused_at = NOW(3) WHERE id = ?', [hook.id]);
    await api('POST', `/api/v1/webhooks/${hook.id}/test`); // held: pending
    await q('UPDATE webhook_endpoints SET paused_at = NULL WHERE id = ?', [hook.id]);
    const [held] = await q('SELECT id, event_id FROM webhook_deliveries WHERE endpoint_id = ?', [hook.id]);
    await api('POST', `/api/v1/webhooks/${hook.id}/test`);
    const done = await waitFor(
      'both delivered',
      () =>
        q("SELECT id, event_id FROM webhook_deliveries WHERE endpoint_id = ? AND state = 'succeeded'", [
          hook.id,
        ]),
      { until: (r) => r.length === 2, timeoutMs: 30_000 },
    );
    // hold the endpoint first (else the relay may queue the delivery again before the purge), then
    // pretend a held one is still waiting, and age everything of this endpoint by 40 days
    await q('UPDATE webhook_endpoints SET paused_at = NOW(3) WHERE id = ?', [hook.id]);
    await q("UPDATE webhook_deliveries SET state = 'pending' WHERE id = ?", [held.id]);
    await q(
      `UPDATE webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
       SET d.created_at = d.created_at - INTERVAL 40 DAY, e.created_at = e.created_at - INTERVAL 40 DAY WHERE d.endpoint_id = ?`,
      [hook.id],
    );
    const relay = f.platform.services.find(
      (s) => s.name === 'webhook-outbox-relay',
    ) as unknown as NonNullable<WebhooksPorts['relay']>;
    const deleted = await relay.purge();
    expect(deleted).toBeGreaterThanOrEqual(2); // one delivery and its event, at least
    const left = await q('SELECT id, state FROM webhook_deliveries WHERE endpoint_id = ?', [hook.id]);
    expect(left).toEqual([{ id: held.id, state: 'pending' }]);
    expect(await q('SELECT id FROM webhook_events WHERE id = ?', [held.event_id])).toHaveLength(1);
    const gone = done.map((d) => d.id).filter((id) => id !== held.id);
    expect(await q('SELECT id FROM webhook_attempts WHERE delivery_id IN (?)', [gone])).toEqual([]);
  }, 60_000);

  it('refuses bad input with the field named', async () => {
    const bad = await api('POST', '/api/v1/webhooks', {
      name: 'x',
      url: 'ftp://example.com/x',
      events: ['task.completed'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.url).toMatch(/only http/);
    const ev = await api('POST', '/api/v1/webhooks', {
      name: 'x',
      url: 'https://example.com/x',
      events: ['task.exploded'],
    });
    expect(ev.status).toBe(400);
    expect(Object.keys(ev.body.error.fields)[0]).toMatch(/^events/);
    const short = await api('POST', '/api/v1/webhooks', {
      name: 'x',
      url: 'https://example.com/x',
      events: ['ap.online'],
      secret: 'short',
    });
    expect(short.status).toBe(400);
    expect(short.body.error.fields.secret).toBeTruthy();
    // a key without the admin scope may not
    const ops = (
      await new ApiKeysService(f.platform.ctx.pool).issue(SYSTEM_ACTOR, null, {
        name: 'ops',
        scopes: ['prices:write'],
      })
    ).key;
    const res = await fetch(`${f.platform.baseUrl}/api/v1/webhooks`, {
      headers: { authorization: `Bearer ${ops}` },
    });
    expect(res.status).toBe(403);
  });
});
