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

/** Closed loop: N publishers on their own uplink topics -> one subscriber, as fast as acks allow; deliveries/s. */
export async function fanInMax(t: Target, qos: 0 | 1, publishers: number, seconds: number) {
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

export interface FanIn {
  offered: number;
  /** the broker's CPU time per delivered message (µs) */
  cpuUs?: number;
  /** Redis' CPU time per delivered message (µs; ours only: the uplink jobs, the emitter, sessions) */
  redisCpuUs?: number;
  sent: number;
  delivered: number;
  /** deliveries per second, up to the last delivery */
  rate: number;
}

/**
 * Open loop: N publishers on their own uplink topics -> one subscriber, at `rate` msgs/s in
 * total (paced every 10 ms, at most `window` unacknowledged per publisher, so a broker that
 * falls behind slows its publishers down instead of piling up in the generator). Reports what
 * was sent and what reached the subscriber.
 */
export async function fanIn(
  t: Target,
  qos: 0 | 1,
  publishers: number,
  seconds: number,
  rate: number,
  /** AP numbers from here: a backlog of an earlier run on other topics is not counted */
  from = 0,
): Promise<FanIn> {
  const sub = await connect(t.port, { ...t.platform(), clean: true });
  const topics = new Set(Array.from({ length: publishers }, (_, i) => t.pubTopic(from + i)));
  let got = 0;
  let lastAt = Date.now();
  sub.on('message', (topic) => {
    if (!topics.has(topic)) return;
    got++;
    lastAt = Date.now();
  });
  await sub.subscribeAsync(t.subAllUplink, { qos });
  const pubs = await Promise.all(
    Array.from({ length: publishers }, (_, i) => connect(t.port, { ...t.ap(from + i), clean: true })),
  );
  const payload = Buffer.alloc(256, 120);
  const window = qos ? 64 : 256;
  const start = Date.now();
  const end = start + seconds * 1000;
  let sent = 0;
  const inflight = new Array<number>(publishers).fill(0);
  // each publisher's share of the messages due by now, minus what it sent
  const due = new Array<number>(publishers).fill(0);
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Date.now();
      if (now >= end) return resolve();
      const owed = ((now - start) / 1000) * (rate / publishers);
      pubs.forEach((p, i) => {
        while (due[i] < owed && inflight[i] < window) {
          due[i]++;
          inflight[i]++;
          p.publish(t.pubTopic(from + i), payload, { qos }, () => {
            inflight[i]--;
            sent++;
          });
        }
        // what could not go within the window is not owed later: the offered rate is not caught up
        if (due[i] < owed) due[i] = Math.ceil(owed);
      });
      setTimeout(tick, 10);
    };
    tick();
  });
  for (let i = 0; i < 250 && inflight.some((n) => n > 0); i++) await new Promise((r) => setTimeout(r, 20));
  await drained(() => got);
  const out = { offered: rate, sent, delivered: got, rate: (got / (Math.max(lastAt, end) - start)) * 1000 };
  await Promise.all([...pubs, sub].map((c) => c.endAsync(true)));
  return out;
}

/** One publisher on the group's task topic -> N subscribers: deliveries per second. */
/**
 * One publisher to `subscribers` APs on the task topic, as fast as the broker takes it; `clean`
 * false: the APs have persistent sessions (as real APs do: every QoS 1 delivery is stored until
 * acknowledged), removed again at the end (each reconnects once with a clean session).
 */
export async function fanOut(t: Target, qos: 0 | 1, subscribers: number, seconds: number, clean = true) {
  const ap = (i: number) => t.ap(1000 + i);
  const subs = await Promise.all(
    Array.from({ length: subscribers }, (_, i) => connect(t.port, { ...ap(i), clean })),
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
  // up to the last delivery: the quiet second drained() waits for is not the broker's time;
  // with persistent sessions, up to the last acknowledgement recorded (ours writes them to Redis
  // behind the deliveries: the row counts that work too)
  let end = lastAt;
  if (!clean && t.queuesEmpty) {
    const ids = subs.map((_, i) => ap(i).clientId);
    for (let i = 0; i < 1200 && !(await t.queuesEmpty(ids)); i++) await new Promise((r) => setTimeout(r, 50));
    end = Math.max(lastAt, Date.now());
  }
  const rate = got / ((end - start) / 1000);
  await Promise.all([...subs, pub].map((c) => c.endAsync(true)));
  if (!clean) {
    const wipe = await Promise.all(subs.map((_, i) => connect(t.port, { ...ap(i), clean: true })));
    await Promise.all(wipe.map((c) => c.endAsync(true)));
  }
  return { rate, delivered: got };
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

/**
 * APs on raw sockets that reconnect by themselves, as devices do after their broker went away:
 * a lost connection retries after a random 0-1 s, a failed attempt (refused, reset, no CONNACK
 * within 15 s, a CONNACK refusal) after 1-2 s.
 */
export class Fleet {
  connected = 0;
  attempts = 0;
  private readonly sockets = new Set<net.Socket>();
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly port: number,
    private readonly packets: Buffer[],
  ) {}

  /** Opens every connection, `concurrency` at a time, and keeps them. */
  async open(concurrency: number) {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < this.packets.length) {
          const i = next++;
          await new Promise<void>((resolve) => this.dial(i, resolve));
        }
      }),
    );
  }

  /** Resolves when all are connected. */
  all(): Promise<void> {
    if (this.connected >= this.packets.length) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private dial(i: number, onUp?: () => void) {
    if (this.stopped) return;
    this.attempts++;
    const s = net.connect(this.port, '127.0.0.1', () => s.write(this.packets[i]));
    let up = false;
    let retried = false;
    const retry = (ms: number) => {
      if (retried) return;
      retried = true;
      this.sockets.delete(s);
      s.destroy();
      if (up) this.connected--;
      up = false;
      setTimeout(() => this.dial(i, onUp), ms).unref();
    };
    this.sockets.add(s);
    s.setTimeout(15_000, () => retry(1000 + Math.random() * 1000));
    s.once('data', (d) => {
      if (d[0] !== 0x20 || d[3] !== 0) return retry(1000 + Math.random() * 1000);
      s.setTimeout(0);
      up = true;
      this.connected++;
      onUp?.();
      onUp = undefined;
      if (this.connected >= this.packets.length) for (const w of this.waiters.splice(0)) w();
    });
    s.on('error', () => {});
    s.once('close', () => retry(up ? Math.random() * 1000 : 1000 + Math.random() * 1000));
  }

  close() {
    this.stopped = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
