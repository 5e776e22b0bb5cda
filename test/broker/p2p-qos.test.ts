// P2P without subscription and the sender's cleanSession rule; the seed's QoS x cleanSession
// table; offline messages surviving a broker restart and expiring after the retention;
// retained messages and wills as MQTT 3.1.1 has them.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlatformSecret } from '../../broker/index.js';
import { connectDevice, inbox, sleep, startBroker, tryConnect, type BrokerFixture } from '../support/mqtt.js';
import { uid } from '../support/env.js';
import { waitFor } from '../support/wait.js';

type Group = Awaited<ReturnType<BrokerFixture['newGroup']>>;

const platformClient = async (f: BrokerFixture, clean: boolean) => {
  const r = await tryConnect(f.url(), {
    clientId: `platform-t${uid(3)}`,
    username: `Platform|${f.broker.instanceId}`,
    password: loadPlatformSecret(f.platform.config.PLATFORM_MQTT_SECRET, f.platform.config.DATA_DIR),
    clean,
  });
  if (!r.client) throw new Error(`platform connect ${r.code}`);
  return r.client;
};

/** Connects, waits for `expected` messages, records what else arrives in the next moments, disconnects. */
async function collect(f: BrokerFixture, g: Group, dev: string, clean: boolean, expected = 0, ms = 400) {
  const c = await connectDevice(f, g, dev, { clean });
  const got = inbox(c);
  if (expected) await waitFor(`${expected} message(s) for ${dev}`, () => got.length >= expected);
  await sleep(ms);
  await c.endAsync();
  return got;
}

describe('P2P and QoS x cleanSession', () => {
  let f: BrokerFixture;
  let g: Group;
  beforeAll(async () => {
    f = await startBroker();
    g = await f.newGroup();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('delivers P2P to exactly its target without a subscription', async () => {
    const a = await connectDevice(f, g, 'pa');
    const b = await connectDevice(f, g, 'pb');
    const [ga, gb] = [inbox(a), inbox(b)];
    await waitFor('pa online', async () => (await f.broker.lookup(`${g.groupId}@@@pa`)) !== null);
    await f.broker.publish(`${f.parent}/p2p/${g.groupId}@@@pa`, 'for-a', 1);
    await waitFor('p2p delivered', () => ga.length === 1);
    await sleep(100);
    expect(ga).toEqual([{ topic: `${f.parent}/p2p/${g.groupId}@@@pa`, payload: 'for-a', qos: 1 }]);
    expect(gb).toEqual([]);
    await a.endAsync();
    await b.endAsync();
  });

  it('keeps P2P for an offline target only when the sender session is persistent', async () => {
    const persistent = await platformClient(f, false);
    const clean = await platformClient(f, true);
    await clean.publishAsync(`${f.parent}/p2p/${g.groupId}@@@pc`, 'from-clean', { qos: 1 });
    await persistent.publishAsync(`${f.parent}/p2p/${g.groupId}@@@pc`, 'from-persistent', { qos: 1 });
    await f.broker.publish(`${f.parent}/p2p/${g.groupId}@@@pc`, 'from-platform-in-process', 1);
    // aedes sends PUBACK before it publishes (broker/README.md): the persistent sender's message
    // may be kept after the publishes return; the target connects once both are kept.
    const kept = `${f.platform.config.REDIS_PREFIX}:mqtt:p2p:${g.groupId}@@@pc`;
    await waitFor('the P2P messages kept', async () => (await f.platform.ctx.redis.llen(kept)) >= 2);
    // the target's own cleanSession does not matter: the seed ties it to the sender
    const got = await collect(f, g, 'pc', true, 2);
    expect(got.map((m) => m.payload).sort()).toEqual(['from-persistent', 'from-platform-in-process']);
    expect(await collect(f, g, 'pc', true)).toEqual([]); // delivered once
    await persistent.endAsync();
    await clean.endAsync();
  });

  const task = () => `${f.parent}/task/${g.groupId}`;
  const subscribeAndLeave = async (dev: string, clean: boolean, qos: 0 | 1 | 2) => {
    const c = await connectDevice(f, g, dev, { clean });
    await c.subscribeAsync(task(), { qos });
    await c.endAsync();
  };

  it('QoS 1 + cleanSession=false: offline messages kept and delivered', async () => {
    await subscribeAndLeave('q1p', false, 1);
    await f.broker.publish(task(), 'while-away-q1', 1);
    const c = await connectDevice(f, g, 'q1p', { clean: false });
    const got = inbox(c);
    await waitFor('offline message', () => got.some((m) => m.payload === 'while-away-q1'));
    expect(got.find((m) => m.payload === 'while-away-q1')?.qos).toBe(1);
    await c.endAsync();
  });

  it('QoS 0 + cleanSession=false, QoS 2 + cleanSession=false, QoS 1 + cleanSession=true: no offline messages', async () => {
    const dev = `n${uid(2)}`;
    await subscribeAndLeave(`${dev}0`, false, 0);
    await subscribeAndLeave(`${dev}2`, false, 2);
    await subscribeAndLeave(`${dev}c`, true, 1);
    const platform = await platformClient(f, false);
    await platform.publishAsync(task(), 'while-away-q2', { qos: 2 });
    await f.broker.publish(task(), 'while-away-q1b', 1);
    for (const d of ['0', '2']) expect(await collect(f, g, `${dev}${d}`, false), d).toEqual([]);
    expect(await collect(f, g, `${dev}c`, true)).toEqual([]);
    await platform.endAsync();
  });

  it('QoS 2 online: exactly once; QoS 0 online: tried once', async () => {
    const c = await connectDevice(f, g, 'q2on', { clean: false });
    await c.subscribeAsync(task(), { qos: 2 });
    const got = inbox(c);
    const platform = await platformClient(f, false);
    await platform.publishAsync(task(), 'exactly-once', { qos: 2 });
    await platform.publishAsync(task(), 'at-most-once', { qos: 0 });
    await waitFor('online delivery', () => got.length >= 2);
    await sleep(200);
    expect(got).toEqual(
      expect.arrayContaining([
        { topic: task(), payload: 'exactly-once', qos: 2 },
        { topic: task(), payload: 'at-most-once', qos: 0 },
      ]),
    );
    expect(got).toHaveLength(2);
    await c.endAsync();
    await platform.endAsync();
  });

  it('keeps retained task messages and publishes an AP will on a lost connection', async () => {
    const platform = await platformClient(f, true);
    await platform.publishAsync(task(), 'retained-task', { qos: 1, retain: true });
    const c = await connectDevice(f, g, 'ret');
    const got = inbox(c);
    await c.subscribeAsync(task(), { qos: 1 });
    await waitFor('retained message', () => got.some((m) => m.payload === 'retained-task'));
    await platform.publishAsync(task(), '', { qos: 1, retain: true }); // clear it
    await c.endAsync();

    await platform.subscribeAsync(`${f.parent}/status/${g.groupId}/#`, { qos: 1 });
    const watched = inbox(platform);
    const willer = await connectDevice(f, g, 'will', {
      will: {
        topic: `${f.parent}/status/${g.groupId}/will`,
        payload: Buffer.from('gone'),
        qos: 1,
        retain: false,
      },
    });
    willer.stream.destroy(); // lost, not a DISCONNECT
    await waitFor('will published', () => watched.some((m) => m.payload === 'gone'));
    // a will on another topic is refused at CONNECT
    const bad = await tryConnect(f.url(), {
      ...(await import('../support/mqtt.js')).signed(f, g, 'badwill'),
      will: {
        topic: `${f.parent}/status/${g.groupId}/other`,
        payload: Buffer.from('x'),
        qos: 0,
        retain: false,
      },
    });
    expect(bad.code).toBe(5);
    await platform.endAsync();
  });

  it('keeps offline messages and P2P across a broker restart', async () => {
    await subscribeAndLeave('rs', false, 1);
    await f.broker.publish(task(), 'before-restart', 1);
    await f.broker.publish(`${f.parent}/p2p/${g.groupId}@@@rs`, 'p2p-before-restart', 1);
    await f.broker.stop();
    await f.broker.start();
    const c: MqttClient = await connectDevice(f, g, 'rs', { clean: false });
    const got = inbox(c);
    await waitFor('messages after restart', () => got.length >= 2);
    expect(got.map((m) => m.payload).sort()).toEqual(['before-restart', 'p2p-before-restart']);
    await c.endAsync();
  });
});

describe('offline retention', () => {
  let f: BrokerFixture;
  let g: Group;
  beforeAll(async () => {
    f = await startBroker({ MQTT_OFFLINE_RETENTION_SECONDS: '1' });
    g = await f.newGroup();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('drops offline messages and kept P2P after the retention', async () => {
    const c = await connectDevice(f, g, 'old', { clean: false });
    await c.subscribeAsync(`${f.parent}/task/${g.groupId}`, { qos: 1 });
    await c.endAsync();
    await f.broker.publish(`${f.parent}/task/${g.groupId}`, 'stale', 1);
    await f.broker.publish(`${f.parent}/p2p/${g.groupId}@@@old`, 'stale-p2p', 1);
    await sleep(2200);
    expect(await collect(f, g, 'old', false)).toEqual([]);
  });
});
