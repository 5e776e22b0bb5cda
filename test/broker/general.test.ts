// The 'general' client class beyond the interoperability suite: an AccessKey's access policies
// and a token's topics decide exactly what a client may publish and subscribe, changes are
// audited and apply at once, P2P stays private to its target, Mosquitto's own clients work; and
// server-side applications: issued once, publishing tasks and reading acks, revoked with a kick.
import { execFile } from 'node:child_process';
import net from 'node:net';
import type { Aedes, Client } from 'aedes';
import type { MqttClient } from 'mqtt';
import mqttPacket, { generate, type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64, loadPlatformSecret } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import { queryRows } from '../../server/db/query.js';
import { uid } from '../support/env.js';
import {
  closed,
  connectDevice,
  grants,
  inbox,
  sleep,
  startBroker,
  tryConnect,
  type BrokerFixture,
} from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let P: string;
let adminKey: string;

beforeAll(async () => {
  f = await startBroker();
  P = f.parent;
  const keys = new ApiKeysService(f.platform.ctx.pool);
  adminKey = (await keys.issue(SYSTEM_ACTOR, null, { name: 'automation', scopes: ['admin'] })).key;
});
afterAll(async () => {
  await f?.close();
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${f.platform.baseUrl}/api/v1/registry${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

const audit = (objectId: string) =>
  queryRows<{ action: string; after_json: string | null }>(
    f.platform.ctx.pool,
    'SELECT action, after_json FROM audit_log WHERE object_id = ? ORDER BY id',
    [objectId],
  );

type Key = { groupId: string; accessKeyId: string; secret: string };

/** A general Group ID (through the REST API) and a key with the given policies. */
async function generalGroup(permissions: unknown[]): Promise<Key> {
  const groupId = `GID_${uid(4)}`;
  expect((await api('POST', '/groups', { groupId, clientClass: 'general' })).status).toBe(201);
  const k = await api('POST', '/access-keys', { groupIds: [groupId], permissions });
  expect(k.status).toBe(201);
  return { groupId, accessKeyId: String(k.json!.accessKeyId), secret: String(k.json!.accessKeySecret) };
}

const received = (c: MqttClient) => inbox(c);

describe('general clients', () => {
  it("may publish and subscribe exactly as the AccessKey's policies allow", async () => {
    const k = await generalGroup([
      { actions: ['publish'], topics: [`${P}/sensors/#`] },
      { actions: ['subscribe'], topics: [`${P}/sensors/+/temp`, `${P}/cmd/#`] },
    ]);
    const watcher = await generalGroup([{ actions: ['subscribe'], topics: [`${P}/#`] }]);
    const w = await connectDevice(f, watcher, 'w');
    const seen = received(w);
    await w.subscribeAsync(`${P}/#`, { qos: 1 });

    const c = await connectDevice(f, k, 'c');
    expect(
      await grants(c, [
        `${P}/sensors/a/temp`,
        `${P}/sensors/+/temp`,
        `${P}/cmd/x/y`,
        `${P}/sensors/#`,
        `${P}/sensors/a/hum`,
        `${P}/#`,
        `${P}/p2p/${k.groupId}@@@c`,
        `unknown/sensors/a/temp`,
        '#',
      ]),
    ).toEqual([1, 1, 1, 128, 128, 128, 128, 128, 128]);
    await c.publishAsync(`${P}/sensors/a/temp`, 'allowed', { qos: 1 });
    await c.publishAsync(`${P}/cmd/x`, 'not-allowed-qos1', { qos: 1 }); // acknowledged and dropped
    await c.publishAsync(`${P}/cmd/x`, 'not-allowed-qos2', { qos: 2 });
    await waitFor('the allowed message', () => seen.some((m) => m.payload === 'allowed'));
    await sleep(300);
    expect(seen.map((m) => m.payload)).toEqual(['allowed']);
    expect(c.connected).toBe(true);
    await c.endAsync();
    await w.endAsync();

    // a key without policies connects but may do nothing on a general Group ID
    const none = await generalGroup([]);
    const n = await connectDevice(f, none, 'n');
    expect(await grants(n, [`${P}/sensors/a/temp`])).toEqual([128]);
    await n.endAsync();
  });

  it('gives a token its R/W rights on its topics only, and refuses a device credential (5) and a will it may not publish (5)', async () => {
    const k = await generalGroup([]);
    const r = await api('POST', '/tokens', { accessKeyId: k.accessKeyId, perms: 'R', topics: [`${P}/t/#`] });
    const w = await api('POST', '/tokens', { accessKeyId: k.accessKeyId, perms: 'W', topics: [`${P}/t/w`] });
    expect(r.json!.topics).toEqual([`${P}/t/#`]);
    const clientId = `${k.groupId}@@@tok`;
    const withToken = (password: string, extra = {}) =>
      tryConnect(f.url(), {
        clientId,
        username: `Token|${k.accessKeyId}|${f.broker.instanceId}`,
        password,
        ...extra,
      });
    const both = (await withToken(`R|${String(r.json!.token)}|W|${String(w.json!.token)}`)).client!;
    const got = received(both);
    expect(await grants(both, [`${P}/t/+`, `${P}/u`])).toEqual([1, 128]);
    await both.publishAsync(`${P}/t/w`, 'written', { qos: 1 });
    await both.publishAsync(`${P}/t/other`, 'outside-W', { qos: 1 });
    await waitFor('own message', () => got.some((m) => m.payload === 'written'));
    await sleep(300);
    expect(got.map((m) => m.payload)).toEqual(['written']);
    await both.endAsync();

    const readOnly = (await withToken(`R|${String(r.json!.token)}`)).client!;
    const got2 = received(readOnly);
    await readOnly.subscribeAsync(`${P}/t/#`, { qos: 1 });
    await readOnly.publishAsync(`${P}/t/w`, 'no-W', { qos: 1 });
    await sleep(300);
    expect(got2).toEqual([]);
    await readOnly.endAsync();

    const will = { topic: `${P}/t/x`, payload: Buffer.from('x'), qos: 0 as const, retain: false };
    expect((await withToken(`W|${String(w.json!.token)}`, { will })).code).toBe(5);
    expect(
      (await withToken(`W|${String(w.json!.token)}`, { will: { ...will, topic: `${P}/t/w` } })).code,
    ).toBe(0);

    const dc = await f.registry.issueDeviceCredential(SYSTEM_ACTOR, { clientId: `${k.groupId}@@@dev` });
    const viaCredential = await tryConnect(f.url(), {
      clientId: dc.clientId,
      username: `DeviceCredential|${dc.deviceAccessKeyId}|${f.broker.instanceId}`,
      password: hmacB64(dc.deviceAccessKeySecret, dc.clientId),
    });
    expect(viaCredential.code).toBe(5);
  });

  it('applies a changed policy and a changed client class at once, audited, disconnecting the clients', async () => {
    const k = await generalGroup([{ actions: ['subscribe'], topics: [`${P}/a/#`] }]);
    const c = await connectDevice(f, k, 'p');
    expect(await grants(c, [`${P}/b/x`])).toEqual([128]);
    const set = await api('PUT', `/access-keys/${k.accessKeyId}/permissions`, {
      permissions: [{ actions: ['subscribe'], topics: [`${P}/b/#`] }],
    });
    expect(set.status).toBe(200);
    await closed(c);
    const again = await connectDevice(f, k, 'p');
    expect(await grants(again, [`${P}/b/x`, `${P}/a/x`])).toEqual([1, 128]);
    expect((await audit(k.accessKeyId)).map((a) => a.action)).toContain(
      'mqtt.access_key.permissions_changed',
    );
    expect(
      (await api('PUT', `/access-keys/${k.accessKeyId}/permissions`, { permissions: [{ actions: ['x'] }] }))
        .status,
    ).toBe(400);

    // back to the AP rules: the same key may only use the device contract's topics
    expect((await api('PUT', `/groups/${k.groupId}/class`, { clientClass: 'ap' })).json).toEqual({
      groupId: k.groupId,
      clientClass: 'ap',
    });
    await closed(again);
    const ap = await connectDevice(f, k, 'p');
    expect(await grants(ap, [`${P}/b/x`, `${P}/task/${k.groupId}`])).toEqual([128, 1]);
    await ap.endAsync();
    const changes = (await audit(k.groupId)).filter((a) => a.action === 'mqtt.group.class_changed');
    expect(changes.map((a) => JSON.parse(a.after_json!) as unknown)).toEqual([{ clientClass: 'ap' }]);
    const groups = (await api('GET', '/groups')).json!.items as { groupId: string; clientClass: string }[];
    expect(groups.find((x) => x.groupId === k.groupId)?.clientClass).toBe('ap');
  });

  it('grants a persistent session QoS 1 for QoS 2 (the table has no QoS 2 offline), also for a SUBSCRIBE sent with the CONNECT', async () => {
    const k = await generalGroup([{ actions: ['subscribe'], topics: [`${P}/q/#`] }]);
    const suback = async (clean: boolean) => {
      const clientId = `${k.groupId}@@@q${clean ? 'c' : 'p'}`;
      const s = net.connect(f.broker.ports.tcp!, '127.0.0.1');
      const packets: Packet[] = [];
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on('packet', (pk) => packets.push(pk));
      s.on('data', (d) => parser.parse(d));
      s.on('error', () => {});
      await new Promise<void>((r) => s.once('connect', () => r()));
      // one write: the SUBSCRIBE is behind the CONNECT in the same read, queued until CONNACK
      s.write(
        Buffer.concat([
          generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clean,
            keepalive: 60,
            clientId,
            username: `Signature|${k.accessKeyId}|${f.broker.instanceId}`,
            password: Buffer.from(hmacB64(k.secret, clientId)),
          }),
          generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: `${P}/q/+`, qos: 2 }] }),
        ]),
      );
      const ack = await waitFor('SUBACK', () => packets.find((pk) => pk.cmd === 'suback'));
      s.destroy();
      return (ack as Packet & { granted: number[] }).granted;
    };
    expect(await suback(false)).toEqual([1]);
    expect(await suback(true)).toEqual([2]);
  });

  it('records no AP for a general client, as it does for an AP', async () => {
    const apGroup = await f.newGroup();
    const k = await generalGroup([{ actions: ['subscribe'], topics: [`${P}/#`] }]);
    const aps = (groupId: string) =>
      queryRows<{ client_id: string }>(f.platform.ctx.pool, 'SELECT client_id FROM aps WHERE group_id = ?', [
        groupId,
      ]);
    const general = await connectDevice(f, k, 'sensor');
    const ap = await connectDevice(f, apGroup, 'ap');
    await waitFor('the AP recorded', async () => (await aps(apGroup.groupId)).length === 1);
    await sleep(500);
    expect(await aps(k.groupId)).toEqual([]);
    await general.endAsync();
    await ap.endAsync();
  });

  it('delivers a P2P message only to its target, whatever the wildcard subscriptions of others', async () => {
    const k = await generalGroup([{ actions: ['publish', 'subscribe'], topics: [`${P}/#`] }]);
    const spy = await connectDevice(f, k, 'spy');
    const spied = received(spy);
    await spy.subscribeAsync({ [`${P}/#`]: { qos: 1 }, [`${P}/+/+`]: { qos: 1 } });
    const target = await connectDevice(f, k, 'target');
    const got = received(target);
    await waitFor('target online', async () => (await f.broker.lookup(`${k.groupId}@@@target`)) !== null);
    // from the platform and from a general client allowed to publish it
    await f.broker.publish(`${P}/p2p/${k.groupId}@@@target`, 'from-platform', 1);
    await spy.publishAsync(`${P}/p2p/${k.groupId}@@@target`, 'from-peer', { qos: 1 });
    await spy.publishAsync(`${P}/open/x`, 'sentinel', { qos: 1 });
    await waitFor('both P2P messages', () => got.length >= 2);
    await waitFor('the sentinel', () => spied.some((m) => m.payload === 'sentinel'));
    await sleep(300);
    expect(got.map((m) => m.payload).sort()).toEqual(['from-peer', 'from-platform']);
    expect(spied.map((m) => m.payload)).toEqual(['sentinel']);
    await spy.endAsync();
    await target.endAsync();
  });

  it('speaks to mosquitto_pub and mosquitto_sub: retained, QoS 2, and a refused topic dropped', async () => {
    const k = await generalGroup([{ actions: ['publish', 'subscribe'], topics: [`${P}/m/#`] }]);
    const run = (cmd: string, args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(cmd, args, { timeout: 40_000 }, (err, out) => (err ? reject(err) : resolve(out))),
      );
    const cid = (d: string) => `${k.groupId}@@@${d}`;
    const common = (d: string) => [
      '-h',
      '127.0.0.1',
      '-p',
      String(f.broker.ports.tcp),
      '-i',
      cid(d),
      '-u',
      `Signature|${k.accessKeyId}|${f.broker.instanceId}`,
      '-P',
      hmacB64(k.secret, cid(d)),
      '-V',
      'mqttv311',
    ];
    await run('/usr/bin/mosquitto_pub', [
      ...common('mp1'),
      '-t',
      `${P}/m/a`,
      '-m',
      'retained-one',
      '-q',
      '1',
      '-r',
    ]);
    const aedes = (f.broker as unknown as { aedes: Aedes }).aedes;
    const subscribed = new Promise<void>((resolve) => {
      const on = (_subs: unknown, client: Client | null) => {
        if (client?.id !== cid('ms')) return;
        aedes.off('subscribe', on);
        resolve();
      };
      aedes.on('subscribe', on);
    });
    const sub = run('/usr/bin/mosquitto_sub', [
      ...common('ms'),
      '-t',
      `${P}/m/+`,
      '-q',
      '2',
      '-C',
      '2',
      '-W',
      '30',
      '-v',
    ]);
    await Promise.race([subscribed, sub]);
    await run('/usr/bin/mosquitto_pub', [...common('mp2'), '-t', `${P}/x`, '-m', 'refused', '-q', '1']);
    await run('/usr/bin/mosquitto_pub', [...common('mp3'), '-t', `${P}/m/b`, '-m', 'qos-two', '-q', '2']);
    expect((await sub).trim().split('\n')).toEqual([`${P}/m/a retained-one`, `${P}/m/b qos-two`]);
    // clear the retained message
    await run('/usr/bin/mosquitto_pub', [...common('mp1'), '-t', `${P}/m/a`, '-n', '-q', '1', '-r']);
  });
});

describe('server-side applications', () => {
  const appClient = (appId: string, secret: string, name = `erp${uid(3)}`, extra = {}) => {
    const clientId = `app-${name}`;
    return tryConnect(f.url(), {
      clientId,
      username: `Application|${appId}|${f.broker.instanceId}`,
      password: hmacB64(secret, clientId),
      clean: false,
      ...extra,
    });
  };

  it('are issued once, publish tasks to APs and read their acks, and are kicked on revocation', async () => {
    const issued = await api('POST', '/applications', { description: 'ERP bridge' });
    expect(issued.status).toBe(201);
    const appId = String(issued.json!.appId);
    const secret = String(issued.json!.appSecret);
    const listed = (await api('GET', '/applications')).json!.items as Record<string, unknown>[];
    expect(listed.find((a) => a.appId === appId)).toEqual(
      expect.objectContaining({ description: 'ERP bridge', builtin: false, revokedAt: null }),
    );
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(listed.find((a) => a.appId === 'platform')).toEqual(expect.objectContaining({ builtin: true }));
    // paged by cursor like every registry list, times as ISO-8601 strings
    const first = (await api('GET', '/applications?limit=1')).json!;
    expect((first.items as unknown[]).length).toBe(1);
    expect(typeof first.nextCursor).toBe('string');
    const next = (await api('GET', `/applications?limit=1&cursor=${String(first.nextCursor)}`)).json!;
    const [a, b] = [first.items, next.items].map((i) => (i as { appId: string }[])[0].appId);
    expect(b).not.toBe(a);
    expect(String((first.items as { createdAt: unknown }[])[0].createdAt)).toMatch(/^\d{4}-\d\d-\d\dT/);
    const [sealed] = await queryRows<{ secret_sealed: string }>(
      f.platform.ctx.pool,
      'SELECT secret_sealed FROM mqtt_applications WHERE app_id = ?',
      [appId],
    );
    expect(sealed.secret_sealed).not.toContain(secret);

    const g = await f.newGroup(); // an AP Group ID
    const app = (await appClient(appId, secret)).client!;
    const acks = received(app);
    expect(
      await grants(app, [`${P}/ack/${g.groupId}/+`, `${P}/status/#`, `${P}/task/${g.groupId}`, `${P}/#`]),
    ).toEqual([1, 1, 128, 128]);
    const ap = await connectDevice(f, g, 'ap1');
    const tasks = received(ap);
    await ap.subscribeAsync(`${P}/task/${g.groupId}`, { qos: 1 });
    await app.publishAsync(`${P}/task/${g.groupId}`, '{"v":1,"type":"price.update"}', { qos: 1 });
    await waitFor('task at the AP', () => tasks.length === 1);
    await ap.publishAsync(`${P}/ack/${g.groupId}/ap1`, '{"v":1,"type":"price.ack"}', { qos: 1 });
    await waitFor('ack at the application', () => acks.length === 1);
    expect(acks[0]).toEqual(expect.objectContaining({ topic: `${P}/ack/${g.groupId}/ap1` }));

    // wrong secret, a will, a device-shaped Client ID: refused
    expect((await appClient(appId, 'wrong')).code).toBe(4);
    expect(
      (
        await appClient(appId, secret, undefined, {
          will: { topic: `${P}/task/${g.groupId}`, payload: 'x', qos: 0, retain: false },
        })
      ).code,
    ).toBe(5);
    const asDevice = await tryConnect(f.url(), {
      clientId: `${g.groupId}@@@x`,
      username: `Application|${appId}|${f.broker.instanceId}`,
      password: hmacB64(secret, `${g.groupId}@@@x`),
    });
    expect(asDevice.code).toBe(4);

    expect((await api('POST', `/applications/${appId}/revoke`)).status).toBe(204);
    await closed(app);
    expect(ap.connected).toBe(true);
    expect((await appClient(appId, secret)).code).toBe(4);
    expect((await audit(appId)).map((a) => a.action)).toEqual([
      'mqtt.application.issued',
      'mqtt.application.revoked',
    ]);
    expect((await api('POST', '/applications/platform/revoke')).status).toBe(409);
    await ap.endAsync();
  });

  it("keeps the platform's own identity working as the built-in application", async () => {
    const g = await f.newGroup();
    const r = await tryConnect(f.url(), {
      clientId: `platform-t${uid(3)}`,
      username: `Platform|${f.broker.instanceId}`,
      password: loadPlatformSecret(f.platform.config.PLATFORM_MQTT_SECRET, f.platform.config.DATA_DIR),
    });
    expect(r.code).toBe(0);
    expect(await grants(r.client!, [`${P}/ack/${g.groupId}/+`, `${P}/task/${g.groupId}`])).toEqual([1, 128]);
    await r.client!.endAsync();
  });
});
