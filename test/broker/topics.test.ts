// Authorization per ap-protocol.md, the seed's topic and size limits, and the uplink queue.
import type { Aedes, Client } from 'aedes';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UPLINK_QUEUE,
  UPLINK_QUEUE_0_1,
  loadPlatformSecret,
  uplinkPublishesOf,
  type UplinkJob,
} from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { bullConnection } from '../../server/core/redis.js';
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
import { uid } from '../support/env.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: Awaited<ReturnType<BrokerFixture['newGroup']>>;
let uplink: Queue;

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

const platformClient = async () => {
  const r = await tryConnect(f.url(), {
    clientId: `platform-t${uid(3)}`,
    username: `Platform|${f.broker.instanceId}`,
    password: loadPlatformSecret(f.platform.config.PLATFORM_MQTT_SECRET, f.platform.config.DATA_DIR),
    clean: false,
  });
  if (!r.client) throw new Error(`platform connect ${r.code}`);
  return r.client;
};

describe('subscribe', () => {
  it("grants an AP its own group's task topic and refuses everything else with 0x80", async () => {
    const c = await connectDevice(f, g, 'd1');
    const other = await f.newGroup();
    const p = f.parent;
    const topics = [
      `${p}/task/${g.groupId}`,
      `${p}/task/${other.groupId}`,
      `${p}/task/#`,
      `${p}/#`,
      '#',
      `${p}/p2p/${g.groupId}@@@d1`,
      `${p}/ack/${g.groupId}/d1`,
      `unknown/task/${g.groupId}`,
      '$SYS/#',
    ];
    expect(await grants(c, topics)).toEqual([1, 128, 128, 128, 128, 128, 128, 128, 128]);
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it('limits a client to 30 subscriptions', async () => {
    const c = await platformClient();
    const topics = Array.from({ length: 31 }, (_, i) => `${f.parent}/ack/${g.groupId}/d${i}`);
    expect(await grants(c, topics.slice(0, 30))).toEqual(Array(30).fill(1));
    expect(await grants(c, [topics[30]])).toEqual([128]);
    // an unsubscribe frees a place
    await c.unsubscribeAsync(topics[0]);
    expect(await grants(c, [topics[30]])).toEqual([1]);
    await c.endAsync();
  });
});

describe('publish', () => {
  it('queues an AP ack for the backend before PUBACK and delivers task messages from the platform', async () => {
    const ap = await connectDevice(f, g, 'd2');
    const got = inbox(ap);
    await ap.subscribeAsync(`${f.parent}/task/${g.groupId}`, { qos: 1 });
    const body = JSON.stringify({ v: 1, type: 'price.ack', msgId: uid(), results: [] });
    await ap.publishAsync(`${f.parent}/ack/${g.groupId}/d2`, body, { qos: 1 });
    // PUBACK arrived, so the job is in the queue already
    const jobs = (await uplink.getJobs(['waiting', 'active', 'completed', 'delayed'])).flatMap((j) =>
      uplinkPublishesOf(j.data),
    );
    expect(jobs).toContainEqual(
      expect.objectContaining({
        kind: 'ack',
        clientId: `${g.groupId}@@@d2`,
        groupId: g.groupId,
        deviceId: 'd2',
        payload: body,
        qos: 1,
      }),
    );
    await f.broker.publish(`${f.parent}/task/${g.groupId}`, '{"v":1}', 1);
    await waitFor('task delivered', () => got.length === 1);
    expect(got[0]).toEqual({ topic: `${f.parent}/task/${g.groupId}`, payload: '{"v":1}', qos: 1 });
    await ap.endAsync();
  });

  it('queues the uplink publishes of a turn as one compact job, and the worker applies those and the jobs of earlier brokers', async () => {
    const rejected = `${f.platform.config.REDIS_PREFIX}:uplink:rejected`;
    const count = async (k: string) => Number((await f.platform.ctx.redis.hget(rejected, k)) ?? 0);
    const [acks0, statuses0] = [await count('malformed_ack'), await count('malformed_status')];
    const ap = await connectDevice(f, g, 'd5');
    const topic = `${f.parent}/ack/${g.groupId}/d5`;
    const before = Date.now();
    await Promise.all(
      ['not json 1', 'not json 2', 'not json 3'].map((b) => ap.publishAsync(topic, b, { qos: 1 })),
    );
    await ap.endAsync();
    const mine = (await uplink.getJobs(['waiting', 'active', 'completed', 'delayed'])).filter((j) =>
      uplinkPublishesOf(j.data).some((u) => u.clientId === `${g.groupId}@@@d5`),
    );
    expect(mine.flatMap((j) => uplinkPublishesOf(j.data)).map((u) => u.payload)).toEqual([
      'not json 1',
      'not json 2',
      'not json 3',
    ]);
    // topic, payload, QoS and arrival; the node once per job; everything else follows from the topic
    for (const j of mine) {
      const data = j.data as UplinkJob;
      expect(data.node).toBe(f.broker.opts.nodeId);
      expect(data.at).toBeGreaterThanOrEqual(before);
      expect(data.at).toBeLessThanOrEqual(Date.now());
      for (const e of data.p) expect([e[0], e[2], e[3] >= 0 && e[3] < 60_000]).toEqual([topic, 1, true]);
      // what a publish costs in the job beside its topic and payload (~12 bytes and the job's own ~50; an UplinkPublish took ~200)
      const own = data.p.reduce((n, e) => n + e[0].length + e[1].length, 0);
      expect((JSON.stringify(data).length - own) / data.p.length).toBeLessThan(40);
    }
    expect(uplinkPublishesOf(mine[0].data)[0]).toEqual({
      kind: 'ack',
      topic,
      clientId: `${g.groupId}@@@d5`,
      groupId: g.groupId,
      deviceId: 'd5',
      payload: 'not json 1',
      qos: 1,
      receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      brokerNode: f.broker.opts.nodeId,
    });
    // jobs as 0.1.0's brokers (one bare publish) and later ones (whole publishes) left them in
    // 0.1.0's queue, which the worker still drains
    const old = new Queue(UPLINK_QUEUE_0_1, {
      connection: bullConnection(f.platform.ctx.redisUrl),
      prefix: f.platform.config.REDIS_PREFIX,
    });
    const bare = {
      kind: 'status',
      topic: `${f.parent}/status/${g.groupId}/d5`,
      clientId: `${g.groupId}@@@d5`,
      groupId: g.groupId,
      deviceId: 'd5',
      payload: 'not json either',
      qos: 1,
      receivedAt: new Date().toISOString(),
      brokerNode: 'old-node',
    };
    await old.add('status', bare);
    await old.add('publishes', { publishes: [{ ...bare, kind: 'ack', topic, payload: 'nor this' }] });
    await old.close();
    await waitFor(
      'all five counted as malformed by the worker',
      async () =>
        (await count('malformed_ack')) === acks0 + 4 && (await count('malformed_status')) === statuses0 + 1,
    );
  });

  for (const [what, topic] of [
    ["another AP's ack topic", () => `${f.parent}/ack/${g.groupId}/someone-else`],
    ['the task topic', () => `${f.parent}/task/${g.groupId}`],
    ['a P2P topic', () => `${f.parent}/p2p/${g.groupId}@@@x`],
    ['an unknown parent topic', () => `nope/ack/${g.groupId}/d3`],
    ['a topic over 64 characters', () => `${f.parent}/ack/${g.groupId}/d3/${'x'.repeat(64)}`],
  ] as const) {
    it(`closes an AP that publishes to ${what}, and the message reaches nobody`, async () => {
      const platform = await platformClient();
      const watched = inbox(platform);
      await platform.subscribeAsync(`${f.parent}/ack/#`, { qos: 0 });
      const ap = await connectDevice(f, g, 'd3');
      ap.publish(topic(), 'x', { qos: 1 });
      await closed(ap);
      await sleep(100);
      expect(watched).toEqual([]);
      await platform.endAsync();
    });
  }

  it('drops a payload over 64 KB (acknowledged, queued for nobody) and accepts one of exactly 64 KB', async () => {
    const ap = await connectDevice(f, g, 'd4');
    await ap.publishAsync(`${f.parent}/status/${g.groupId}/d4`, Buffer.alloc(64 * 1024, 97), { qos: 1 });
    await ap.publishAsync(`${f.parent}/status/${g.groupId}/d4`, Buffer.alloc(64 * 1024 + 1, 98), { qos: 1 });
    // the connection stays
    await ap.publishAsync(`${f.parent}/status/${g.groupId}/d4`, 'small', { qos: 1 });
    expect(ap.connected).toBe(true);
    const sizes = (await uplink.getJobs(['waiting', 'active', 'completed', 'delayed']))
      .flatMap((j) => uplinkPublishesOf(j.data))
      .filter((u) => u.clientId === `${g.groupId}@@@d4`)
      .map((u) => u.payload.length)
      .sort((a, b) => a - b);
    expect(sizes).toEqual([5, 64 * 1024]);
    await ap.endAsync();
  });

  it('takes a registry change at once: a new parent topic, a deleted one, a revoked AccessKey', async () => {
    const parent = `n${uid(3)}`;
    await f.registry.createParentTopic(SYSTEM_ACTOR, { name: parent });
    const ap = await connectDevice(f, g, 'd5');
    await waitFor(
      'new parent usable',
      async () => (await grants(ap, [`${parent}/task/${g.groupId}`]))[0] === 1,
    );
    await f.registry.deleteParentTopic(SYSTEM_ACTOR, parent);
    await waitFor(
      'deleted parent refused',
      async () => (await grants(ap, [`${parent}/task/${g.groupId}`]))[0] === 128,
    );
    const k = await f.registry.issueAccessKey(SYSTEM_ACTOR, { groupIds: [g.groupId] });
    const ap2 = await connectDevice(f, { ...g, accessKeyId: k.accessKeyId, secret: k.accessKeySecret }, 'd6');
    await f.registry.revokeAccessKey(SYSTEM_ACTOR, k.accessKeyId);
    await closed(ap2);
    expect(ap.connected).toBe(true); // a client of another key is untouched
    await ap.endAsync();
  });

  it('speaks to mosquitto_pub and mosquitto_sub as third-party clients', async () => {
    const { execFile } = await import('node:child_process');
    const run = (cmd: string, args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(cmd, args, { timeout: 40_000 }, (err, out) => (err ? reject(err) : resolve(out))),
      );
    const { hmacB64 } = await import('../../broker/index.js');
    const cid = (d: string) => `${g.groupId}@@@${d}`;
    const auth = (d: string) => [
      '-i',
      cid(d),
      '-u',
      `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
      '-P',
      hmacB64(g.secret, cid(d)),
    ];
    const port = String(f.broker.ports.tcp);
    // Publish once the broker holds mosquitto_sub's subscription (aedes emits 'subscribe' when it
    // is in place), not a fixed pause after its CONNECT, which its SUBSCRIBE may not have met yet.
    const aedes = (f.broker as unknown as { aedes: Aedes }).aedes;
    const subscribed = new Promise<void>((resolve) => {
      const on = (_subs: unknown, client: Client | null) => {
        if (client?.id !== cid('ms1')) return;
        aedes.off('subscribe', on);
        resolve();
      };
      aedes.on('subscribe', on);
    });
    const sub = run('/usr/bin/mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      ...auth('ms1'),
      '-t',
      `${f.parent}/task/${g.groupId}`,
      '-q',
      '1',
      '-C',
      '1',
      '-W',
      '30',
      '-V',
      'mqttv311',
    ]);
    await Promise.race([subscribed, sub]);
    await f.broker.publish(`${f.parent}/task/${g.groupId}`, 'hello-mosquitto', 1);
    expect((await sub).trim()).toBe('hello-mosquitto');
    await run('/usr/bin/mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      ...auth('ms2'),
      '-t',
      `${f.parent}/status/${g.groupId}/ms2`,
      '-m',
      '{"v":1}',
      '-q',
      '1',
      '-V',
      'mqttv311',
    ]);
    const jobs = (await uplink.getJobs(['waiting', 'active', 'completed'])).flatMap((j) =>
      uplinkPublishesOf(j.data),
    );
    expect(jobs).toContainEqual(
      expect.objectContaining({ kind: 'status', clientId: cid('ms2'), payload: '{"v":1}' }),
    );
    // a wrong password through mosquitto_pub is refused (exit code != 0)
    await expect(
      run('/usr/bin/mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port,
        '-i',
        cid('ms3'),
        '-u',
        `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
        '-P',
        'bad',
        '-t',
        'x',
        '-m',
        'x',
      ]),
    ).rejects.toThrow();
  });
});
