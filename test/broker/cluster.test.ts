// Two real broker processes sharing MySQL and Redis: a publish, a P2P message, a persistent
// session with its offline messages and a take-over all cross from one node to the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { hmacB64, loadPlatformSecret, Presence, SecretBox } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/core/logger.js';
import { RegistryService } from '../../server/registry/registry-service.js';
import { createTestDatabase, serverUrls, uid } from '../support/env.js';
import { closed, inbox, sleep, tryConnect, until } from '../support/mqtt.js';
import { startBrokerNode, type BrokerNode } from '../support/mqtt-node.js';
import { deleteRedisPrefix } from '../support/platform.js';

let a: BrokerNode;
let b: BrokerNode;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: mysql.Pool;
let redis: Redis;
const prefix = `t${uid()}`;
const parent = `c${uid(3)}`;
let g: { groupId: string; accessKeyId: string; secret: string };
const config = loadConfig({});

beforeAll(async () => {
  db = await createTestDatabase();
  const { redisUrl } = serverUrls();
  const env = { MYSQL_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, MQTT_PARENT_TOPIC: parent };
  a = await startBrokerNode('node-a', env); // migrates the database first
  b = await startBrokerNode('node-b', env);
  pool = mysql.createPool({ uri: db.url, timezone: 'Z' });
  redis = new Redis(redisUrl);
  const reg = new RegistryService(pool, redis, prefix, SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR), createLogger('silent'));
  const groupId = `GID_${uid(4)}`;
  await reg.createGroup(SYSTEM_ACTOR, { groupId });
  const k = await reg.issueAccessKey(SYSTEM_ACTOR, { groupIds: [groupId] });
  g = { groupId, accessKeyId: k.accessKeyId, secret: k.accessKeySecret };
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await pool?.end();
  redis?.disconnect();
  await db?.drop();
  await deleteRedisPrefix(serverUrls().redisUrl, prefix);
});

const ap = async (node: BrokerNode, dev: string, clean = true) => {
  const clientId = `${g.groupId}@@@${dev}`;
  const r = await tryConnect(node.url, { clientId, clean, username: `Signature|${g.accessKeyId}|${node.instanceId}`, password: hmacB64(g.secret, clientId) });
  if (!r.client) throw new Error(`AP connect to ${node.name}: ${r.code}`);
  return r.client;
};
const platform = async (node: BrokerNode) => {
  const r = await tryConnect(node.url, { clientId: `platform-${node.name}-${uid(2)}`, clean: false, username: `Platform|${node.instanceId}`, password: loadPlatformSecret(config.PLATFORM_MQTT_SECRET, config.DATA_DIR) });
  if (!r.client) throw new Error(`platform connect to ${node.name}: ${r.code}`);
  return r.client;
};
const task = () => `${parent}/task/${g.groupId}`;

describe('cluster of two broker processes', () => {
  it('share one instance id', () => {
    expect(a.instanceId).toBe(b.instanceId);
    expect(a.ports.tcp).not.toBe(b.ports.tcp);
  });

  it('delivers a publish on node A to a subscriber and a P2P target on node B', async () => {
    const sub = await ap(b, 'x1');
    const got = inbox(sub);
    await sub.subscribeAsync(task(), { qos: 1 });
    const pub = await platform(a);
    await pub.publishAsync(task(), 'cross-node', { qos: 1 });
    await pub.publishAsync(`${parent}/p2p/${g.groupId}@@@x1`, 'cross-node-p2p', { qos: 1 });
    await until(() => got.length === 2, 5000, 'cross-node delivery');
    expect(got.map((m) => m.payload).sort()).toEqual(['cross-node', 'cross-node-p2p']);
    await sub.endAsync();
    await pub.endAsync();
  });

  it('moves a persistent session from A to B with its offline messages', async () => {
    const first = await ap(a, 'mv', false);
    await first.subscribeAsync(task(), { qos: 1 });
    await first.endAsync();
    const pub = await platform(a);
    await pub.publishAsync(task(), 'kept-for-you', { qos: 1 });
    await pub.publishAsync(`${parent}/p2p/${g.groupId}@@@mv`, 'kept-p2p', { qos: 1 });
    const again = await ap(b, 'mv', false);
    const got = inbox(again);
    await until(() => got.length >= 2, 5000, 'offline messages on node B');
    expect(got.map((m) => m.payload).sort()).toEqual(['kept-for-you', 'kept-p2p']);
    await sleep(200);
    expect(got).toHaveLength(2);
    await again.endAsync();
    await pub.endAsync();
  });

  it('takes a session over across nodes and sees it in presence', async () => {
    const onA = await ap(a, 'dup');
    const presence = new Presence(redis, prefix, 'test');
    const clientId = `${g.groupId}@@@dup`;
    await until(async () => (await presence.lookup(clientId))?.node === 'node-a', 5000, 'presence on A');
    const onB = await ap(b, 'dup');
    await closed(onA);
    await until(async () => (await presence.lookup(clientId))?.node === 'node-b', 5000, 'presence on B');
    expect(onB.connected).toBe(true);
    await onB.endAsync();
    await until(async () => (await presence.lookup(clientId)) === null, 5000, 'offline');
  });
});
