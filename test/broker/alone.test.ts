// A broker node alone in its cluster sends its publishes to nobody through Redis
// (broker/peers.ts, broker/local-emitter.ts): they are delivered locally only. A second node
// that starts gets every message published after it accepted its first client, and the first
// node, hearing it, sends through Redis again; when it stops, the first is alone again.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { hmacB64, loadPlatformSecret, SecretBox } from '../../broker/index.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/core/logger.js';
import { createPool } from '../../server/db/pool.js';
import { RegistryService } from '../../server/registry/registry-service.js';
import { createTestDatabase, serverUrls, uid } from '../support/env.js';
import { inbox, newGroup, sleep, tryConnect } from '../support/mqtt.js';
import { startBrokerNode, type BrokerNode } from '../support/mqtt-node.js';
import { deleteRedisPrefix } from '../support/scratch.js';
import { waitFor } from '../support/wait.js';

// the msgpack-lite mqemitter-redis encodes with: what a node of an earlier version sends
const msgpack = createRequire(createRequire(import.meta.url).resolve('mqemitter-redis'))('msgpack-lite') as {
  encode(v: unknown): Buffer;
};

let a: BrokerNode;
let b: BrokerNode | null = null;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: ReturnType<typeof createPool>;
let redis: Redis;
/** a plain Redis subscriber on every channel of the parent topic: what the broker sends through Redis */
let watcher: Redis;
const seen: string[] = [];
const prefix = `t${uid()}`;
const parent = `al${uid(3)}`;
const config = loadConfig({});
let env: Record<string, string>;
let g: { groupId: string; accessKeyId: string; secret: string };

beforeAll(async () => {
  db = await createTestDatabase();
  const { redisUrl } = serverUrls();
  // a node may go alone one aedes heartbeat after it subscribed (peers.ts): a short one here
  env = {
    MYSQL_URL: db.url,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: prefix,
    MQTT_PARENT_TOPIC: parent,
    MQTT_HEARTBEAT_INTERVAL_MS: '1000',
  };
  a = await startBrokerNode('alone-a', env);
  pool = createPool(db.url, 2);
  redis = new Redis(redisUrl);
  const reg = new RegistryService(
    pool,
    redis,
    prefix,
    SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR),
    createLogger('silent'),
  );
  g = await newGroup(reg);
  watcher = new Redis(redisUrl);
  watcher.on('pmessage', (_p: string, channel: string) => seen.push(channel));
  await watcher.psubscribe(`${parent}/*`);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await pool?.end();
  redis?.disconnect();
  watcher?.disconnect();
  await db?.drop();
  await deleteRedisPrefix(serverUrls().redisUrl, prefix);
});

const ap = async (node: BrokerNode, dev: string) => {
  const clientId = `${g.groupId}@@@${dev}`;
  const r = await tryConnect(node.url, {
    clientId,
    username: `Signature|${g.accessKeyId}|${node.instanceId}`,
    password: hmacB64(g.secret, clientId),
  });
  if (!r.client) throw new Error(`AP connect to ${node.name}: ${r.code}`);
  return r.client;
};
const platform = async (node: BrokerNode) => {
  const r = await tryConnect(node.url, {
    clientId: `platform-${node.name}-${uid(2)}`,
    username: `Platform|${node.instanceId}`,
    password: loadPlatformSecret(config.PLATFORM_MQTT_SECRET, config.DATA_DIR),
  });
  if (!r.client) throw new Error(`platform connect to ${node.name}: ${r.code}`);
  return r.client;
};
const task = () => `${parent}/task/${g.groupId}`;

/** Publishes on `node` until one publish, delivered locally, was not seen on Redis. */
async function untilAlone(node: BrokerNode, sub: ReturnType<typeof inbox>) {
  const pub = await platform(node);
  let n = 0;
  await waitFor(
    `${node.name} alone: a publish delivered and not sent through Redis`,
    async () => {
      const before = seen.length;
      const body = `alone-${n++}`;
      await pub.publishAsync(task(), body, { qos: 1 });
      await waitFor('local delivery', () => sub.some((m) => m.payload === body));
      // the watcher would have had it by the time a second round trip to Redis is answered
      await redis.ping();
      await redis.ping();
      return seen.length === before;
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  await pub.endAsync();
}

it('delivers locally and sends nothing through Redis while alone; a node that starts gets every message after it', async () => {
  const onA = await ap(a, 'a1');
  const gotA = inbox(onA);
  await onA.subscribeAsync(task(), { qos: 1 });
  await untilAlone(a, gotA);

  // a second node: from its first client on, every publish on A reaches it, exactly once
  b = await startBrokerNode('alone-b', env);
  const onB = await ap(b, 'b1');
  const gotB = inbox(onB);
  await onB.subscribeAsync(task(), { qos: 1 });
  const pub = await platform(a);
  const bodies = Array.from({ length: 20 }, (_, i) => `both-${i}`);
  for (const body of bodies) await pub.publishAsync(task(), body, { qos: 1 });
  await waitFor('all 20 on B', () => gotB.filter((m) => m.payload.startsWith('both-')).length >= 20);
  await waitFor('all 20 on A', () => gotA.filter((m) => m.payload.startsWith('both-')).length >= 20);
  await sleep(300); // a duplicate would arrive by now
  expect(gotB.filter((m) => m.payload.startsWith('both-')).map((m) => m.payload)).toEqual(bodies);
  expect(gotA.filter((m) => m.payload.startsWith('both-')).map((m) => m.payload)).toEqual(bodies);
  expect(seen.filter((c) => c === task()).length).toBeGreaterThanOrEqual(20);

  // B stops: A is alone again
  await onB.endAsync();
  await b.stop();
  b = null;
  await untilAlone(a, gotA);
  await pub.endAsync();
  await onA.endAsync();
}, 180_000);

it('a node of an earlier version, heard only by a message it sends through Redis, ends "alone" at once', async () => {
  const onA = await ap(a, 'a2');
  const gotA = inbox(onA);
  await onA.subscribeAsync(task(), { qos: 1 });
  await untilAlone(a, gotA);
  // what an earlier version's node sends for a publish of its own (mqemitter-redis' packet): it
  // beats on no channel of ours, and its aedes heartbeat may be a minute away
  const foreign = msgpack.encode({
    id: `old-${uid(3)}/1`,
    msg: { cmd: 'publish', topic: task(), payload: Buffer.from('from-old-node'), qos: 1, retain: false },
  });
  await redis.publish(task(), foreign);
  await waitFor("the old node's message on A", () => gotA.some((m) => m.payload === 'from-old-node'));
  // A's very next publish goes through Redis again
  const pub = await platform(a);
  const before = seen.filter((c) => c === task()).length;
  await pub.publishAsync(task(), 'after-old-node', { qos: 1 });
  await waitFor('local delivery', () => gotA.some((m) => m.payload === 'after-old-node'));
  await waitFor('sent through Redis', () => seen.filter((c) => c === task()).length > before, {
    timeoutMs: 5000,
  });
  await pub.endAsync();
  await onA.endAsync();
}, 120_000);
