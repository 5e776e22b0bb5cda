// QoS 1 deliveries to persistent sessions (broker/qos1-outgoing.ts), over raw MQTT connections
// that acknowledge only when told to, against the real broker and its Redis: each session is
// resent an unacknowledged message under its own packet identifier (MQTT-4.4.0-1), a message is
// stored once for all its sessions and gone after the last acknowledgement, a QoS 2 publish is
// resent to a QoS 1 session at QoS 1, an acknowledgement
// of a message that expired meanwhile leaves nothing behind, and aedes' 'ack' event still gets
// the message; a delivery acknowledged within RECORD_AFTER_MS has no identifier written to Redis
// at all (keyspace notifications of the session's hash), one not acknowledged has it after that.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { Redis } from 'ioredis';
import { HELD_PACKETS, RECORD_AFTER_MS } from '../../broker/qos1-outgoing.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { uid } from '../support/env.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { RawMqtt } from '../support/raw-mqtt.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: Group;
let store: string; // aedes-persistence-redis' key prefix

interface Group {
  groupId: string;
  accessKeyId: string;
  secret: string;
  /** the broker it is registered with */
  on: BrokerFixture;
}

/** a Group ID of the 'general' class, with a key that may publish and subscribe under its parent */
async function generalGroup(on: BrokerFixture): Promise<Group> {
  const groupId = `GID_${uid(4)}`;
  await on.registry.createGroup(SYSTEM_ACTOR, { groupId, clientClass: 'general' });
  const k = await on.registry.issueAccessKey(SYSTEM_ACTOR, {
    groupIds: [groupId],
    permissions: [{ actions: ['publish', 'subscribe'], topics: [`${on.parent}/#`] }],
  });
  return { groupId, accessKeyId: k.accessKeyId, secret: k.accessKeySecret, on };
}

beforeAll(async () => {
  f = await startBroker();
  g = await generalGroup(f);
  store = `${f.platform.config.REDIS_PREFIX}:mqtt:s:`;
});
afterAll(async () => {
  await f?.close();
});

const cid = (name: string, group: Group = g) => `${group.groupId}@@@${name}`;
const login = (group: Group) => (name: string) => ({
  clientId: cid(name, group),
  username: `Signature|${group.accessKeyId}|${group.on.broker.instanceId}`,
  password: hmacB64(group.secret, cid(name, group)),
});
const redis = () => f.platform.ctx.redis;
const queueKey = (name: string, group: Group = g) =>
  `${store}outgoing:${encodeURIComponent(cid(name, group))}`;
const sentKey = (name: string) => `${store}outgoing-sent:${encodeURIComponent(cid(name))}`;

/** a persistent session subscribed to `topic` at QoS 1 that acknowledges nothing unless told */
async function session(name: string, topic?: string, group: Group = g) {
  const c = new RawMqtt(group.on.broker.ports.tcp!, login(group));
  expect((await c.connect(name, { clean: false }))?.returnCode).toBe(0);
  if (topic) {
    await c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 1 }] });
    await waitFor('SUBACK', () => c.of('suback').length === 1);
  }
  return c;
}

function onAck() {
  const acks: { topic: string; payload?: Buffer; clientId: string }[] = [];
  const aedes = (f.broker as unknown as { aedes: NodeJS.EventEmitter }).aedes;
  const fn = (p: { topic: string; payload?: Buffer } | undefined, c: { id: string }) => {
    if (p) acks.push({ topic: p.topic, payload: p.payload, clientId: c.id });
  };
  aedes.on('ack', fn);
  return { acks, off: () => aedes.off('ack', fn) };
}

describe('QoS 1 to persistent sessions', () => {
  it('stores a message once for its sessions, resends each its own packet identifier, and forgets it after the last PUBACK', async () => {
    const topic = `${f.parent}/q1/${uid(3)}`;
    const names = ['s0', 's1', 's2', 's3'].map((n) => `${n}${uid(2)}`);
    const first = await Promise.all(names.map((n) => session(n, topic)));
    await f.broker.publish(topic, 'price-1', 1);
    const sent = await Promise.all(first.map((c) => waitFor('the PUBLISH', () => c.of('publish')[0])));
    const ids = sent.map((p) => p.messageId!);
    expect(sent.map((p) => String(p.payload))).toEqual(names.map(() => 'price-1'));

    // one stored message, named by every session's queue, counted once per session
    const [pktKey] = await redis().lrange(queueKey(names[0]), 0, -1);
    expect(pktKey).toMatch(/^packet:/);
    for (const n of names) expect(await redis().lrange(queueKey(n), 0, -1)).toEqual([pktKey]);
    expect(await redis().get(`${store}${pktKey}:offlineCount`)).toBe('4');
    const retention = f.platform.config.MQTT_OFFLINE_RETENTION_SECONDS;
    for (const k of [`${store}${pktKey}`, `${store}${pktKey}:offlineCount`]) {
      const ttl = await redis().ttl(k);
      expect(ttl, k).toBeGreaterThan(0);
      expect(ttl, k).toBeLessThanOrEqual(retention);
    }
    for (const c of first) await c.disconnect();
    const { acks, off } = onAck();
    try {
      const again = await Promise.all(names.map((n) => session(n)));
      const resent = await Promise.all(again.map((c) => waitFor('the resend', () => c.of('publish')[0])));
      // MQTT-4.4.0-1: re-sent under the packet identifier each session was sent it with
      expect(resent.map((p) => p.messageId)).toEqual(ids);
      expect(resent.map((p) => String(p.payload))).toEqual(names.map(() => 'price-1'));
      // kept with the session, expiring with the retention
      for (const [i, n] of names.entries())
        expect(await redis().hget(sentKey(n), pktKey)).toBe(String(ids[i]));
      const ttl = await redis().ttl(sentKey(names[0]));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(retention);

      for (const [i, c] of again.slice(0, 3).entries()) await c.send({ cmd: 'puback', messageId: ids[i] });
      await waitFor('three acknowledgements', () => acks.length === 3);
      // recorded in Redis just after (broker/qos1-outgoing.ts: in order, not awaited)
      await waitFor('three counted', () => redis().get(`${store}${pktKey}:offlineCount`), {
        until: (n) => n === '1',
      });
      expect(await redis().exists(`${store}${pktKey}`)).toBe(1);
      await again[3].send({ cmd: 'puback', messageId: ids[3] });
      await waitFor('the last acknowledgement', () => acks.length === 4);
      await waitFor('the message removed', async () => (await redis().exists(`${store}${pktKey}`)) === 0);
      // aedes' 'ack' event gets the message each session acknowledged
      expect(acks.map((a) => [a.clientId, a.topic, String(a.payload)])).toEqual(
        names.map((n) => [cid(n), topic, 'price-1']),
      );
      expect(await redis().exists(`${store}${pktKey}`, `${store}${pktKey}:offlineCount`)).toBe(0);
      for (const n of names) {
        expect(await redis().llen(queueKey(n))).toBe(0);
        expect(await redis().hlen(sentKey(n))).toBe(0);
      }
      for (const c of again) await c.disconnect();
      // nothing is resent once acknowledged
      const third = await session(names[0]);
      await new Promise((r) => setTimeout(r, 300));
      expect(third.of('publish')).toEqual([]);
      await third.disconnect();
    } finally {
      off();
    }
  });

  it('resends a QoS 2 publish to a QoS 1 task subscription of an AP at QoS 1, as it was delivered', async () => {
    const ap = { ...(await f.newGroup()), on: f }; // the 'ap' class: the device contract's topics
    const topic = `${f.parent}/task/${ap.groupId}`;
    const name = `q2${uid(2)}`;
    const c = await session(name, topic, ap);
    // the broker's own publish is QoS 0 or 1; a QoS 2 publish as a client's reaches aedes
    const aedes = (f.broker as unknown as { aedes: { publish(p: object, cb: (e?: Error) => void): void } })
      .aedes;
    await new Promise<void>((ok, fail) =>
      aedes.publish(
        { cmd: 'publish', topic, payload: Buffer.from('sent-at-two'), qos: 2, retain: false, dup: false },
        (e) => (e ? fail(e) : ok()),
      ),
    );
    const live = await waitFor('the PUBLISH', () => c.of('publish')[0]);
    expect(live.qos).toBe(1); // MQTT-3.8.4-6: at most the subscription's QoS
    await c.disconnect();
    const again = await session(name, undefined, ap);
    const resent = await waitFor('the resend', () => again.of('publish')[0]);
    expect([resent.qos, resent.messageId, String(resent.payload)]).toEqual([
      1,
      live.messageId,
      'sent-at-two',
    ]);
    await again.send({ cmd: 'puback', messageId: resent.messageId });
    await waitFor('off the queue', async () => (await redis().llen(queueKey(name, ap))) === 0);
    await again.disconnect();
  });

  it('takes the PUBACK of a message that expired meanwhile and leaves no key behind', async () => {
    const topic = `${f.parent}/q1/${uid(3)}`;
    const name = `ex${uid(2)}`;
    const c = await session(name, topic);
    await f.broker.publish(topic, 'soon-gone', 1);
    const p = await waitFor('the PUBLISH', () => c.of('publish')[0]);
    const [pktKey] = await redis().lrange(queueKey(name), 0, -1);
    // as the retention would: the message and its count expire while the session holds it
    await redis().del(`${store}${pktKey}`, `${store}${pktKey}:offlineCount`);
    await c.send({ cmd: 'puback', messageId: p.messageId });
    await waitFor('the queue entry removed', async () => (await redis().llen(queueKey(name))) === 0, {
      timeoutMs: 5000,
    });
    expect(await redis().exists(`${store}${pktKey}`, `${store}${pktKey}:offlineCount`)).toBe(0);
    expect(await redis().hlen(sentKey(name))).toBe(0);
    expect(await redis().exists(`${store}undefined`)).toBe(0);
    await c.disconnect();
  });

  it(`keeps whole only the newest ${HELD_PACKETS} unacknowledged messages of a connection that never acknowledges`, async () => {
    const topic = `${f.parent}/q1/${uid(3)}`;
    const name = `na${uid(2)}`;
    const c = await session(name, topic);
    const n = HELD_PACKETS + 5;
    for (let i = 0; i < n; i++) await f.broker.publish(topic, `m${i}`, 1);
    await waitFor(`${n} deliveries`, () => c.of('publish').length === n);
    const got = c.of('publish');
    const { acks, off } = onAck();
    try {
      await c.send({ cmd: 'puback', messageId: got[0].messageId });
      await c.send({ cmd: 'puback', messageId: got[n - 1].messageId });
      await waitFor('both acknowledged', () => acks.length === 2);
      await waitFor('both off the queue', async () => (await redis().llen(queueKey(name))) === n - 2);
      // the oldest is acknowledged all the same (topic, queue entry), without its payload held
      expect(acks.map((a) => [a.topic, a.payload && String(a.payload)])).toEqual([
        [topic, undefined],
        [topic, `m${n - 1}`],
      ]);
    } finally {
      off();
    }
    c.destroy();
  });
});

describe('the packet identifiers of QoS 1 deliveries, recorded behind', () => {
  it(`writes none for a delivery acknowledged within ${RECORD_AFTER_MS} ms, and records one left unacknowledged`, async () => {
    const topic = `${f.parent}/q1/${uid(3)}`;
    const [quick, slow] = [`qk${uid(2)}`, `sl${uid(2)}`];
    const a = await session(quick, topic);
    const b = await session(slow, topic);
    // every write to the two sessions' hashes, as Redis reports it (keyspace notifications of
    // hash commands; the setting is restored after)
    const admin = redis();
    const [, was] = (await admin.config('GET', 'notify-keyspace-events')) as [string, string];
    const sub = new Redis({ ...admin.options, enableReadyCheck: false, enableAutoPipelining: false });
    const events: [string, string][] = [];
    try {
      await admin.config('SET', 'notify-keyspace-events', `${was}Kh`);
      const channel = `__keyspace@${admin.options.db ?? 0}__:`;
      // writes only (an 'expire' shows too when the server's own setting has generic events)
      sub.on('message', (ch: string, event: string) => {
        if (event === 'hset' || event === 'hdel') events.push([ch.slice(channel.length), event]);
      });
      await sub.subscribe(...[quick, slow].map((n) => channel + sentKey(n)));
      await f.broker.publish(topic, 'fast', 1);
      const [pa, pb] = await Promise.all([a, b].map((c) => waitFor('the PUBLISH', () => c.of('publish')[0])));
      await a.send({ cmd: 'puback', messageId: pa.messageId });
      await waitFor('off its queue', async () => (await redis().llen(queueKey(quick))) === 0);
      // the unacknowledged one is recorded once it is RECORD_AFTER_MS old
      const [pktKey] = await redis().lrange(queueKey(slow), 0, -1);
      await waitFor('its identifier recorded', () => redis().hget(sentKey(slow), pktKey), {
        until: (v) => v === String(pb.messageId),
        timeoutMs: 4 * RECORD_AFTER_MS,
      });
      await new Promise((r) => setTimeout(r, 200)); // notifications in flight
      expect(events).toEqual([[sentKey(slow), 'hset']]); // the quick one's PUBACK: an HDEL of nothing, no event
      expect(await redis().exists(sentKey(quick))).toBe(0);
    } finally {
      await admin.config('SET', 'notify-keyspace-events', was);
      sub.disconnect();
      a.destroy();
      b.destroy();
    }
  });

  it('records the identifiers of a connection’s unacknowledged deliveries as soon as it closes', async () => {
    const topic = `${f.parent}/q1/${uid(3)}`;
    const name = `cl${uid(2)}`;
    const c = await session(name, topic);
    await f.broker.publish(topic, 'then-gone', 1);
    const p = await waitFor('the PUBLISH', () => c.of('publish')[0]);
    const at = performance.now();
    const [pktKey] = await redis().lrange(queueKey(name), 0, -1);
    c.destroy(); // gone without a PUBACK: another node it reconnects to must find the identifier
    await waitFor('recorded at the close', () => redis().hget(sentKey(name), pktKey), {
      until: (v) => v === String(p.messageId),
      timeoutMs: RECORD_AFTER_MS / 2,
    });
    // not the timer's doing: it records a delivery only once it is RECORD_AFTER_MS old
    expect(performance.now() - at).toBeLessThan(RECORD_AFTER_MS / 2 + 50);
  });
});

it('has the identifiers of unacknowledged deliveries in Redis after a clean stop', async () => {
  const h = await startBroker();
  try {
    const group = await generalGroup(h);
    const name = `st${uid(2)}`;
    const clientId = cid(name, group);
    const topic = `${h.parent}/q1/${uid(3)}`;
    const c = await session(name, topic, group);
    await h.broker.publish(topic, 'before-stop', 1);
    const p = await waitFor('the PUBLISH', () => c.of('publish')[0]);
    const prefix = `${h.platform.config.REDIS_PREFIX}:mqtt:s:`;
    const sent = `${prefix}outgoing-sent:${encodeURIComponent(clientId)}`;
    await h.broker.stop(); // its Redis connections closed: what it recorded is in Redis
    const [pktKey] = await h.platform.ctx.redis.lrange(
      `${prefix}outgoing:${encodeURIComponent(clientId)}`,
      0,
      -1,
    );
    expect(await h.platform.ctx.redis.hget(sent, pktKey)).toBe(String(p.messageId));
    c.destroy();
  } finally {
    await h.close();
  }
});
