// QoS 0 deliveries through broker/qos0-deliveries.ts and fast-write.ts: every subscriber gets every
// message once, in order, with its own bytes intact; a subscriber that stops reading fills its
// socket (the deliveries then wait for 'drain', as aedes' do) and still gets all of them, in
// order, once it reads again, while the others are not held back by more than that wait.
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
  it('reach every subscriber once and in order, a paused one too once it reads again', async () => {
    const g = await f.newGroup();
    const topic = `${f.parent}/task/${g.groupId}`;
    const subs: MqttClient[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await connectDevice(f, g);
      await c.subscribeAsync(topic, { qos: 0 });
      subs.push(c);
    }
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
