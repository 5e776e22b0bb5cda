// `npm run bench:broker`: the platform's broker (signature auth and authorization hooks on,
// Redis persistence and emitter on, in its own process) against Mosquitto (Debian package),
// under the same load generator on this machine. Prints msgs/s for QoS 0 and QoS 1 fan-in and
// fan-out, connections/s with signature auth, and RSS with 10,000 concurrent connections.
// Bounded in time (about 2-3 minutes). Knobs: BENCH_SECONDS, BENCH_CONNECTIONS (environment).
import crypto from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { hmacB64, loadPlatformSecret, SecretBox } from '../broker/index.js';
import { SYSTEM_ACTOR } from '../server/audit/audit-chain.js';
import { PROJECT_ROOT } from '../server/config.js';
import { createLogger } from '../server/core/logger.js';
import { createPool } from '../server/db/pool.js';
import { startEmbeddedServices } from '../server/embedded/embedded-services.js';
import { RegistryService } from '../server/registry/registry-service.js';
import { connectPackets, fanIn, fanOut, openMany } from './broker-load.js';
import { rssMb, startMosquitto, startOurs, type Target } from './broker-targets.js';
import { createScratchDatabase, deleteRedisPrefix } from '../test/support/scratch.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const say = (s: string) => process.stdout.write(`${s}\n`);

interface Row {
  fanInQos0: number;
  fanInQos1: number;
  fanOutQos0: number;
  fanOutQos1: number;
  connPerSec: number;
  rssIdle: number;
  rssConns: number;
}

async function measure(t: Target): Promise<Row> {
  say(`  ${t.name}: fan-in QoS 0`);
  const fanInQos0 = await fanIn(t, 0, 20, SECONDS);
  say(`  ${t.name}: fan-in QoS 1`);
  const fanInQos1 = await fanIn(t, 1, 20, SECONDS);
  say(`  ${t.name}: fan-out QoS 0`);
  const fanOutQos0 = await fanOut(t, 0, 50, SECONDS);
  say(`  ${t.name}: fan-out QoS 1`);
  const fanOutQos1 = await fanOut(t, 1, 50, SECONDS);
  say(`  ${t.name}: connections/s`);
  const burst = await openMany(t.port, connectPackets(t, 100_000, 1000), 50);
  for (const s of burst.sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 1000));
  const rssIdle = rssMb(t.pid);
  say(`  ${t.name}: ${CONNECTIONS} connections`);
  const many = await openMany(t.port, connectPackets(t, 200_000, CONNECTIONS), 100);
  await new Promise((r) => setTimeout(r, 1000));
  const rssConns = rssMb(t.pid);
  for (const s of many.sockets) s.destroy();
  return { fanInQos0, fanInQos1, fanOutQos0, fanOutQos1, connPerSec: burst.perSecond, rssIdle, rssConns };
}

async function main() {
  const deadline = setTimeout(() => {
    say('bench: over 5 minutes, giving up');
    process.exit(3);
  }, 5 * 60_000);
  deadline.unref();
  const dataDir = path.join(PROJECT_ROOT, '.data');
  const urls = await startEmbeddedServices(dataDir);
  const tag = crypto.randomBytes(3).toString('hex');
  const db = await createScratchDatabase(urls.mysqlUrl, `esl_bench_${tag}`);
  const prefix = `bench${tag}`;
  const parent = 'esl';
  const redis = new Redis(urls.redisUrl);
  const results: Record<string, Row> = {};
  try {
    const ours = await startOurs({
      NODE_ENV: 'production',
      MYSQL_URL: db.url,
      REDIS_URL: urls.redisUrl,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
      MQTT_PARENT_TOPIC: parent,
      MQTT_NODE_ID: `bench-${tag}`,
      // every connection comes from one IP with one key, as fast as it can: the CONNECT rate
      // limits (broker/connect-limits.ts) would refuse the benchmark itself; Mosquitto has none
      MQTT_CONNECT_RATE_PER_KEY: '0',
      MQTT_CONNECT_RATE_PER_IP: '0',
    });
    const pool = createPool(db.url, 4);
    const reg = new RegistryService(
      pool,
      redis,
      prefix,
      SecretBox.load(undefined, dataDir),
      createLogger('silent'),
    );
    const groupId = `GID_bench${tag}`;
    await reg.createGroup(SYSTEM_ACTOR, { groupId });
    const key = await reg.issueAccessKey(SYSTEM_ACTOR, {});
    await pool.end();
    const platformSecret = loadPlatformSecret(undefined, dataDir);
    const dev = (i: number) => `${groupId}@@@D${i}`;
    const common = {
      pubTopic: (i: number) => `${parent}/status/${groupId}/D${i}`,
      subAllUplink: `${parent}/status/#`,
      taskTopic: `${parent}/task/${groupId}`,
    };
    const oursTarget: Target = {
      name: 'esl broker',
      port: ours.port,
      pid: ours.proc.pid!,
      ap: (i) => ({
        clientId: dev(i),
        username: `Signature|${key.accessKeyId}|${ours.instanceId}`,
        password: hmacB64(key.accessKeySecret, dev(i)),
      }),
      platform: () => ({
        clientId: `platform-bench-${crypto.randomBytes(2).toString('hex')}`,
        username: `Platform|${ours.instanceId}`,
        password: platformSecret,
      }),
      ...common,
      stop: ours.stop,
    };
    say('esl broker (auth + authorization + Redis persistence):');
    try {
      results.ours = await measure(oursTarget);
    } finally {
      await ours.stop();
    }

    const mosq = await startMosquitto();
    const mosqTarget: Target = {
      name: 'mosquitto',
      port: mosq.port,
      pid: mosq.proc.pid!,
      ap: (i) => ({ clientId: dev(i) }),
      platform: () => ({ clientId: `platform-bench-${crypto.randomBytes(2).toString('hex')}` }),
      ...common,
      stop: mosq.stop,
    };
    say('mosquitto (anonymous, in-memory):');
    try {
      results.mosquitto = await measure(mosqTarget);
    } finally {
      await mosq.stop();
    }
  } finally {
    await db.drop();
    redis.disconnect();
    await deleteRedisPrefix(urls.redisUrl, prefix);
  }

  const o = results.ours;
  const m = results.mosquitto;
  const f0 = (n: number) => n.toFixed(0).padStart(10);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`.padStart(8);
  say('');
  say(`| measure (2 cores, shared)            |  esl broker |   mosquitto |  ratio |`);
  say(`|--------------------------------------|-------------|-------------|--------|`);
  const row = (label: string, a: number, b: number, unit = '') =>
    say(
      `| ${label.padEnd(36)} | ${f0(a)}${unit.padStart(2)} | ${f0(b)}${unit.padStart(2)} | ${ratio(a, b)} |`,
    );
  row('fan-in QoS 0, 20 -> 1 (msgs/s)', o.fanInQos0, m.fanInQos0);
  row('fan-in QoS 1, 20 -> 1 (msgs/s)', o.fanInQos1, m.fanInQos1);
  row('fan-out QoS 0, 1 -> 50 (msgs/s)', o.fanOutQos0, m.fanOutQos0);
  row('fan-out QoS 1, 1 -> 50 (msgs/s)', o.fanOutQos1, m.fanOutQos1);
  row('connections/s (signature auth)', o.connPerSec, m.connPerSec);
  row('RSS idle (MB)', o.rssIdle, m.rssIdle);
  row(`RSS with ${CONNECTIONS} connections (MB)`, o.rssConns, m.rssConns);
  say('');
  say(
    'Mosquitto runs anonymous with in-memory state; the esl broker checks every CONNECT against the registry',
  );
  say(
    '(Group ID, AccessKey: cached per registry version, one Redis GET; HMAC-SHA1), authorizes every packet',
  );
  say('and queues every uplink publish in Redis.');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
