// The CONNECTs' Redis operations, batched (broker/connect-ops.ts): against a real Redis, each
// operation's result in the order asked, one failing operation failing alone, long queues cut
// into batches in order, an unreachable Redis failing every operation without a hang, a batch
// failed as a whole failing what waits behind it; and over
// a real broker, a burst of clean-session CONNECTs and disconnects costing far fewer Redis
// commands than the four per CONNECT and one per disconnect they cost before, with presence
// exact throughout.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { ConnectOps } from '../../broker/connect-ops.js';
import { sessionKeyParts } from '../../broker/qos1-outgoing.js';
import { serverUrls, uid } from '../support/env.js';
import { signed, startBroker, tryConnect, type BrokerFixture } from '../support/mqtt.js';
import { deleteRedisPrefix } from '../support/scratch.js';
import { waitFor } from '../support/wait.js';

const prefix = `t${uid()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(serverUrls().redisUrl);
});
afterAll(async () => {
  await deleteRedisPrefix(serverUrls().redisUrl, prefix).catch(() => {});
  redis.disconnect();
});

const entry = (conn: string) => JSON.stringify({ node: 'n', conn, ip: null, at: 'now' });

describe('ConnectOps on a real Redis', () => {
  it('runs one turn’s operations in one batch, in the order asked, each with its own result', async () => {
    const ops = new ConnectOps(redis);
    const hash = `${prefix}:online`;
    const list = `${prefix}:p2p:a`;
    await redis.set(`${prefix}:version`, '7');
    const results = await Promise.all([
      ops.get(`${prefix}:version`),
      ops.exists(`${prefix}:version`, `${prefix}:none`),
      ops.claim(hash, 'a', entry('c1')),
      ops.claim(hash, 'a', entry('c2')), // a take-over: replaces c1
      ops.release(hash, 'a', 'c1'), // c1's late release leaves c2's entry
      ops.keep(list, 'm1', 60),
      ops.keep(list, 'm2', 60),
      ops.take(list),
      ops.take(list), // taken already
      ops.get(`${prefix}:version`), // the same batch: one GET answers both
      ops.hget(hash, 'a'), // after the claims above
    ]);
    expect(results).toEqual(['7', 1, null, entry('c1'), 0, 1, 1, ['m1', 'm2'], [], '7', entry('c2')]);
    expect(ops.batches).toBe(1);
    expect(await redis.hget(hash, 'a')).toBe(entry('c2'));
    expect(await redis.ttl(list)).toBe(-2); // the take deleted it
    expect(await ops.release(hash, 'a', 'c2')).toBe(1);
    expect(await redis.hexists(hash, 'a')).toBe(0);
  });

  it('fails only the operation Redis refuses; the rest of its batch goes on', async () => {
    const ops = new ConnectOps(redis);
    const notAList = `${prefix}:string`;
    await redis.set(notAList, 'x');
    const [claimed, taken, after] = await Promise.allSettled([
      ops.claim(`${prefix}:h2`, 'b', entry('c9')),
      ops.take(notAList),
      ops.exists(`${prefix}:h2`, notAList),
    ]);
    expect(claimed).toEqual({ status: 'fulfilled', value: null });
    expect(taken.status).toBe('rejected');
    expect(String((taken as PromiseRejectedResult).reason)).toMatch(/WRONGTYPE/);
    expect(after).toEqual({ status: 'fulfilled', value: 2 });
    expect(await redis.get(notAList)).toBe('x');
  });

  it('keeps a QoS 1 queue: identifiers per session, acknowledgements counted down, a refused one failing alone', async () => {
    const parts = sessionKeyParts(`${prefix}:qos1:`);
    const ops = new ConnectOps(redis, { sessions: parts });
    // the keys as aedes-persistence-redis names them under that prefix
    const entry = 'packet:node-1:7';
    const [pkt, count] = [`${prefix}:qos1:${entry}`, `${prefix}:qos1:${entry}:offlineCount`];
    const [q1, q2, h1, h2] = ['outgoing:s1', 'outgoing:s2', 'outgoing-sent:s1', 'outgoing-sent:s2'].map(
      (k) => `${prefix}:qos1:${k}`,
    );
    await redis.set(`${prefix}:qos1:outgoing-sent:bad`, 'x'); // not a hash
    await redis.set(pkt, 'payload');
    await redis.set(count, 2);
    await redis.rpush(q1, entry);
    await redis.rpush(q2, entry);
    const results = await Promise.allSettled([
      ops.recordSent('s1', entry, '17', 60),
      ops.recordSent('bad', entry, '18', 60), // refused: the next operations still read their own arguments
      ops.recordSent('s2', entry, '19', 0),
      ops.hgetall(h1),
      ops.acked('s1', entry),
      ops.get(count),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect((results[3] as PromiseFulfilledResult<unknown>).value).toEqual({ [entry]: '17' });
    expect((results[4] as PromiseFulfilledResult<unknown>).value).toBe(1);
    expect((results[5] as PromiseFulfilledResult<unknown>).value).toBe('1');
    expect(await redis.ttl(h2)).toBe(-1); // no retention: no expiry
    expect(await redis.llen(q1)).toBe(0);
    expect(await redis.hlen(h1)).toBe(0); // the acknowledgement removed its identifier
    // a second acknowledgement from the same queue (another identifier) removes nothing and counts nothing
    expect(await ops.acked('s1', entry)).toBe(0);
    expect(await redis.get(count)).toBe('1');
    // the last acknowledgement removes the message and its count; one for a message gone changes nothing
    ops.ackedLater('s2', entry); // no promise: the next operation's reply says it ran before
    expect(await ops.hgetall(h2)).toEqual({});
    expect(await redis.exists(pkt, count, q2, h2)).toBe(0);
    await redis.rpush(q2, entry); // a queue entry whose message and count expired meanwhile
    expect(await ops.acked('s2', entry)).toBe(1);
    expect(await redis.exists(count, q2)).toBe(0); // the count made negative is deleted at once
  });

  it('refuses the QoS 1 operations without the session store’s key parts', () => {
    const ops = new ConnectOps(redis);
    expect(() => ops.ackedLater('s1', 'packet:n:1')).toThrow(/key parts/);
  });

  it('cuts a long queue into batches of maxOps, run one after the other in order', async () => {
    const ops = new ConnectOps(redis, { maxOps: 3 });
    const hash = `${prefix}:h3`;
    const claims = Array.from({ length: 8 }, (_, i) => ops.claim(hash, 'x', entry(`c${i}`)));
    const prev = await Promise.all(claims);
    expect(prev).toEqual([null, ...Array.from({ length: 7 }, (_, i) => entry(`c${i}`))]);
    expect(ops.batches).toBe(3);
  });

  it('fails every operation when Redis cannot be reached, and goes on failing without a hang', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const dead = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => {});
    const ops = new ConnectOps(dead);
    const first = await Promise.allSettled([ops.get('k'), ops.claim('h', 'f', entry('c'))]);
    expect(first.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const second = await Promise.allSettled([ops.take('l')]);
    expect(second.map((r) => r.status)).toEqual(['rejected']);
    dead.disconnect();
  });
});

it('fails what waits behind a batch that failed as a whole, not one batch per give-up of ioredis', async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  // ioredis retrying (as the broker's connection does): it rejects its offline queue at each give-up
  const down = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: () => 20 });
  down.on('error', () => {});
  const ops = new ConnectOps(down, { maxOps: 100 });
  const settled = await Promise.allSettled(Array.from({ length: 350 }, (_, i) => ops.get(`k${i % 7}`)));
  expect(settled.every((r) => r.status === 'rejected')).toBe(true);
  // the first batch failed and took the 250 behind it along: nothing waited for further give-ups
  expect(ops.batches).toBe(1);
  down.disconnect();
});

describe('a burst of CONNECTs over the broker', () => {
  let f: BrokerFixture;
  beforeAll(async () => {
    f = await startBroker();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('costs fewer Redis commands than one per CONNECT and disconnect, with presence exact', async () => {
    const g = await f.newGroup();
    const mqttKeys = `${f.platform.config.REDIS_PREFIX}:mqtt:`;
    const online = `${mqttKeys}online`;
    // every command Redis runs that names this broker's MQTT keys, Lua scripts' inner ones aside.
    // ioredis switches a connection to monitoring a microtask after MONITOR's OK, so monitor lines
    // that arrive in the same read (other test files' commands, on a shared Redis) are reported as
    // "Command queue state error": before this test's own commands, and without a listener an
    // uncaught exception. Any other error fails the test.
    const monitor = new Redis(f.platform.ctx.redisUrl, { monitor: true });
    const monitorErrors: Error[] = [];
    monitor.on('error', (err: Error) => {
      if (!err.message.startsWith('Command queue state error')) monitorErrors.push(err);
    });
    await new Promise((r) => monitor.once('monitoring', r));
    let commands = 0;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((a) => a.includes(mqttKeys))) commands++;
    });
    const n = 200;
    const devices = Array.from({ length: n }, (_, i) => `B${i}`);
    const clients = await Promise.all(
      devices.map(async (d) => {
        const r = await tryConnect(f.url(), signed(f, g, d));
        expect(r.code).toBe(0);
        return r.client!;
      }),
    );
    await waitFor('every connection in presence', () => redis.hlen(online), { until: (x) => x === n });
    const entries = await redis.hgetall(online);
    expect(Object.keys(entries).sort()).toEqual(devices.map((d) => `${g.groupId}@@@${d}`).sort());
    expect(new Set(Object.values(entries).map((e) => (JSON.parse(e) as { conn: string }).conn)).size).toBe(n);
    await Promise.all(clients.map((c) => c.endAsync()));
    await waitFor('every connection released', () => redis.hlen(online), { until: (x) => x === 0 });
    await new Promise((r) => setTimeout(r, 200));
    monitor.disconnect();
    expect(monitorErrors).toEqual([]);
    // before the batching: GET, EXISTS and two EVALSHA per CONNECT, one EVALSHA per disconnect (5 n)
    expect(commands).toBeGreaterThan(0);
    expect(commands).toBeLessThan(n);
  });
});
