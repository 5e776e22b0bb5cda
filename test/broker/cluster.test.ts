// Two real broker processes sharing MySQL and Redis: a publish, a P2P message, a persistent
// session with its offline messages and a take-over all cross from one node to the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { hmacB64, loadPlatformSecret, Presence, SecretBox } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { loadConfig } from '../../server/config.js';
import { createLogger } from '../../server/core/logger.js';
import { createPool } from '../../server/db/pool.js';
import { ConnectionEventsWorker } from '../../server/devices/connection-events-worker.js';
import { RegistryService } from '../../server/registry/registry-service.js';
import { StalePresenceSweeper } from '../../server/devices/stale-presence-sweeper.js';
import { createTestDatabase, serverUrls, uid } from '../support/env.js';
import { closed, inbox, newGroup, sleep, tryConnect } from '../support/mqtt.js';
import { startBrokerNode, type BrokerNode } from '../support/mqtt-node.js';
import { deleteRedisPrefix } from '../support/scratch.js';
import { execute, queryRows } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';
import { Queue } from 'bullmq';
import { bullConnection } from '../../server/core/redis.js';
import { CONNECTION_EVENTS_QUEUE } from '../../broker/index.js';

let a: BrokerNode;
let b: BrokerNode;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: mysql.Pool;
let redis: Redis;
const prefix = `t${uid()}`;
const parent = `c${uid(3)}`;
let g: { groupId: string; accessKeyId: string; secret: string };
let reg: RegistryService;
const config = loadConfig({});

beforeAll(async () => {
  db = await createTestDatabase();
  const { redisUrl } = serverUrls();
  const env = { MYSQL_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, MQTT_PARENT_TOPIC: parent };
  a = await startBrokerNode('node-a', env); // migrates the database first
  b = await startBrokerNode('node-b', env);
  pool = mysql.createPool({ uri: db.url, timezone: 'Z' });
  redis = new Redis(redisUrl);
  reg = new RegistryService(
    pool,
    redis,
    prefix,
    SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR),
    createLogger('silent'),
  );
  g = await newGroup(reg);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await pool?.end();
  redis?.disconnect();
  await db?.drop();
  await deleteRedisPrefix(serverUrls().redisUrl, prefix);
});

const signedBy = (
  node: BrokerNode,
  key: { groupId: string; accessKeyId: string; secret: string },
  dev: string,
  clean = true,
) => {
  const clientId = `${key.groupId}@@@${dev}`;
  return tryConnect(node.url, {
    clientId,
    clean,
    username: `Signature|${key.accessKeyId}|${node.instanceId}`,
    password: hmacB64(key.secret, clientId),
  });
};
const ap = async (node: BrokerNode, dev: string, clean = true) => {
  const r = await signedBy(node, g, dev, clean);
  if (!r.client) throw new Error(`AP connect to ${node.name}: ${r.code}`);
  return r.client;
};
const platform = async (node: BrokerNode) => {
  const r = await tryConnect(node.url, {
    clientId: `platform-${node.name}-${uid(2)}`,
    clean: false,
    username: `Platform|${node.instanceId}`,
    password: loadPlatformSecret(config.PLATFORM_MQTT_SECRET, config.DATA_DIR),
  });
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
    await waitFor('cross-node delivery', () => got.length === 2);
    expect(got.map((m) => m.payload).sort()).toEqual(['cross-node', 'cross-node-p2p']);
    await sub.endAsync();
    await pub.endAsync();
  });

  // A node delivers its own publishes locally and uses Redis only for the other nodes
  // (broker/local-emitter.ts): its own echo from Redis must not deliver a second copy.
  it('delivers each publish exactly once, on the publishing node and on the other', async () => {
    const [onA, onB] = [await ap(a, 'once-a'), await ap(b, 'once-b')];
    const [gotA, gotB] = [inbox(onA), inbox(onB)];
    await Promise.all([onA.subscribeAsync(task(), { qos: 1 }), onB.subscribeAsync(task(), { qos: 0 })]);
    const pub = await platform(a);
    for (let i = 0; i < 5; i++) await pub.publishAsync(task(), `t${i}`, { qos: 1 });
    await pub.publishAsync(`${parent}/p2p/${g.groupId}@@@once-a`, 'p2p-local', { qos: 1 });
    await pub.publishAsync(`${parent}/p2p/${g.groupId}@@@once-b`, 'p2p-remote', { qos: 0 });
    await waitFor('deliveries on both nodes', () => gotA.length >= 6 && gotB.length >= 6);
    // long enough for an echo through Redis to arrive
    await sleep(500);
    const tasks = ['t0', 't1', 't2', 't3', 't4'];
    expect(gotA.map((m) => m.payload).sort()).toEqual(['p2p-local', ...tasks]);
    expect(gotB.map((m) => m.payload).sort()).toEqual(['p2p-remote', ...tasks]);
    await Promise.all([onA.endAsync(), onB.endAsync(), pub.endAsync()]);
  });

  it('moves a persistent session from A to B with its offline messages', async () => {
    const first = await ap(a, 'mv', false);
    await first.subscribeAsync(task(), { qos: 1 });
    await first.endAsync();
    const pub = await platform(a);
    await pub.publishAsync(task(), 'kept-for-you', { qos: 1 });
    await pub.publishAsync(`${parent}/p2p/${g.groupId}@@@mv`, 'kept-p2p', { qos: 1 });
    // aedes sends PUBACK before it publishes (broker/README.md): a reconnect before node A has
    // queued and emitted both messages would also get live copies, duplicates QoS 1 allows but
    // this test counts. The P2P message is kept last (published hook of the second publish).
    const mv = `${g.groupId}@@@mv`;
    await waitFor(
      'both messages kept on A',
      async () =>
        (await redis.llen(`${prefix}:mqtt:p2p:${mv}`)) === 1 &&
        (await redis.llen(`${prefix}:mqtt:s:outgoing:${encodeURIComponent(mv)}`)) === 1,
    );
    const again = await ap(b, 'mv', false);
    const got = inbox(again);
    await waitFor('offline messages on node B', () => got.length >= 2);
    expect(got.map((m) => m.payload).sort()).toEqual(['kept-for-you', 'kept-p2p']);
    await sleep(200);
    expect(got).toHaveLength(2);
    await again.endAsync();
    await pub.endAsync();
  });

  // Both nodes cache Group IDs and AccessKeys per registry version (broker/registry/registry-view.ts).
  it('applies a revoked AccessKey to the next connection on both nodes at once, with their caches warm', async () => {
    const k = await reg.issueAccessKey(SYSTEM_ACTOR, { groupIds: [g.groupId] });
    const key = { groupId: g.groupId, accessKeyId: k.accessKeyId, secret: k.accessKeySecret };
    const warmA = await signedBy(a, key, 'rk1');
    const warmB = await signedBy(b, key, 'rk2');
    expect([warmA.code, warmB.code]).toEqual([0, 0]);
    // A change made behind the registry service (no new version) is not seen: the cache is on.
    await execute(
      pool,
      'UPDATE mqtt_access_keys SET revoked_at = CURRENT_TIMESTAMP(3) WHERE access_key_id = ?',
      [k.accessKeyId],
    );
    const cached = await signedBy(b, key, 'rk3');
    expect(cached.code).toBe(0);
    await execute(pool, 'UPDATE mqtt_access_keys SET revoked_at = NULL WHERE access_key_id = ?', [
      k.accessKeyId,
    ]);
    // Through the service, the revocation holds for the very next CONNECT on either node.
    await reg.revokeAccessKey(SYSTEM_ACTOR, k.accessKeyId);
    expect((await signedBy(b, key, 'rk4')).code).toBe(4);
    expect((await signedBy(a, key, 'rk5')).code).toBe(4);
    await Promise.all([closed(warmA.client!), closed(warmB.client!), closed(cached.client!)]);
  });

  it('applies a deleted Group ID and a rotated device credential to the next connection on both nodes at once', async () => {
    const groupId = `GID_${uid(4)}`;
    await reg.createGroup(SYSTEM_ACTOR, { groupId });
    const k = await reg.issueAccessKey(SYSTEM_ACTOR, { groupIds: [groupId] });
    const key = { groupId, accessKeyId: k.accessKeyId, secret: k.accessKeySecret };
    const d = await reg.issueDeviceCredential(SYSTEM_ACTOR, { clientId: `${g.groupId}@@@dc1` });
    const dc = (node: BrokerNode, secret: string) =>
      tryConnect(node.url, {
        clientId: d.clientId,
        username: `DeviceCredential|${d.deviceAccessKeyId}|${node.instanceId}`,
        password: hmacB64(secret, d.clientId),
      });
    for (const node of [a, b]) {
      const r = await signedBy(node, key, `gd-${node.name}`);
      expect(r.code).toBe(0);
      await r.client!.endAsync();
      const c = await dc(node, d.deviceAccessKeySecret);
      expect(c.code).toBe(0);
      await c.client!.endAsync();
    }
    // Deleting a Group ID announces no kick: only the registry version tells the nodes.
    await reg.deleteGroup(SYSTEM_ACTOR, groupId);
    for (const node of [b, a]) expect((await signedBy(node, key, `gd2-${node.name}`)).code).toBe(2);
    const rotated = await reg.rotateDeviceCredential(SYSTEM_ACTOR, d.deviceAccessKeyId);
    for (const node of [b, a]) expect((await dc(node, d.deviceAccessKeySecret)).code).toBe(4);
    const fresh = await dc(a, rotated.deviceAccessKeySecret);
    expect(fresh.code).toBe(0);
    await fresh.client!.endAsync();
  });

  it('takes a session over across nodes and sees it in presence', async () => {
    const onA = await ap(a, 'dup');
    const presence = new Presence(redis, prefix, 'test');
    const clientId = `${g.groupId}@@@dup`;
    await waitFor('presence on A', async () => (await presence.lookup(clientId))?.node === 'node-a');
    const onB = await ap(b, 'dup');
    await closed(onA);
    await waitFor('presence on B', async () => (await presence.lookup(clientId))?.node === 'node-b');
    expect(onB.connected).toBe(true);
    await onB.endAsync();
    await waitFor('offline', async () => (await presence.lookup(clientId)) === null);
  });

  it('records 50 take-overs from node A to node B, 30 at once and 20 one by one, as take-overs on both sides', async () => {
    // node B's presence claim is batched (connect-ops.ts) while its new-client notice makes A
    // close and release at once: the notice waits for the claim, or A's release could reach
    // Redis first and the take-over read as a clean leave on A and a plain connect on B
    const { redisUrl } = serverUrls();
    const appPool = createPool(db.url, 4);
    const events = new ConnectionEventsWorker(appPool, redisUrl, prefix, createLogger('silent'));
    await events.start();
    const devs = Array.from({ length: 50 }, (_, i) => `tk${i}`);
    const ids = devs.map((d) => `${g.groupId}@@@${d}`);
    const presence = new Presence(redis, prefix, 't');
    const seconds: Awaited<ReturnType<typeof ap>>[] = [];
    try {
      const firsts = await Promise.all(devs.map((d) => ap(a, d)));
      await waitFor('all on A', async () =>
        (await Promise.all(ids.map((id) => presence.lookup(id)))).every((e) => e?.node === 'node-a'),
      );
      seconds.push(...(await Promise.all(devs.slice(0, 30).map((d) => ap(b, d)))));
      await Promise.all(firsts.slice(0, 30).map((c) => closed(c)));
      // and one at a time: each claim then waits alone for its batch
      for (let i = 30; i < devs.length; i++) {
        seconds.push(await ap(b, devs[i]));
        await closed(firsts[i]);
      }
      // B's side: a take-over event from B; A's side: its disconnect's reason is the take-over
      const sides = [
        ['on B', "kind = 'takeover' AND broker_node = 'node-b'"],
        ['on A', "kind = 'disconnect' AND broker_node = 'node-a' AND reason = 'takeover'"],
      ];
      for (const [side, where] of sides) {
        await waitFor(
          `every take-over recorded ${side}`,
          async () =>
            (
              await queryRows<{ n: number }>(
                pool,
                `SELECT COUNT(*) AS n FROM ap_connection_events WHERE client_id IN (?) AND ${where}`,
                [ids],
              )
            )[0].n,
          { until: (n) => n === 50, timeoutMs: 30_000 },
        );
      }
    } finally {
      await Promise.all(seconds.map((c) => c.endAsync()));
      await events.stop();
      await appPool.end();
    }
  }, 120_000);

  it('records APs that reconnect to another node after theirs died as resumed after node loss, and a live duplicate as a take-over', async () => {
    const { redisUrl } = serverUrls();
    const appPool = createPool(db.url, 4);
    const events = new ConnectionEventsWorker(appPool, redisUrl, prefix, createLogger('silent'));
    await events.start();
    const queue = new Queue(CONNECTION_EVENTS_QUEUE, { connection: bullConnection(redisUrl), prefix });
    const env = { MYSQL_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, MQTT_PARENT_TOPIC: parent };
    const devs = ['rs1', 'rs2', 'rs3'];
    const ids = devs.map((d) => `${g.groupId}@@@${d}`);
    const rows = () =>
      queryRows<{ online: number; node: string; takeovers: number }>(
        pool,
        'SELECT online, broker_node AS node, takeovers FROM aps WHERE client_id IN (?) ORDER BY client_id',
        [ids],
      );
    const takeoverRecords = async (clientIds: string[]) =>
      (
        await queryRows<{ n: number }>(
          pool,
          "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'ap.taken_over' AND object_id IN (?)",
          [clientIds],
        )
      )[0].n;
    const settled = async () => {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(c).every((n) => n === 0);
    };
    let e: BrokerNode | null = null;
    const clients = [];
    try {
      e = await startBrokerNode('node-e', env);
      for (const d of devs) await ap(e, d);
      await waitFor('APs online on node E', async () => {
        const r = await rows();
        return r.length === 3 && r.every((x) => x.online === 1 && x.node === 'node-e');
      });
      await new Promise((r) => {
        e!.proc.once('exit', r);
        e!.proc.kill('SIGKILL');
      });
      // as after a real crash: node E's heartbeat key lives on for up to 30 s
      expect(await redis.exists(`${prefix}:mqtt:node:node-e`)).toBe(1);
      for (const d of devs) clients.push(await ap(b, d));
      await waitFor('APs online on node B', async () => {
        const r = await rows();
        return r.every((x) => x.online === 1 && x.node === 'node-b');
      });
      await waitFor('connection events applied', settled);
      await sleep(500);
      await waitFor('connection events applied', settled);
      expect((await rows()).map((r) => r.takeovers)).toEqual([0, 0, 0]);
      expect(await takeoverRecords(ids)).toBe(0);
      const history = await queryRows<{ clientId: string; kind: string; reason: string; prev: string }>(
        pool,
        `SELECT client_id AS clientId, kind, reason, previous_node AS prev FROM ap_connection_events
          WHERE client_id IN (?) AND kind = 'resumed' ORDER BY client_id`,
        [ids],
      );
      expect(history).toEqual(
        ids.map((clientId) => ({ clientId, kind: 'resumed', reason: 'node_lost', prev: 'node-e' })),
      );

      // two live connections with one Client ID, on two live nodes: a take-over, recorded as such
      const dup = `${g.groupId}@@@rs-dup`;
      const first = await ap(a, 'rs-dup');
      await waitFor(
        'first on A',
        async () => (await new Presence(redis, prefix, 't').lookup(dup))?.node === 'node-a',
      );
      const second = await ap(b, 'rs-dup');
      await closed(first);
      clients.push(second);
      await waitFor('take-over recorded', async () => (await takeoverRecords([dup])) === 1);
      const [t] = await queryRows<{ takeovers: number }>(
        pool,
        'SELECT takeovers FROM aps WHERE client_id = ?',
        [dup],
      );
      expect(t.takeovers).toBe(1);
      const kinds = await queryRows<{ kind: string; reason: string | null; node: string }>(
        pool,
        'SELECT kind, reason, broker_node AS node FROM ap_connection_events WHERE client_id = ? ORDER BY id',
        [dup],
      );
      expect(kinds).toEqual(
        expect.arrayContaining([
          { kind: 'takeover', reason: null, node: 'node-b' },
          { kind: 'disconnect', reason: 'takeover', node: 'node-a' },
        ]),
      );
    } finally {
      await Promise.all(clients.map((c) => c.endAsync()));
      await e?.stop();
      await queue.close();
      await events.stop();
      await appPool.end();
    }
  }, 180_000);

  it('records the APs of a node that died as offline: node_lost by the sweep, lost when the node restarts under its id', async () => {
    const { redisUrl } = serverUrls();
    const appPool = createPool(db.url, 4);
    const log = createLogger('silent');
    const events = new ConnectionEventsWorker(appPool, redisUrl, prefix, log);
    const sweeper = new StalePresenceSweeper({
      pool: appPool,
      redis,
      log,
      config: loadConfig({ REDIS_PREFIX: prefix }),
    });
    await events.start();
    const env = { MYSQL_URL: db.url, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, MQTT_PARENT_TOPIC: parent };
    const apRow = async (dev: string) =>
      (
        await queryRows<{ online: number; node: string; reason: string | null }>(
          pool,
          'SELECT online, broker_node AS node, disconnect_reason AS reason FROM aps WHERE client_id = ?',
          [`${g.groupId}@@@${dev}`],
        )
      )[0];
    const killed = (n: BrokerNode) =>
      new Promise((r) => {
        n.proc.once('exit', r);
        n.proc.kill('SIGKILL');
      });
    let c: BrokerNode | null = null;
    let d: BrokerNode | null = null;
    try {
      // a node killed for good: its heartbeat lapses, the sweep marks its APs offline
      c = await startBrokerNode('node-c', env);
      await ap(c, 'on-c');
      await ap(b, 'on-b');
      await waitFor(
        'both APs online',
        async () => (await apRow('on-c'))?.online === 1 && (await apRow('on-b'))?.online === 1,
      );
      expect(await sweeper.sweep()).toBe(0); // every node alive: nothing to do
      await killed(c);
      // the heartbeat key's 30 s TTL running out, without waiting for it
      await redis.del(`${prefix}:mqtt:node:node-c`);
      expect(await sweeper.sweep()).toBe(1);
      expect(await apRow('on-c')).toEqual({ online: 0, node: 'node-c', reason: 'node_lost' });
      expect((await apRow('on-b')).online).toBe(1); // an AP of a live node is left alone
      expect(await sweeper.sweep()).toBe(0); // and only once
      // the AP's disconnect in the connection history; one audit record for the node
      const hist = await queryRows<{ kind: string; reason: string; node: string }>(
        pool,
        'SELECT kind, reason, broker_node AS node FROM ap_connection_events WHERE client_id = ? ORDER BY id',
        [`${g.groupId}@@@on-c`],
      );
      expect(hist.at(-1)).toEqual({ kind: 'disconnect', reason: 'node_lost', node: 'node-c' });
      const audit = await queryRows<{ actor: string; a: string; refs: string }>(
        pool,
        "SELECT actor, after_json AS a, refs FROM audit_log WHERE action = 'broker.node_lost' AND object_id = 'node-c'",
      );
      expect(audit).toHaveLength(1);
      expect(audit[0].actor).toBe('system');
      expect(audit[0].refs).toContain(` ap:${g.groupId}@@@on-c `);
      expect(JSON.parse(audit[0].a)).toMatchObject({ reason: 'node_lost', aps: 1 });

      // a node killed and started again under the same MQTT_NODE_ID records its old clients as lost
      d = await startBrokerNode('node-d', env);
      await ap(d, 'on-d');
      await waitFor('AP on D online', async () => (await apRow('on-d'))?.online === 1);
      await killed(d);
      d = await startBrokerNode('node-d', env);
      await waitFor('AP of the restarted node offline', async () => (await apRow('on-d'))?.online === 0);
      expect(await apRow('on-d')).toEqual({ online: 0, node: 'node-d', reason: 'lost' });
    } finally {
      await Promise.all([c?.stop(), d?.stop()]);
      await events.stop();
      await appPool.end();
    }
  }, 180_000);
});
