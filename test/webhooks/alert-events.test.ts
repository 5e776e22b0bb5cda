// Alerts as webhook events over a whole platform (real MariaDB, Redis, the platform's broker, a
// simulated AP on a real socket): the worker opens an alert for an AP offline past its threshold
// (alert.fired), an operator acknowledges it (alert.acknowledged), and it resolves when the AP
// returns (alert.resolved). Each event reaches a local receiver that checks the signature, and
// is written in the transaction of the alert's change: a refused change records none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { adminClient, newUserClient } from '../support/web-client.js';
import { seedStore } from '../tasks/support/fixtures.js';
import { signedSimAp } from '../tasks/support/fleet.js';
import { waitFor } from '../support/wait.js';
import { Receiver } from './receiver.js';

let f: BrokerFixture;
let rx: Receiver;
let key = '';
let ap: SimAp;
let storeCode = '';

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

beforeAll(async () => {
  f = await startBroker({ ALERT_INTERVAL_MS: '300', WEBHOOK_RELAY_INTERVAL_MS: '100' });
  rx = await new Receiver().start();
  key = (
    await new ApiKeysService(f.platform.ctx.pool).issue(SYSTEM_ACTOR, null, {
      name: 'alerts hook admin',
      scopes: ['admin'],
    })
  ).key;
  const g = await f.newGroup();
  const s = await seedStore(f.platform.ctx.pool, { products: 2, labelsPerProduct: 1, groupId: g.groupId });
  storeCode = String((await q('SELECT code FROM stores WHERE id = ?', [s.storeId]))[0].code);
  ap = signedSimAp(f, g, 'AP0', { labels: s.labelIds });
  await ap.start();
});
afterAll(async () => {
  await ap?.stop();
  await rx?.close();
  await f?.close();
});

describe('alerts as webhook events', () => {
  it('are event types an endpoint can subscribe to', async () => {
    const bad = await api('POST', '/api/v1/webhooks', {
      name: 'typo',
      url: rx.path('/typo', ''),
      events: ['alert.fried'],
    });
    expect(bad.status).toBe(400);
    const doc = await (await fetch(`${f.platform.baseUrl}/api/v1/openapi.json`)).text();
    for (const t of ['alert.fired', 'alert.acknowledged', 'alert.resolved']) expect(doc).toContain(t);
  });

  it('fire, acknowledge and resolve reach the receiver signed, one event per change', async () => {
    const r = await api('POST', '/api/v1/webhooks', {
      name: 'alerts',
      url: rx.path('/alerts', ''),
      events: ['alert.fired', 'alert.acknowledged', 'alert.resolved'],
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    rx.setSecret('/alerts', r.body.secret);
    const admin = await adminClient(f.platform);
    const rules = await admin.post(
      '/alerts/rules',
      {
        ap_offline_minutes: '0.01',
        ap_offline_minutes_on: '1',
        battery_below_mv: '2500',
        task_will_miss_labels: '1',
        mismatch_minutes: '30',
        failure_rate_percent: '5',
      },
      '/alerts/rules',
    );
    expect(rules.status).toBe(302);

    const clientId = ap.opts.clientId;
    await waitFor('AP online', () => q('SELECT online FROM aps WHERE client_id = ?', [clientId]), {
      until: (x) => x[0]?.online === 1,
      timeoutMs: 30_000,
    });
    await ap.stop();
    const [fired] = await waitFor(
      'alert.fired at the receiver',
      async () => rx.at('/alerts', 'alert.fired'),
      {
        until: (l) => l.length > 0,
        timeoutMs: 30_000,
      },
    );
    expect(fired.signatureValid).toBe(true);
    expect(fired.headers['x-esl-event']).toBe('alert.fired');
    const alertId = String(fired.json.data.alertId);
    const [row] = await q('SELECT kind, subject, state FROM alerts WHERE id = ?', [alertId]);
    expect(fired.json.data).toMatchObject({
      alertId,
      kind: 'ap_offline_minutes',
      subject: clientId,
      state: 'open',
      stores: [storeCode],
      by: 'system',
    });
    expect(row).toMatchObject({ kind: 'ap_offline_minutes', subject: clientId });

    const op = await newUserClient(f.platform, 'operator', 'alert-hook-op');
    expect((await op.post(`/alerts/${alertId}/acknowledge`, {}, '/alerts')).status).toBe(302);
    // a second acknowledgement is refused (409) and its transaction records no event
    expect((await op.post(`/alerts/${alertId}/acknowledge`, {}, '/alerts')).status).toBe(409);
    const [ack] = await waitFor('alert.acknowledged', async () => rx.at('/alerts', 'alert.acknowledged'), {
      until: (l) => l.length > 0,
      timeoutMs: 30_000,
    });
    expect(ack.signatureValid).toBe(true);
    expect(ack.json.data).toMatchObject({ alertId, state: 'acknowledged', by: 'alert-hook-op' });

    await ap.start();
    const [resolved] = await waitFor('alert.resolved', async () => rx.at('/alerts', 'alert.resolved'), {
      until: (l) => l.length > 0,
      timeoutMs: 30_000,
    });
    expect(resolved.signatureValid).toBe(true);
    expect(resolved.json.data).toMatchObject({
      alertId,
      state: 'resolved',
      by: 'system',
      stores: [storeCode],
    });
    expect(await q('SELECT state FROM alerts WHERE id = ?', [alertId])).toEqual([{ state: 'resolved' }]);

    // exactly one outbox event per change of this alert, in the order of the changes
    const events = await q(
      "SELECT type FROM webhook_events WHERE JSON_UNQUOTE(JSON_EXTRACT(body, '$.data.alertId')) = ? ORDER BY id",
      [alertId],
    );
    expect(events.map((e) => e.type)).toEqual(['alert.fired', 'alert.acknowledged', 'alert.resolved']);
  });
});
