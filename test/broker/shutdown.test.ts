// A broker's stop must not crash when its Redis connections drop in the middle of it (Redis
// restarting, a network cut, or Redis resetting a connection whose QUIT had commands behind it:
// `npm run bench:broker` stopping a broker as 10,000 connections closed). mqemitter-redis quit
// its two connections with no handler on the QUIT's promise, so a QUIT that got no reply was an
// unhandled rejection, which ends a Node 20 process. Here the emitter's QUITs are held in a
// frozen TCP proxy in front of Redis and their connections then dropped.
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerService, hmacB64 } from '../../broker/index.js';
import { serverUrls, uid } from '../support/env.js';
import { newGroup, platformRegistry, sleep, tryConnect } from '../support/mqtt.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

let proxy: TcpProxy;
let p: TestPlatform;
const parent = `p${uid(4)}`;

beforeAll(async () => {
  proxy = await startTcpProxy(serverUrls().redisUrl);
  p = await startTestPlatform(
    { ROLES: 'broker', MQTT_EPHEMERAL_PORTS: '1', MQTT_PARENT_TOPIC: parent },
    { redisUrl: proxy.url },
  );
});
afterAll(async () => {
  proxy?.thaw();
  await p?.close();
  await proxy?.close();
});

it('stops without an unhandled rejection when Redis drops its connections during the stop', async () => {
  const broker = p.services.find((s) => s.name === 'broker') as BrokerService;
  const { groupId, accessKeyId, secret } = await newGroup(platformRegistry(p));
  // a connected AP: its close at the stop sends a `$SYS` disconnect notice behind which the QUIT goes
  const clientId = `${groupId}@@@D1`;
  const ap = await tryConnect(`mqtt://127.0.0.1:${broker.ports.tcp}`, {
    clientId,
    username: `Signature|${accessKeyId}|${broker.instanceId}`,
    password: hmacB64(secret, clientId),
    reconnectPeriod: 0,
  });
  expect(ap.code).toBe(0);
  ap.client!.on('error', () => {});
  const online = `${p.config.REDIS_PREFIX}:mqtt:online`;
  // the presence claim leaves in the CONNECTs' next batch (connect-ops.ts), a millisecond or two after CONNACK
  await waitFor('presence entry', () => p.ctx.redis.hget(online, clientId), { until: (v) => v !== null });

  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    // aedes emits 'closed' when its clients are closed, just before it closes the emitter
    const aedes = (broker as unknown as { aedes: EventEmitter }).aedes;
    const clientsClosed = new Promise((r) => aedes.once('closed', r));
    proxy.freeze();
    const stopping = broker.stop();
    await clientsClosed;
    // the emitter's QUITs go into the frozen proxy, where no reply comes...
    await sleep(300);
    // ...and their connections are dropped: Redis gone in the middle of the stop
    proxy.thaw();
    await stopping;
    // an unhandled rejection is reported after the turn it happened in
    await sleep(100);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  expect(unhandled.map((e) => String(e))).toEqual([]);
  // the stop did its work once Redis answered again: the AP's presence entry is released
  expect(await p.ctx.redis.hget(online, clientId)).toBeNull();
});
