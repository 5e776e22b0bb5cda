// The load generator, the same for both brokers: mqtt.js clients for message rates, raw
// sockets with a pre-built CONNECT for the connection count (10,000 mqtt.js clients would
// measure the generator, not the broker).
import net from 'node:net';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { generate } from 'mqtt-packet';
import type { Target } from './broker-targets.js';

const connect = (port: number, o: IClientOptions) =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    keepalive: 300,
    ...o,
  });

/** Publishes as fast as PUBACK/socket drain allows, `window` messages in flight per client. */
async function pump(c: MqttClient, topic: string, qos: 0 | 1, until: number, window = 64) {
  const payload = Buffer.alloc(256, 120);
  let inflight = 0;
  await new Promise<void>((resolve) => {
    const more = () => {
      while (inflight < window && Date.now() < until) {
        inflight++;
        c.publish(topic, payload, { qos }, () => {
          inflight--;
          // QoS 0 callbacks can fire synchronously: yield, or the loop starves the sockets
          setImmediate(more);
        });
      }
      if (Date.now() >= until && inflight === 0) resolve();
    };
    more();
    setTimeout(resolve, until - Date.now() + 5000);
  });
}

/** Waits until deliveries stop arriving (the tail still on the wire counts, and its time too). */
async function drained(count: () => number) {
  let last = -1;
  let still = 0;
  // done when nothing new arrived for 1 s (the broker may still be working through its input)
  for (let i = 0; i < 75 && still < 5; i++) {
    const now = count();
    still = now === last ? still + 1 : 0;
    last = now;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** N publishers on their own uplink topics -> one subscriber: messages received per second. */
export async function fanIn(t: Target, qos: 0 | 1, publishers: number, seconds: number) {
  const sub = await connect(t.port, { ...t.platform(), clean: true });
  let got = 0;
  let lastAt = Date.now();
  sub.on('message', () => {
    got++;
    lastAt = Date.now();
  });
  await sub.subscribeAsync(t.subAllUplink, { qos });
  const pubs = await Promise.all(
    Array.from({ length: publishers }, (_, i) => connect(t.port, { ...t.ap(i), clean: true })),
  );
  const start = Date.now();
  const end = start + seconds * 1000;
  await Promise.all(pubs.map((p, i) => pump(p, t.pubTopic(i), qos, end, qos ? 32 : 16)));
  await drained(() => got);
  // up to the last delivery: the quiet second drained() waits for is not the broker's time
  const rate = got / ((lastAt - start) / 1000);
  await Promise.all([...pubs, sub].map((c) => c.endAsync(true)));
  return rate;
}

/** One publisher on the group's task topic -> N subscribers: deliveries per second. */
export async function fanOut(t: Target, qos: 0 | 1, subscribers: number, seconds: number) {
  const subs = await Promise.all(
    Array.from({ length: subscribers }, (_, i) => connect(t.port, { ...t.ap(1000 + i), clean: true })),
  );
  let got = 0;
  let lastAt = Date.now();
  for (const s of subs) {
    s.on('message', () => {
      got++;
      lastAt = Date.now();
    });
    await s.subscribeAsync(t.taskTopic, { qos });
  }
  const pub = await connect(t.port, { ...t.platform(), clean: true });
  const start = Date.now();
  await pump(pub, t.taskTopic, qos, start + seconds * 1000, 16);
  await drained(() => got);
  // up to the last delivery: the quiet second drained() waits for is not the broker's time
  const rate = got / ((lastAt - start) / 1000);
  await Promise.all([...subs, pub].map((c) => c.endAsync(true)));
  return rate;
}

/** Opens a raw MQTT connection; resolves with the socket once CONNACK 0 arrives. */
function rawConnect(port: number, packet: Buffer): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(packet));
    s.setTimeout(60_000, () => {
      s.destroy();
      reject(new Error('connect timeout'));
    });
    s.once('data', (d) => {
      s.setTimeout(0);
      if (d[0] === 0x20 && d[3] === 0) return resolve(s);
      s.destroy();
      reject(new Error(`CONNACK ${d[3]}`));
    });
    s.once('error', reject);
  });
}

export function connectPackets(t: Target, from: number, n: number): Buffer[] {
  return Array.from({ length: n }, (_, k) => {
    const o = t.ap(from + k);
    return generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 300,
      clientId: o.clientId,
      username: o.username,
      password: o.password === undefined ? undefined : Buffer.from(o.password),
    });
  });
}

/** Opens connections `concurrency` at a time; returns the sockets and the rate. */
export async function openMany(port: number, packets: Buffer[], concurrency: number) {
  const sockets: net.Socket[] = [];
  let next = 0;
  const start = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < packets.length) {
        const p = packets[next++];
        sockets.push(await rawConnect(port, p));
      }
    }),
  );
  return { sockets, perSecond: packets.length / ((Date.now() - start) / 1000) };
}
