// Label commands over the platform's own broker (docs/ap-protocol.md section 12): a command goes
// over P2P to the label's serving AP and is acked on its ack topic; an offline AP fails it at
// once with the reason, an AP that never answers lets it time out, a v1 AP without the caps gets
// nothing and the request is refused; bad input is a 400 naming the field. Real MariaDB, Redis,
// MQTT sockets and simulated APs.
import crypto from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { queryRows } from '../../server/db/query.js';
import { SimAp } from '../../sim/sim-ap.js';
import { connectDevice, inbox, startBroker, type BrokerFixture } from '../support/mqtt.js';
import { WebClient } from '../support/web-client.js';
import { seedStore, type SeededStore } from '../tasks/support/fixtures.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: { groupId: string; accessKeyId: string; secret: string };
let s: SeededStore;
let admin: WebClient;
let writeKey: string;
let readKey: string;
let ap: SimAp;
let v1: MqttClient;
let silent: MqttClient;
const L: string[] = [];
const sku: string[] = [];

const q = <T extends object = Record<string, unknown>>(sql: string, args: unknown[] = []) =>
  queryRows<T>(f.platform.ctx.pool, sql, args);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
async function api(method: string, path: string, body?: unknown, key = writeKey) {
  const res = await fetch(f.platform.baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}
const commandState = (id: string, until: (c: Json) => boolean) =>
  waitFor(
    `command ${id}`,
    async () => (await api('GET', `/api/v1/label-commands/${id}`, undefined, readKey)).body,
    {
      until,
      timeoutMs: 60_000,
    },
  );
const status = (labels: string[], caps?: string[]) =>
  JSON.stringify({
    v: 1,
    type: 'status',
    ts: new Date().toISOString(),
    ...(caps ? { caps } : {}),
    labels: labels.map((labelId) => ({ labelId, battery: 2900, rssi: -60 })),
  });

beforeAll(async () => {
  f = await startBroker({ LABEL_COMMAND_ACK_SECONDS: '2', LABEL_COMMAND_SWEEP_MS: '200' });
  g = await f.newGroup();
  s = await seedStore(f.platform.ctx.pool, { products: 4, labelsPerProduct: 2, groupId: g.groupId });
  L.push(...s.labelIds);
  for (const r of await q<{ sku: string }>('SELECT sku FROM products WHERE id IN (?) ORDER BY id', [
    s.productIds,
  ]))
    sku.push(r.sku);
  // L1 is a two-page label
  await q("UPDATE labels SET model_code = 'bwy-420' WHERE label_id = ?", [L[1]]);

  admin = new WebClient(f.platform.baseUrl);
  await admin.login('admin', f.platform.adminPassword);
  const issue = async (scopes: string) => {
    const r = await admin.post('/admin/api-keys', { name: `k-${scopes}`, scopes }, '/admin/api-keys');
    return /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
  };
  writeKey = await issue('prices:write');
  readKey = await issue('tasks:read');

  // A: a simulated AP that takes label commands (L0, L1: product 0)
  const clientId = `${g.groupId}@@@CMD`;
  ap = new SimAp({
    url: f.url(),
    clientId,
    parentTopic: f.parent,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
    labels: [L[0], L[1]],
    caps: ['led', 'page'],
    statusIntervalMs: 60_000,
  });
  await ap.start();
  // a v1 AP: no caps (L2)
  v1 = await connectDevice(f, g, 'V1');
  inbox(v1);
  await v1.publishAsync(`${f.parent}/status/${g.groupId}/V1`, status([L[2]]), { qos: 1 });
  // an AP that declares led and never answers (L3)
  silent = await connectDevice(f, g, 'SILENT');
  inbox(silent);
  await silent.publishAsync(`${f.parent}/status/${g.groupId}/SILENT`, status([L[3]], ['led']), { qos: 1 });
  // an AP that declared led, then went away (L4)
  const gone = await connectDevice(f, g, 'GONE');
  await gone.publishAsync(`${f.parent}/status/${g.groupId}/GONE`, status([L[4]], ['led']), { qos: 1 });
  await new Promise<void>((r) => gone.end(false, {}, () => r()));
  // L5 (product 2) was never reported by any AP
  await waitFor(
    'serving APs recorded',
    () =>
      q<{ label_id: string; last_ap_client_id: string | null; online: number | null }>(
        `SELECT l.label_id, l.last_ap_client_id, a.online FROM labels l LEFT JOIN aps a ON a.client_id = l.last_ap_client_id
          WHERE l.label_id IN (?) ORDER BY l.label_id`,
        [L.slice(0, 5)],
      ),
    {
      until: (rows) =>
        rows.filter((r) => r.last_ap_client_id).length === 5 &&
        rows.find((r) => r.label_id === L[4])?.online === 0 &&
        rows.filter((r) => r.online === 1).length === 4,
      timeoutMs: 60_000,
    },
  );
}, 180_000);

afterAll(async () => {
  await ap?.stop();
  v1?.end(true);
  silent?.end(true);
  await f?.close();
});

describe('label commands over P2P', () => {
  it('a flash is sent to the serving AP, which lights the LED and acks it; every state change is audited', async () => {
    const r = await api('POST', `/api/v1/labels/${L[0]}/commands`, {
      command: 'flash',
      colour: 'green',
      pattern: 'fast',
      durationSeconds: 15,
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      labelId: L[0],
      command: 'flash',
      colour: 'green',
      ap: `${g.groupId}@@@CMD`,
    });
    expect(['queued', 'sent', 'acked']).toContain(r.body.state);
    const done = await commandState(r.body.id, (c) => c.state !== 'queued' && c.state !== 'sent');
    expect(done).toMatchObject({ state: 'acked', reason: null });
    expect(done.apResult.ledUntil).toEqual(expect.any(String));
    expect(ap.ledOn(L[0])).toMatchObject({ colour: 'green', pattern: 'fast', command: 'flash' });
    const audits = await q<{ action: string; actor: string }>(
      'SELECT action, actor FROM audit_log WHERE action LIKE ? AND refs LIKE ? ORDER BY id',
      ['label.command%', `%${L[0]}%`],
    );
    expect(audits.map((a) => a.action)).toEqual([
      'label.command.requested',
      'label.command.sent',
      'label.command.acked',
    ]);
    expect(audits[2].actor).toBe(`${g.groupId}@@@CMD`);
  });

  it('a page switch of a two-page label is acked with the page the label shows; a page it lacks is a 400', async () => {
    const r = await api('POST', `/api/v1/labels/${L[1]}/commands`, { command: 'page', page: 2 });
    expect(r.status).toBe(201);
    const done = await commandState(r.body.id, (c) => c.state === 'acked' || c.state === 'failed');
    expect(done).toMatchObject({ state: 'acked', page: 2, apResult: { page: 2 } });
    expect(ap.pages.get(L[1])).toBe(2);
    const bad = await api('POST', `/api/v1/labels/${L[1]}/commands`, { command: 'page', page: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.page).toMatch(/bwy-420 has 2 page/);
  });

  it('an offline AP: failed at once, with the reason', async () => {
    const r = await api('POST', `/api/v1/labels/${L[4]}/commands`, { command: 'find' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ state: 'failed', reason: 'ap_offline', ap: `${g.groupId}@@@GONE` });
    expect(r.body.message).toContain('offline');
    expect(r.body.finishedAt).toEqual(expect.any(String));
  });

  it('no serving AP: failed at once, with the reason', async () => {
    const r = await api('POST', `/api/v1/labels/${L[5]}/commands`, { command: 'flash' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ state: 'failed', reason: 'no_serving_ap', ap: null });
  });

  it('an AP that receives the command and never acks it: timed out (no ack within N s)', async () => {
    const r = await api('POST', `/api/v1/labels/${L[3]}/commands`, { command: 'flash', colour: 'blue' });
    expect(r.status).toBe(201);
    const done = await commandState(r.body.id, (c) => c.state === 'timed_out' || c.state === 'acked');
    expect(done).toMatchObject({ state: 'timed_out', reason: 'no_ack' });
    expect(done.message).toBe('No ack from the AP within 2 s.');
    // it did reach the AP, over its P2P topic
    const got = inbox(silent).filter((m) => m.topic === `${f.parent}/p2p/${g.groupId}@@@SILENT`);
    expect(got.map((m) => JSON.parse(m.payload))).toContainEqual(
      expect.objectContaining({
        v: 1,
        type: 'label.command',
        cmdId: r.body.cmdId,
        labelId: L[3],
        command: 'flash',
        led: { colour: 'blue', pattern: 'blink', durationSeconds: 10 },
      }),
    );
    const audits = await q<{ action: string }>(
      'SELECT action FROM audit_log WHERE action = ? AND refs LIKE ?',
      ['label.command.timed_out', `%${L[3]}%`],
    );
    expect(audits).toHaveLength(1);
  });

  it('a v1 AP without the caps: refused with a clear message, stored as refused, and it receives nothing', async () => {
    const r = await api('POST', `/api/v1/labels/${L[2]}/commands`, { command: 'flash' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('command_refused');
    expect(r.body.error.message).toBe(
      `The label's AP ${g.groupId}@@@V1 cannot do this: it does not declare the capability (a v1 AP without label commands).`,
    );
    expect(r.body.command).toMatchObject({ state: 'refused', reason: 'not_supported', labelId: L[2] });
    // A later command to another AP is acked, so anything sent to V1 would have arrived by now.
    const later = await api('POST', `/api/v1/labels/${L[0]}/commands`, { command: 'find' });
    await commandState(later.body.id, (c) => c.state === 'acked');
    expect(inbox(v1).filter((m) => m.payload.includes('label.command'))).toEqual([]);
  });

  it('bad input is a 400 naming the field, and nothing is stored', async () => {
    const before = await q<{ n: string }>('SELECT COUNT(*) AS n FROM label_commands');
    const cases: [unknown, string][] = [
      [{ command: 'flash', colour: 'purple' }, 'colour'],
      [{ command: 'flash', durationSeconds: 301 }, 'durationSeconds'],
      [{ command: 'flash', durationSeconds: 0 }, 'durationSeconds'],
      [{ command: 'flash', pattern: 'disco' }, 'pattern'],
      [{ command: 'dance' }, 'command'],
      [{ command: 'page' }, 'page'],
    ];
    for (const [body, field] of cases) {
      const r = await api('POST', `/api/v1/labels/${L[0]}/commands`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(Object.keys(r.body.error.fields)).toEqual([field]);
    }
    expect(
      (await api('POST', `/api/v1/labels/${L[0]}/commands`, { command: 'flash', colour: 'purple' })).body
        .error.fields.colour,
    ).toBe('must be one of red, green, blue, yellow, cyan, magenta, white');
    expect((await api('POST', '/api/v1/labels/NO-SUCH-LABEL/commands', { command: 'flash' })).status).toBe(
      404,
    );
    expect(await q<{ n: string }>('SELECT COUNT(*) AS n FROM label_commands')).toEqual(before);
  });

  it('an ack from another AP than the one the command went to is counted as forged and changes nothing', async () => {
    const r = await api('POST', `/api/v1/labels/${L[3]}/commands`, { command: 'flash' });
    await commandState(r.body.id, (c) => c.state === 'sent' || c.state === 'timed_out');
    const forged = JSON.stringify({
      v: 1,
      type: 'command.ack',
      cmdId: r.body.cmdId,
      labelId: L[3],
      status: 'ok',
    });
    await v1.publishAsync(`${f.parent}/ack/${g.groupId}/V1`, forged, { qos: 1 });
    const key = `${f.platform.config.REDIS_PREFIX}:uplink:rejected`;
    await waitFor('forged ack counted', () => f.platform.ctx.redis.hget(key, 'command_ack_forged'));
    const done = await commandState(r.body.id, (c) => c.state !== 'sent');
    expect(done.state).toBe('timed_out');
  });

  it('a command.ack that breaks the shape is counted as malformed and applied to nothing', async () => {
    const key = `${f.platform.config.REDIS_PREFIX}:uplink:rejected`;
    const before = Number((await f.platform.ctx.redis.hget(key, 'malformed_ack')) ?? 0);
    const bad = JSON.stringify({ v: 1, type: 'command.ack', cmdId: 'x', labelId: L[3], status: 'maybe' });
    await silent.publishAsync(`${f.parent}/ack/${g.groupId}/SILENT`, bad, { qos: 1 });
    await waitFor(
      'counted',
      async () => Number((await f.platform.ctx.redis.hget(key, 'malformed_ack')) ?? 0),
      {
        until: (n) => n === before + 1,
      },
    );
  });

  it("an AP's failed answer fails the command with the AP's error; a repeat of it changes nothing", async () => {
    const r = await api('POST', `/api/v1/labels/${L[3]}/commands`, { command: 'flash' });
    await commandState(r.body.id, (c) => c.state === 'sent' || c.state === 'timed_out');
    const failed = JSON.stringify({
      v: 1,
      type: 'command.ack',
      cmdId: r.body.cmdId,
      labelId: L[3],
      status: 'failed',
      error: 'label_unreachable',
    });
    await silent.publishAsync(`${f.parent}/ack/${g.groupId}/SILENT`, failed, { qos: 1 });
    const done = await commandState(r.body.id, (c) => c.state !== 'sent');
    expect(done).toMatchObject({ state: 'failed', reason: 'ap_error', apError: 'label_unreachable' });
    const ok = JSON.stringify({
      v: 1,
      type: 'command.ack',
      cmdId: r.body.cmdId,
      labelId: L[3],
      status: 'ok',
    });
    await silent.publishAsync(`${f.parent}/ack/${g.groupId}/SILENT`, ok, { qos: 1 });
    // a later command of the same AP is applied after it, so the repeat was handled by then
    const next = await api('POST', `/api/v1/labels/${L[0]}/commands`, { command: 'flash' });
    await commandState(next.body.id, (c) => c.state === 'acked');
    expect((await api('GET', `/api/v1/label-commands/${r.body.id}`, undefined, readKey)).body.state).toBe(
      'failed',
    );
  });

  it('a queued command whose job was lost (Redis away when it was asked for) is sent by the sweep', async () => {
    const uid = crypto.randomUUID();
    await q(
      `INSERT INTO label_commands (uid, label_id, store_id, kind, colour, pattern, duration_s, state, ap_client_id, requested_by, created_at)
       VALUES (?, ?, ?, 'flash', 'cyan', 'solid', 5, 'queued', ?, 'test', NOW(3) - INTERVAL 10 SECOND)`,
      [uid, L[1], s.storeId, `${g.groupId}@@@CMD`],
    );
    const done = await commandState(uid, (c) => c.state === 'acked');
    expect(done.cmdId).toBe(uid);
    expect(ap.ledOn(L[1])).toMatchObject({ colour: 'cyan', pattern: 'solid' });
  });

  it("bulk: find all of a product's labels, each through its own AP", async () => {
    const r = await api('POST', `/api/v1/products/${encodeURIComponent(sku[0])}/label-commands`, {
      command: 'find',
      colour: 'yellow',
    });
    expect(r.status).toBe(201);
    expect(r.body.total).toBe(2);
    for (const c of r.body.items) await commandState(c.id, (x) => x.state === 'acked');
    for (const id of [L[0], L[1]])
      expect(ap.ledOn(id)).toMatchObject({ colour: 'yellow', pattern: 'locate' });
    // a product whose labels are served by the v1 AP and the silent one: refused and sent
    const mixed = await api('POST', `/api/v1/products/${encodeURIComponent(sku[1])}/label-commands`, {
      command: 'flash',
      store: 'NO-SUCH-STORE',
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.fields.store).toMatch(/unknown store/);
    const ok = await api('POST', `/api/v1/products/${encodeURIComponent(sku[1])}/label-commands`, {
      command: 'flash',
    });
    expect(ok.status).toBe(201);
    expect(ok.body.byState.refused).toBe(1);
    expect(ok.body.items.find((c: Json) => c.labelId === L[2]).reason).toBe('not_supported');
  });
});

describe('label commands in the UI', () => {
  it('the label page shows the buttons and the history; its form sends a command with CSRF', async () => {
    const page = await admin.get(`/catalog/labels/${L[0]}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-testid="label-commands"');
    expect(page.text).toContain('data-testid="flash-form"');
    const before = (page.text.match(/data-cmd="/g) ?? []).length;
    const noCsrf = await admin.request('POST', `/catalog/labels/${L[0]}/commands`, {
      form: { command: 'flash', colour: 'red' },
    });
    expect(noCsrf.status).toBe(403);
    const sent = await admin.post(`/catalog/labels/${L[0]}/commands`, {
      command: 'flash',
      colour: 'red',
      pattern: 'solid',
      durationSeconds: '5',
    });
    expect(sent.status).toBe(302);
    expect(sent.location).toBe(`/catalog/labels/${L[0]}`);
    const after = await waitFor(
      'acked in the history',
      async () => (await admin.get(`/catalog/labels/${L[0]}`)).text,
      {
        until: (t) =>
          (t.match(/data-cmd="/g) ?? []).length === before + 1 && !/data-state="(queued|sent)"/.test(t),
      },
    );
    expect(after).toMatch(/data-state="acked"/);
  });

  it("the product page's form flashes all its labels and lands on the batch's list", async () => {
    const page = await admin.get(`/catalog/products/${s.productIds[0]}`);
    expect(page.text).toContain('data-testid="bulk-form"');
    const r = await admin.post(`/catalog/products/${s.productIds[0]}/label-commands`, {
      command: 'flash',
      colour: 'magenta',
      pattern: 'blink',
      durationSeconds: '20',
      store: '',
    });
    expect(r.status).toBe(302);
    expect(r.location).toMatch(/^\/commands\?batch=[0-9a-f-]{36}$/);
    const list = await waitFor('both acked', async () => (await admin.get(r.location!)).text, {
      until: (t) => (t.match(/<tr data-cmd="[^"]+" data-state="acked"/g) ?? []).length === 2,
    });
    expect(list).toContain(L[0]);
    expect(list).toContain(L[1]);
    expect(ap.ledOn(L[0])).toMatchObject({ colour: 'magenta' });
    const bad = await admin.post(`/catalog/products/${s.productIds[0]}/label-commands`, {
      command: 'flash',
      durationSeconds: '999',
    });
    expect(bad.location).toBe(`/catalog/products/${s.productIds[0]}`);
    const shown = await admin.get(bad.location!);
    expect(shown.text).toContain('must be 1 to 300 seconds');
  });

  it("a v1 AP's label says its AP cannot do it and offers no active button", async () => {
    const page = await admin.get(`/catalog/labels/${L[2]}`);
    expect(page.text).toContain('data-testid="cmd-unsupported"');
    expect(page.text).toContain(`${g.groupId}@@@V1`);
    expect(page.text).toMatch(/<button type="submit" disabled>/);
  });

  it('an auditor sees the history but cannot send', async () => {
    await admin.createUser({ username: 'cmd-auditor', role: 'auditor', password: 'a-long-password-123' });
    const aud = new WebClient(f.platform.baseUrl);
    await aud.login('cmd-auditor', 'a-long-password-123');
    const page = await aud.get(`/catalog/labels/${L[0]}`);
    expect(page.text).toContain('data-testid="command-history"');
    expect(page.text).not.toContain('data-testid="flash-form"');
    const r = await aud.post(`/catalog/labels/${L[0]}/commands`, { command: 'flash' });
    expect(r.status).toBe(403);
  });
});
