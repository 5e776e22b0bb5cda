// The integrator's script of the API, all through /api/v1 with API keys: an admin key creates a
// store, registers and assigns a Group ID, upserts 1,000 products, creates and binds 1,000
// labels, registers a webhook and changes the prices; simulated APs confirm every label; the
// receiver gets task.completed with a valid signature; an auditor-scoped key then reads the audit
// evidence: who changed SKU X in store Y, when, through which task, and which labels confirmed it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { uid } from '../support/env.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';
import { signedSimAp } from '../tasks/support/fleet.js';
import { Receiver } from '../webhooks/receiver.js';

const N = 1000;
const FLEET = 4;
let f: BrokerFixture;
let rx: Receiver;
let adminKey = '';
let auditKey = '';
let readKey = '';
const aps: SimAp[] = [];

async function api(method: string, path: string, body?: unknown, key = adminKey) {
  const res = await fetch(f.platform.baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const issue = async (name: string, scopes: ('admin' | 'audit:read' | 'tasks:read')[]) =>
  (await new ApiKeysService(f.platform.ctx.pool).issue(SYSTEM_ACTOR, null, { name, scopes })).key;

beforeAll(async () => {
  f = await startBroker({ WEBHOOK_RELAY_INTERVAL_MS: '100' });
  rx = await new Receiver().start();
  adminKey = await issue('erp', ['admin']);
  auditKey = await issue('auditor', ['audit:read']);
  readKey = await issue('reader', ['tasks:read']);
});
afterAll(async () => {
  await Promise.all(aps.map((a) => a.stop()));
  await rx?.close();
  await f?.close();
});

describe('the integrator script through /api/v1', () => {
  it('sets up a store, changes 1,000 prices, gets task.completed, and reads the audit evidence', async () => {
    const code = `I${uid(3)}`;
    const groupId = `GID_${code}_A`;
    const sku = (i: number) => `ISKU-${code}-${String(i).padStart(4, '0')}`;
    const labelId = (i: number) => `IL-${code}-${i}`;

    expect(
      (await api('POST', '/api/v1/stores', { code, name: 'Integrator', timeZone: 'Asia/Shanghai' })).status,
    ).toBe(201);
    expect((await api('POST', '/api/v1/registry/groups', { groupId })).status).toBe(201);
    const key = await api('POST', '/api/v1/registry/access-keys', { groupIds: [groupId] });
    expect(key.status).toBe(201);
    expect((await api('POST', `/api/v1/stores/${code}/groups`, { groupId })).status).toBe(200);
    const products = await api('POST', '/api/v1/products', {
      items: Array.from({ length: N }, (_v, i) => ({
        sku: sku(i),
        name: `Product ${i}`,
        unit: 'pcs',
        currency: 'CNY',
      })),
    });
    expect(products.body).toMatchObject({ created: N });
    const labels = await api('POST', '/api/v1/labels', {
      items: Array.from({ length: N }, (_v, i) => ({ labelId: labelId(i), store: code, sku: sku(i) })),
    });
    expect(labels.body).toMatchObject({ created: N, bound: N });

    // the store's APs come online with their labels
    const g = { groupId, accessKeyId: key.body.accessKeyId, secret: key.body.accessKeySecret };
    for (let k = 0; k < FLEET; k++) {
      const ap = signedSimAp(f, g, `AP${k}`, {
        labels: Array.from({ length: N }, (_v, i) => labelId(i)).filter((_l, i) => i % FLEET === k),
      });
      await ap.start();
      aps.push(ap);
    }

    const url = rx.path('/erp', '', [200]);
    const hook = await api('POST', '/api/v1/webhooks', { name: 'erp', url, events: ['task.completed'] });
    expect(hook.status).toBe(201);
    rx.setSecret('/erp', hook.body.secret);

    const change = await api('POST', '/api/v1/price-changes', {
      changes: Array.from({ length: N }, (_v, i) => ({ sku: sku(i), store: code, price: '7.70' })),
    });
    expect(change.status).toBe(201);
    const taskId = String(change.body.taskIds[0]);
    const [done] = await waitFor(
      'task.completed at the receiver',
      async () => rx.at('/erp', 'task.completed').filter((r) => r.json.data.taskId === taskId),
      { until: (l) => l.length > 0, timeoutMs: 90_000 },
    );
    expect(done.signatureValid).toBe(true);
    expect(done.json.data).toMatchObject({ taskId, state: 'completed', items: { confirmed: N } });

    // the audit evidence of one SKU in the store, in one call, with the auditor's key
    const x = 421;
    const ev = await waitFor(
      'the evidence with its confirmation',
      () =>
        api('GET', `/api/v1/audit/evidence?sku=${sku(x)}&store=${code}&source=local`, undefined, auditKey),
      { until: (r) => r.status === 200 && r.body.confirmations.length > 0, timeoutMs: 20_000 },
    );
    const changeRec = ev.body.changes.find((c: { action: string }) => c.action === 'price.changed');
    expect(changeRec).toMatchObject({ actor: 'apikey:erp', actorRole: 'api', taskId });
    expect(changeRec.after).toMatchObject({ price: '7.70' });
    expect(ev.body.changes.map((c: { action: string }) => c.action)).toContain('label.bound');
    expect(ev.body.confirmations).toEqual([
      {
        recordId: expect.any(String),
        at: expect.any(String),
        taskId,
        ap: `${groupId}@@@AP${x % FLEET}`,
        labels: [labelId(x)],
      },
    ]);
    expect(ev.body.failures).toEqual([]);
    // the confirmation came after the change, and the record is the stored one
    expect(BigInt(ev.body.confirmations[0].recordId)).toBeGreaterThan(BigInt(changeRec.recordId));
    const rec = await api(
      'GET',
      `/api/v1/audit?task=${taskId}&action=task.items.confirmed&limit=1`,
      undefined,
      auditKey,
    );
    expect(rec.status).toBe(200);
    expect(rec.body.records).toHaveLength(1);
    expect(rec.body.records[0].refs).toContain(` store:${code} `);
    expect(rec.body.nextCursor).not.toBeNull();
    const next = await api(
      'GET',
      `/api/v1/audit?task=${taskId}&action=task.items.confirmed&limit=1&cursor=${rec.body.nextCursor}`,
      undefined,
      auditKey,
    );
    expect(BigInt(next.body.records[0].id)).toBeLessThan(BigInt(rec.body.records[0].id));

    // audit:read is its own scope: a tasks:read key may not read the trail, the auditor's key may not write
    expect((await api('GET', '/api/v1/audit', undefined, readKey)).status).toBe(403);
    expect(
      (await api('POST', '/api/v1/labels/unbind', { items: [{ labelId: labelId(0) }] }, auditKey)).status,
    ).toBe(403);

    // every call of the script is in the document
    const doc = await (await fetch(`${f.platform.baseUrl}/api/v1/openapi.json`)).json();
    for (const [path, method] of [
      ['/api/v1/stores', 'post'],
      ['/api/v1/registry/groups', 'post'],
      ['/api/v1/stores/{code}/groups', 'post'],
      ['/api/v1/products', 'post'],
      ['/api/v1/labels', 'post'],
      ['/api/v1/webhooks', 'post'],
      ['/api/v1/price-changes', 'post'],
      ['/api/v1/audit/evidence', 'get'],
      ['/api/v1/audit', 'get'],
    ])
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  }, 180_000);

  it('labels: health over the API, unbind and move in bulk, all or nothing, errors naming items[i].field', async () => {
    const code = `M${uid(3)}`;
    const other = `${code}B`;
    for (const c of [code, other]) {
      expect((await api('POST', '/api/v1/stores', { code: c, name: c, timeZone: 'UTC' })).status).toBe(201);
      expect((await api('POST', '/api/v1/registry/groups', { groupId: `GID_${c}_A` })).status).toBe(201);
      expect((await api('POST', `/api/v1/stores/${c}/groups`, { groupId: `GID_${c}_A` })).status).toBe(200);
    }
    await api('POST', '/api/v1/products', {
      items: [
        { sku: `${code}-1`, name: 'One' },
        { sku: `${code}-2`, name: 'Two' },
      ],
    });
    await api('POST', '/api/v1/price-changes', {
      changes: [{ sku: `${code}-2`, store: other, price: '2.00' }],
    });
    const ids = [1, 2, 3].map((i) => `ML-${code}-${i}`);
    await api('POST', '/api/v1/labels', {
      items: ids.map((labelId) => ({ labelId, store: code, sku: `${code}-1` })),
    });

    const health = await api('GET', `/api/v1/labels?store=${code}&limit=2`, undefined, readKey);
    expect(health.status).toBe(200);
    expect(health.body.labels.map((l: { labelId: string }) => l.labelId)).toEqual(ids.slice(0, 2));
    expect(health.body.labels[0]).toMatchObject({
      store: code,
      sku: `${code}-1`,
      batteryMv: null,
      servingAp: null,
      inSync: false,
    });
    const rest = await api(
      'GET',
      `/api/v1/labels?store=${code}&limit=2&cursor=${health.body.nextCursor}`,
      undefined,
      readKey,
    );
    expect(rest.body.labels.map((l: { labelId: string }) => l.labelId)).toEqual([ids[2]]);
    expect(rest.body.nextCursor).toBeNull();
    const some = await api('GET', `/api/v1/labels?labelId=${ids[0]},${ids[2]}`, undefined, readKey);
    expect(some.body.labels).toHaveLength(2);

    // one bad entry: nothing moves, each bad entry is named
    const bad = await api('POST', '/api/v1/labels/move', {
      items: [
        { labelId: ids[0], store: other, sku: `${code}-2` },
        { labelId: 'ML-NOPE', store: other },
        { labelId: ids[1], store: 'NOPE' },
        { labelId: ids[2] },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields).toEqual({
      'items[2].store': 'unknown store "NOPE"',
      'items[3]': 'give store, groupId or sku',
    });
    const missing = await api('POST', '/api/v1/labels/move', {
      items: [
        { labelId: ids[0], store: other, sku: `${code}-2` },
        { labelId: 'ML-NOPE', store: other },
      ],
    });
    expect(missing.body.error.fields).toEqual({ 'items[1].labelId': 'no label ML-NOPE' });
    const still = await api('GET', `/api/v1/labels?labelId=${ids[0]}`, undefined, readKey);
    expect(still.body.labels[0]).toMatchObject({ store: code, groupId: `GID_${code}_A`, sku: `${code}-1` });

    const moved = await api('POST', '/api/v1/labels/move', {
      items: [{ labelId: ids[0], store: other, sku: `${code}-2` }],
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ moved: 1, rebound: 1, unchanged: 0 });
    expect(moved.body.taskIds).toHaveLength(1); // priced in the new store: its content goes out
    const now = await api('GET', `/api/v1/labels?labelId=${ids[0]}`, undefined, readKey);
    expect(now.body.labels[0]).toMatchObject({ store: other, groupId: `GID_${other}_A`, sku: `${code}-2` });
    expect(now.body.labels[0].expectedHash).toMatch(/^[0-9a-f]{64}$/);

    const unbound = await api('POST', '/api/v1/labels/unbind', {
      items: [{ labelId: ids[1] }, { labelId: ids[2] }],
    });
    expect(unbound.body).toEqual({ unbound: 2, unchanged: 0 });
    const again = await api('POST', '/api/v1/labels/unbind', {
      items: [{ labelId: ids[1] }, { labelId: 'ML-NOPE' }],
    });
    expect(again.status).toBe(400);
    expect(again.body.error.fields).toEqual({ 'items[1].labelId': 'no label ML-NOPE' });
    const unb = await api('GET', `/api/v1/labels?store=${code}&bound=no`, undefined, readKey);
    expect(unb.body.labels.map((l: { labelId: string }) => l.labelId)).toEqual([ids[1], ids[2]]);

    // every change is in the trail, findable by the label's SKU and store
    const trail = await api('GET', `/api/v1/audit?label=${ids[0]}&source=local`, undefined, auditKey);
    const actions = trail.body.records.map((r: { action: string }) => r.action);
    expect(actions).toContain('label.moved');
    const ub = await api(
      'GET',
      `/api/v1/audit?action=label.unbound&sku=${code}-1&store=${code}&source=local`,
      undefined,
      auditKey,
    );
    expect(ub.body.records).toHaveLength(2);
  });
});
