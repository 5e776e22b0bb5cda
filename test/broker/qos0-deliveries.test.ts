// QoS 0 deliveries through broker/qos0-deliveries.ts and fast-write.ts: every subscriber gets every
// message once, in order, with its own bytes intact; a subscriber that stops reading fills its
// socket (the deliveries then wait for 'drain', as aedes' do) and still gets all of them, in
// order, once it reads again, while the others are not held back by more than that wait; one that
// stops reading for good is closed after MQTT_DRAIN_TIMEOUT_MS, or sooner once more than
// MQTT_MAX_UNSENT_BYTES wait for it.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, inbox, startBroker, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
beforeAll(async () => {
  f = await startBroker();
});
afterAll(async () => {
  await f?.close();
});

const N = 1200;
const body = (i: number) => `${i}:`.padEnd(16 * 1024, String.fromCharCode(97 + (i % 26)));

/** A new Group ID's task topic and three of its APs subscribed to it at QoS 0. */
async function threeSubscribers(b: BrokerFixture) {
  const g = await b.newGroup();
  const topic = `${b.parent}/task/${g.groupId}`;
  const subs: MqttClient[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await connectDevice(b, g);
    await c.subscribeAsync(topic, { qos: 0 });
    subs.push(c);
  }
  return { topic, subs };
}

describe('QoS 0 deliveries', () => {
  it('reach every subscriber once and in order, a paused one too once it reads again', async () => {
    const { topic, subs } = await threeSubscribers(f);
    // the third stops reading its socket: 1,200 x 16 KB is more than the socket buffers hold
    const slow = subs[2].stream as unknown as { pause(): void; resume(): void };
    slow.pause();
    const published = Array.from({ length: N }, (_, i) => f.broker.publish(topic, body(i), 0));
    await waitFor(
      'the two reading subscribers have every message',
      () => inbox(subs[0]).length >= N && inbox(subs[1]).length >= N,
    );
    slow.resume();
    await Promise.all(published);
    await waitFor('the paused subscriber has every message', () => inbox(subs[2]).length >= N);
    for (const c of subs) {
      const got = inbox(c);
      expect(got.length).toBe(N);
      expect(got.every((m, i) => m.topic === topic && m.qos === 0 && m.payload === body(i))).toBe(true);
    }
    await Promise.all(subs.map((c) => c.endAsync()));
  });
});

describe('a subscriber that stops reading', () => {
  let d: BrokerFixture;
  beforeAll(async () => {
    d = await startBroker({ MQTT_DRAIN_TIMEOUT_MS: '3000' });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('is closed once its socket has not drained for MQTT_DRAIN_TIMEOUT_MS; the others get everything', async () => {
    const { topic, subs } = await threeSubscribers(d);
    const slowId = subs[2].options.clientId!;
    (subs[2].stream as unknown as { pause(): void }).pause();
    expect(await d.broker.lookup(slowId)).not.toBeNull();
    // 1,200 x 16 KB fill its socket buffers: its deliveries wait for a 'drain' that never comes
    await Promise.all(Array.from({ length: N }, (_, i) => d.broker.publish(topic, body(i), 0)));
    await waitFor(
      'the paused subscriber is closed by the broker',
      async () => (await d.broker.lookup(slowId)) === null,
    );
    await waitFor(
      'the two reading subscribers have every message',
      () => inbox(subs[0]).length >= N && inbox(subs[1]).length >= N,
    );
    for (const c of subs.slice(0, 2)) {
      const got = inbox(c);
      expect(got.length).toBe(N);
      expect(got.every((m, i) => m.payload === body(i))).toBe(true);
      expect(await d.broker.lookup(c.options.clientId!)).not.toBeNull();
    }
    subs[2].end(true);
    await Promise.all(subs.slice(0, 2).map((c) => c.endAsync()));
  }, 60_000);
});

describe('a subscriber that falls behind by more than MQTT_MAX_UNSENT_BYTES', () => {
  let d: BrokerFixture;
  beforeAll(async () => {
    // the drain timeout left at its 60 s: only the bound in bytes can close it within the test
    d = await startBroker({ MQTT_MAX_UNSENT_BYTES: String(1024 * 1024) });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('is closed at once; the subscribers that read stay and get everything', async () => {
    const { topic, subs } = await threeSubscribers(d);
    const slowId = subs[2].options.clientId!;
    (subs[2].stream as unknown as { pause(): void }).pause();
    // 8 messages (128 KB) per millisecond or so: the readers keep up, the paused one falls behind
    const published: Promise<unknown>[] = [];
    for (let i = 0; i < N; i += 8) {
      for (let j = i; j < Math.min(N, i + 8); j++) published.push(d.broker.publish(topic, body(j), 0));
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitFor('the paused subscriber closed', async () => (await d.broker.lookup(slowId)) === null, {
      timeoutMs: 20_000,
    });
    await Promise.all(published);
    await waitFor(
      'the two reading subscribers have every message',
      () => inbox(subs[0]).length >= N && inbox(subs[1]).length >= N,
    );
    for (const c of subs.slice(0, 2)) {
      expect(inbox(c).every((m, i) => m.payload === body(i))).toBe(true);
      expect(await d.broker.lookup(c.options.clientId!)).not.toBeNull();
    }
    subs[2].end(true);
    await Promise.all(subs.slice(0, 2).map((c) => c.endAsync()));
  }, 60_000);
});
