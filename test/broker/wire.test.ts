// What reaches the broker at the wire, over raw sockets: a refused publish costs no earlier
// accepted publish its PUBACK or its delivery; a publish over the payload limit is dropped and
// the connection stays; a large PUBLISH right behind the CONNECT is authorized after
// authentication; protocol levels other than 3/4 get CONNACK 0x01; packet identifier 0 closes.
import crypto from 'node:crypto';
import net from 'node:net';
import { Queue } from 'bullmq';
import mqttPacket, { generate, type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UPLINK_QUEUE,
  hmacB64,
  loadPlatformSecret,
  uplinkPublishesOf,
  type UplinkJob,
  type UplinkPublish,
} from '../../broker/index.js';
import { bullConnection } from '../../server/core/redis.js';
import { uid } from '../support/env.js';
import { inbox, sleep, startBroker, tryConnect, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: Awaited<ReturnType<BrokerFixture['newGroup']>>;
let uplink: Queue<UplinkJob | UplinkPublish>;

beforeAll(async () => {
  f = await startBroker();
  g = await f.newGroup();
  uplink = new Queue(UPLINK_QUEUE, {
    connection: bullConnection(f.platform.ctx.redisUrl),
    prefix: f.platform.config.REDIS_PREFIX,
  });
});
afterAll(async () => {
  await uplink?.close();
  await f?.close();
});

/** A raw MQTT socket: writes bytes as given, parses what comes back. */
class Wire {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly s: net.Socket;
  readonly ready: Promise<void>;

  constructor() {
    this.s = net.connect(f.broker.ports.tcp!, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => this.packets.push(p));
    parser.on('error', () => {});
    this.s.on('data', (d) => parser.parse(d));
    this.s.on('error', () => {});
    this.s.on('close', () => (this.closed = true));
    this.ready = new Promise((r) => this.s.once('connect', () => r()));
  }

  async write(...bufs: Buffer[]) {
    await this.ready;
    await new Promise<void>((r) => this.s.write(Buffer.concat(bufs), () => r()));
  }

  acked(cmd: string, messageId?: number) {
    return this.packets.some(
      (p) =>
        p.cmd === cmd && (messageId === undefined || (p as { messageId?: number }).messageId === messageId),
    );
  }

  end() {
    this.s.destroy();
  }
}

const connect = (deviceId: string, extra: Record<string, unknown> = {}) => {
  const clientId = `${g.groupId}@@@${deviceId}`;
  return generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    clientId,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: Buffer.from(hmacB64(g.secret, clientId)),
    ...extra,
  } as Parameters<typeof generate>[0]);
};

const publish = (topic: string, payload: string | Buffer, qos: 0 | 1 | 2, messageId?: number) =>
  generate({ cmd: 'publish', topic, payload, qos, messageId, retain: false, dup: false });

/** A connected AP on a raw socket. */
async function apWire(deviceId: string) {
  const w = new Wire();
  await w.write(connect(deviceId));
  await waitFor('CONNACK', () => w.acked('connack'), { timeoutMs: 30_000 });
  return w;
}

/** The platform identity watching every status topic of the group. */
async function watcher() {
  const r = await tryConnect(f.url(), {
    clientId: `platform-w${uid(3)}`,
    username: `Platform|${f.broker.instanceId}`,
    password: loadPlatformSecret(f.platform.config.PLATFORM_MQTT_SECRET, f.platform.config.DATA_DIR),
  });
  if (!r.client) throw new Error(`platform connect ${r.code}`);
  await r.client.subscribeAsync(`${f.parent}/status/${g.groupId}/+`, { qos: 1 });
  return { client: r.client, got: inbox(r.client) };
}

async function uplinkPayloads(clientId: string) {
  const jobs = await uplink.getJobs(['waiting', 'active', 'completed', 'delayed', 'failed']);
  return jobs
    .flatMap((j) => uplinkPublishesOf(j.data))
    .filter((u) => u.clientId === clientId)
    .map((u) => u.payload);
}

const status = (d: string) => `${f.parent}/status/${g.groupId}/${d}`;

describe('a refused publish', () => {
  for (const [qos, ack] of [
    [1, 'puback'],
    [2, 'pubrec'],
  ] as const) {
    it(`costs an accepted QoS ${qos} publish before it in the same read neither its ${ack.toUpperCase()} nor its delivery`, async () => {
      const w = await watcher();
      const d = `s${uid(3)}`;
      const ap = await apWire(d);
      const body = JSON.stringify({ v: 1, n: crypto.randomUUID() });
      // a valid status, then an ack spoofed for another device: one TCP write, one read
      await ap.write(
        publish(status(d), body, qos, 1),
        publish(`${f.parent}/ack/${g.groupId}/other`, '{}', qos, 2),
      );
      await waitFor('the spoofed publish closing the connection', () => ap.closed, { timeoutMs: 30_000 });
      expect(ap.acked(ack, 1)).toBe(true);
      expect(ap.acked(ack, 2)).toBe(false);
      await waitFor('the status delivered', () => w.got.some((m) => m.payload === body), {
        timeoutMs: 30_000,
      });
      expect(await uplinkPayloads(`${g.groupId}@@@${d}`)).toEqual([body]);
      await w.client.endAsync();
    });
  }
});

describe('a publish over the payload limit', () => {
  it('is acknowledged and dropped, and the connection stays usable', async () => {
    const w = await watcher();
    const d = `b${uid(3)}`;
    const ap = await apWire(d);
    const limit = f.platform.config.MQTT_MAX_PAYLOAD_BYTES;
    await ap.write(publish(status(d), Buffer.alloc(limit + 1, 97), 1, 7));
    await waitFor('PUBACK of the dropped publish', () => ap.acked('puback', 7), { timeoutMs: 30_000 });
    await ap.write(publish(status(d), 'after', 1, 8));
    await waitFor('PUBACK of the next publish', () => ap.acked('puback', 8), { timeoutMs: 30_000 });
    await waitFor('the next publish delivered', () => w.got.some((m) => m.payload === 'after'), {
      timeoutMs: 30_000,
    });
    expect(ap.closed).toBe(false);
    expect(w.got.filter((m) => m.topic === status(d)).map((m) => m.payload)).toEqual(['after']);
    expect(await uplinkPayloads(`${g.groupId}@@@${d}`)).toEqual(['after']);
    ap.end();
    await w.client.endAsync();
  });

  it('closes the connection when it is over the hard packet bound', async () => {
    const d = `h${uid(3)}`;
    const ap = await apWire(d);
    await ap.write(publish(status(d), Buffer.alloc(f.platform.config.MQTT_MAX_PACKET_BYTES, 97), 0));
    await waitFor('close', () => ap.closed, { timeoutMs: 30_000 });
  });
});

describe('CONNECT', () => {
  it('followed at once by a large PUBLISH: CONNACK, then the PUBLISH is authorized as the client', async () => {
    const d = `c${uid(3)}`;
    // a body at the payload limit: CONNECT and PUBLISH together are more than one 64 KB socket
    // read, so the PUBLISH completes in a later read, while the CONNECT is being authenticated
    const body = 'x'.repeat(f.platform.config.MQTT_MAX_PAYLOAD_BYTES);
    const ap = new Wire();
    await ap.write(connect(d), publish(status(d), body, 1, 3));
    await waitFor('PUBACK or close', () => ap.acked('puback', 3) || ap.closed, { timeoutMs: 30_000 });
    expect(ap.packets[0]).toMatchObject({ cmd: 'connack', returnCode: 0 });
    expect(ap.acked('puback', 3)).toBe(true);
    expect(ap.closed).toBe(false);
    expect(await uplinkPayloads(`${g.groupId}@@@${d}`)).toEqual([body]);
    ap.end();
  });

  for (const level of [2, 5, 6]) {
    it(`with protocol level ${level} is answered with CONNACK 0x01, then closed`, async () => {
      const d = `v${uid(3)}`;
      let packet: Buffer;
      if (level === 5) {
        packet = generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clean: true,
          keepalive: 60,
          clientId: `${g.groupId}@@@${d}`,
        });
      } else {
        packet = Buffer.from(connect(d));
        // fixed header (2 bytes) + protocol name (2 + 4): the level byte
        expect(packet.subarray(2, 8).toString('latin1')).toBe('\u0000\u0004MQTT');
        packet[8] = level;
      }
      const w = new Wire();
      await w.write(packet);
      await waitFor('close', () => w.closed, { timeoutMs: 30_000 });
      expect(w.packets).toEqual([expect.objectContaining({ cmd: 'connack', returnCode: 1 })]);
    });
  }
});

describe('packet identifier 0', () => {
  for (const qos of [1, 2] as const) {
    it(`on a QoS ${qos} PUBLISH is a protocol error: closed, nothing acknowledged or delivered`, async () => {
      const w = await watcher();
      const d = `z${uid(3)}`;
      const ap = await apWire(d);
      await ap.write(publish(status(d), 'id-zero', qos, 0));
      await waitFor('close', () => ap.closed, { timeoutMs: 30_000 });
      expect(ap.packets.map((p) => p.cmd)).toEqual(['connack']);
      await sleep(300);
      expect(w.got.some((m) => m.payload === 'id-zero')).toBe(false);
      expect(await uplinkPayloads(`${g.groupId}@@@${d}`)).toEqual([]);
      await w.client.endAsync();
    });
  }
});

describe('a connection’s parser', () => {
  it('keeps the bytes it has not parsed in a plain buffer list with direct reads (broker/parser-buffers.ts), not a stream', async () => {
    const d = `b${uid(3)}`;
    const ap = await apWire(d);
    const aedes = (
      f.broker as unknown as { aedes: { clients: Record<string, { _parser: { _list: object } }> } }
    ).aedes;
    const list = aedes.clients[`${g.groupId}@@@${d}`]?._parser._list as {
      constructor: { name: string };
      pipe?: unknown;
    };
    expect(list.constructor.name).toBe('DirectReadList');
    expect(list.pipe).toBeUndefined();
    // and a publish split across reads still goes through it
    const w = await watcher();
    const pk = publish(status(d), 'split-read', 1, 9);
    await ap.write(pk.subarray(0, 5));
    await sleep(50);
    await ap.write(pk.subarray(5));
    await waitFor('delivery', () => w.got.some((m) => m.payload === 'split-read'), { timeoutMs: 30_000 });
    expect(ap.packets.map((p) => p.cmd)).toEqual(['connack', 'puback']);
    await w.client.endAsync();
  });
});
