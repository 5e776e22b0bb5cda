// QoS 0 deliveries through broker/qos0-deliveries.ts and fast-write.ts: every subscriber gets every
// message once, in order, with its own bytes intact. A subscriber that stops reading fills its
// socket; up to MQTT_MAX_QOS0_BUFFERED_BYTES (1 MB) more wait in the broker for it, and it gets
// them once it reads again; past that it gets no QoS 0 message (at most once) and the broker's
// memory for it stays bounded, while the others get every one.
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

describe('QoS 0 deliveries', () => {
  it('reach every subscriber once and in order; one that stops reading gets what fits in the bound, in order, and the broker holds no more for it', async () => {
    const g = await f.newGroup();
    const topic = `${f.parent}/task/${g.groupId}`;
    const subs: MqttClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connectDevice(f, g);
      await c.subscribeAsync(topic, { qos: 0 });
      subs.push(c);
    }
    const limit = f.platform.config.MQTT_MAX_QOS0_BUFFERED_BYTES;
    const dropped0 = f.broker.qos0Dropped;
    // the third stops reading its socket: 1,200 x 16 KB is more than the socket buffers and the bound hold
    const slow = subs[2].stream as unknown as { pause(): void; resume(): void };
    slow.pause();
    // 20 a turn, as a publisher's messages arrive over many reads (the bound is judged per turn)
    const published: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      published.push(f.broker.publish(topic, body(i), 0));
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    await waitFor(
      'the two reading subscribers have every message',
      () => inbox(subs[0]).length >= N && inbox(subs[1]).length >= N,
    );
    await Promise.all(published);
    // what the broker holds for the paused one: at most the bound and one turn's messages
    const aedes = (
      f.broker as unknown as { aedes: { clients: Record<string, { conn: { writableLength: number } }> } }
    ).aedes;
    const held = aedes.clients[subs[2].options.clientId!].conn.writableLength;
    expect(held).toBeLessThanOrEqual(limit + 20 * (16 * 1024 + 100));
    expect(f.broker.qos0Dropped).toBeGreaterThan(dropped0);
    slow.resume();
    await waitFor('the paused subscriber has read what was held for it', async () => {
      const n = inbox(subs[2]).length;
      await new Promise((r) => setTimeout(r, 300));
      return n > 0 && inbox(subs[2]).length === n;
    });
    for (const c of subs.slice(0, 2)) {
      const got = inbox(c);
      expect(got.length).toBe(N);
      expect(got.every((m, i) => m.topic === topic && m.qos === 0 && m.payload === body(i))).toBe(true);
    }
    // the paused one: the first messages, in order, at least the bound's worth, and not all
    const got = inbox(subs[2]);
    expect(got.length).toBeLessThan(N);
    expect(got.length * 16 * 1024).toBeGreaterThanOrEqual(limit);
    expect(got.every((m, i) => m.topic === topic && m.qos === 0 && m.payload === body(i))).toBe(true);
    await Promise.all(subs.map((c) => c.endAsync()));
  });

  it('reach a subscriber that paused for less than the bound, every one, in order', async () => {
    const g = await f.newGroup();
    const topic = `${f.parent}/task/${g.groupId}`;
    const c = await connectDevice(f, g);
    await c.subscribeAsync(topic, { qos: 0 });
    const limit = f.platform.config.MQTT_MAX_QOS0_BUFFERED_BYTES;
    const dropped0 = f.broker.qos0Dropped;
    const aedes = (
      f.broker as unknown as { aedes: { clients: Record<string, { conn: { writableLength: number } }> } }
    ).aedes;
    const held = () => aedes.clients[c.options.clientId!].conn.writableLength;
    const stream = c.stream as unknown as { pause(): void; resume(): void };
    stream.pause();
    // 7 a turn until the kernel's buffers are full and the broker holds a third of the bound:
    // every turn after the first meets a backlog, under the bound
    let n = 0;
    while (held() < limit / 3 && n < 4000) {
      for (let k = 0; k < 7; k++) void f.broker.publish(topic, body(n++), 0);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(held()).toBeGreaterThanOrEqual(limit / 3);
    expect(held()).toBeLessThan(limit);
    stream.resume();
    await waitFor('every message', () => inbox(c).length >= n);
    expect(inbox(c).every((m, i) => m.payload === body(i))).toBe(true);
    expect(f.broker.qos0Dropped).toBe(dropped0);
    await c.endAsync();
  });
});
