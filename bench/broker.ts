// `npm run bench:broker`: the platform's broker (signature auth and authorization hooks on,
// Redis persistence and emitter on, in its own process) against Mosquitto (Debian package),
// under the same load generator on this machine, one after the other in the same run. Prints
// every row as a ratio to Mosquitto: QoS 0 and QoS 1 fan-in (at an offered rate the generator
// sustains, with delivered/sent) and fan-out (QoS 1 also to persistent sessions), connections/s with signature auth, RSS with
// 10,000 concurrent connections, and a reconnect storm (those 10,000 APs lose their broker at
// once: SIGKILL and start again; the time until every one is connected again).
// Knobs (environment): BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_FANIN_RATE (msgs/s offered in
// the fan-in rows; default: 3/4 of what Mosquitto delivers closed loop in this run),
// BENCH_ROWS (comma list of fanin,fanout,conn,storm; default all), BENCH_TARGETS (ours,mosquitto),
// BENCH_PROFILE (a directory: our broker runs with --cpu-prof there), BENCH_OURS_NODE_ARGS (more
// node flags for our broker and the "before" one, space-separated), BENCH_BASE_ROOT (another
// checkout, e.g. of an earlier commit: its broker gets a column too, before/after in one run),
// BENCH_CONN_COUNT (CONNECTs of the connections/s burst, default 1,000), BENCH_CONN_CONCURRENCY
// (CONNECTs in flight, default 50; the warm-up's too), BENCH_CONN_WARMUP (CONNECTs opened and
// closed before that burst, default 2,000; 0: the burst meets a broker that never saw a
// CONNECT); each up to 50,000.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { hmacB64, loadPlatformSecret, SecretBox } from '../broker/index.js';
import { sessionKeyPrefix } from '../broker/persistence.js';
import { outgoingKey } from '../broker/qos1-outgoing.js';
import { SYSTEM_ACTOR } from '../server/audit/audit-chain.js';
import { PROJECT_ROOT } from '../server/config.js';
import { createLogger } from '../server/core/logger.js';
import { createPool } from '../server/db/pool.js';
import { startEmbeddedServices } from '../server/embedded/embedded-services.js';
import { RegistryService } from '../server/registry/registry-service.js';
import { connectPackets, fanIn, fanInMax, fanOut, Fleet, openMany, type FanIn } from './broker-load.js';
import { cpuMs, rssMb, startMosquitto, startOurs, type Target } from './broker-targets.js';
import { createScratchDatabase, deleteRedisPrefix } from '../test/support/scratch.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const ROWS = new Set((process.env.BENCH_ROWS ?? 'fanin,fanout,conn,storm').split(','));
const TARGETS = new Set((process.env.BENCH_TARGETS ?? 'ours,mosquitto').split(','));

/** An integer knob in [min, max], or the bench stops and says which one. */
function intKnob(name: string, dflt: number, min: number, max: number): number {
  const raw = process.env[name];
  const v = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    process.stderr.write(`bench: ${name}=${raw} is not a whole number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return v;
}
/** The connections/s row: its CONNECTs, the warm-up's, how many in flight (Client IDs below the storm's) */
const CONN = {
  count: intKnob('BENCH_CONN_COUNT', 1000, 1, 50_000),
  warmup: intKnob('BENCH_CONN_WARMUP', 2000, 0, 50_000),
  concurrency: intKnob('BENCH_CONN_CONCURRENCY', 50, 1, 10_000),
};
const PROFILE = process.env.BENCH_PROFILE;
/** another checkout of the project (e.g. `git worktree` of an earlier commit with node_modules): its broker is measured too */
const BASE_ROOT = process.env.BENCH_BASE_ROOT;
const say = (s: string) => process.stdout.write(`${s}\n`);

interface Row {
  fanInQos0?: FanIn;
  fanInQos1?: FanIn;
  fanOutQos0?: number;
  fanOutQos1?: number;
  /** QoS 1 to APs with persistent sessions */
  fanOutQos1Persistent?: number;
  /** the broker's CPU time per delivery (µs): QoS 0, QoS 1, QoS 1 to persistent sessions */
  fanOutCpuUs?: [number, number, number];
  connPerSec?: number;
  /** the broker's CPU ms per connection of the connections/s burst */
  connCpuMs?: number;
  rssIdle?: number;
  rssConns?: number;
  /** seconds from the kill until every AP is connected again, and from "accepting" until then */
  storm?: { total: number; afterStart: number; attempts: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The embedded Redis' process (its pid file), if it runs here. */
function redisPid(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'redis.pid'), 'utf8').trim());
    return pid > 0 && fs.existsSync(`/proc/${pid}/stat`) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The offered fan-in rate per QoS: configured, else 3/4 of Mosquitto's closed-loop figure. */
const fanInRate: Record<0 | 1, number> = { 0: 0, 1: 0 };

async function calibrate(t: Target) {
  for (const qos of [0, 1] as const) {
    const max = await fanInMax(t, qos, 20, SECONDS);
    fanInRate[qos] = Math.max(1000, Math.round((max * 0.75) / 1000) * 1000);
    say(`  ${t.name}: fan-in QoS ${qos} closed loop ${max.toFixed(0)} msgs/s -> offered ${fanInRate[qos]}`);
  }
}

async function measure(t: Target): Promise<Row> {
  const row: Row = {};
  if (ROWS.has('fanin')) {
    for (const qos of [0, 1] as const) {
      say(`  ${t.name}: fan-in QoS ${qos} at ${fanInRate[qos]} msgs/s`);
      const cpu0 = cpuMs(t.pid());
      const redis0 = t.redisPid ? cpuMs(t.redisPid) : 0;
      const r = await fanIn(t, qos, 20, SECONDS, fanInRate[qos], 500 + qos * 20);
      r.cpuUs = ((cpuMs(t.pid()) - cpu0) * 1000) / Math.max(1, r.delivered);
      if (t.redisPid) r.redisCpuUs = ((cpuMs(t.redisPid) - redis0) * 1000) / Math.max(1, r.delivered);
      row[qos ? 'fanInQos1' : 'fanInQos0'] = r;
    }
  }
  if (ROWS.has('fanout')) {
    const kinds = [
      { qos: 0, clean: true, key: 'fanOutQos0', what: 'QoS 0' },
      { qos: 1, clean: true, key: 'fanOutQos1', what: 'QoS 1' },
      { qos: 1, clean: false, key: 'fanOutQos1Persistent', what: 'QoS 1, persistent sessions' },
    ] as const;
    for (const [i, k] of kinds.entries()) {
      say(`  ${t.name}: fan-out ${k.what}`);
      const cpu0 = cpuMs(t.pid());
      const r = await fanOut(t, k.qos, 50, SECONDS, k.clean);
      row.fanOutCpuUs ??= [NaN, NaN, NaN];
      row.fanOutCpuUs[i] = ((cpuMs(t.pid()) - cpu0) * 1000) / Math.max(1, r.delivered);
      row[k.key] = r.rate;
    }
  }
  if (ROWS.has('conn')) {
    say(`  ${t.name}: connections/s`);
    // every target first takes a warm-up burst (other Client IDs, closed again): the row measures
    // a running broker's rate, not its first CONNECTs (in ours, V8 still compiling the CONNECT
    // path: about 15-30 % slower, bench/README.md "Session 15"); the storm row measures a cold start
    // Client IDs: the burst's from D100000, the warm-up's right after them (both under the storm's D200000)
    if (CONN.warmup > 0) {
      const warmup = connectPackets(t, 100_000 + CONN.count, CONN.warmup);
      for (const s of (await openMany(t.port, warmup, CONN.concurrency)).sockets) s.destroy();
      await sleep(1000);
    }
    const packets = connectPackets(t, 100_000, CONN.count);
    const cpu0 = cpuMs(t.pid());
    const burst = await openMany(t.port, packets, CONN.concurrency);
    row.connCpuMs = (cpuMs(t.pid()) - cpu0) / packets.length;
    for (const s of burst.sockets) s.destroy();
    row.connPerSec = burst.perSecond;
    await sleep(1000);
  }
  if (ROWS.has('storm')) {
    row.rssIdle = rssMb(t.pid());
    say(`  ${t.name}: ${CONNECTIONS} connections`);
    const fleet = new Fleet(t.port, connectPackets(t, 200_000, CONNECTIONS));
    try {
      await fleet.open(100);
      await sleep(1000);
      row.rssConns = rssMb(t.pid());
      say(`  ${t.name}: reconnect storm (SIGKILL, start again)`);
      const before = fleet.attempts;
      const t0 = Date.now();
      await t.kill();
      await t.restart();
      const t1 = Date.now();
      await Promise.race([fleet.all(), sleep(180_000)]);
      const t2 = Date.now();
      if (fleet.connected < CONNECTIONS) say(`  ${t.name}: only ${fleet.connected} back after 180 s`);
      row.storm = {
        total: (t2 - t0) / 1000,
        afterStart: (t2 - t1) / 1000,
        attempts: fleet.attempts - before,
      };
    } finally {
      fleet.close();
    }
  }
  return row;
}

/** Our broker from `root` on its own scratch database and key prefix: measured, then removed. */
async function runOurs(
  name: string,
  root: string,
  urls: { mysqlUrl: string; redisUrl: string },
  dataDir: string,
  profile: boolean,
): Promise<Row> {
  const tag = crypto.randomBytes(3).toString('hex');
  const db = await createScratchDatabase(urls.mysqlUrl, `esl_bench_${tag}`);
  const prefix = `bench${tag}`;
  const parent = `esl${tag}`;
  const redis = new Redis(urls.redisUrl);
  const groupId = `GID_bench${tag}`;
  const dev = (i: number) => `${groupId}@@@D${i}`;
  try {
    const env = {
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
    };
    const extra = (process.env.BENCH_OURS_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const ours = await startOurs(
      env,
      [...extra, ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [])],
      root,
    );
    const pool = createPool(db.url, 4);
    const reg = new RegistryService(
      pool,
      redis,
      prefix,
      SecretBox.load(undefined, dataDir),
      createLogger('silent'),
    );
    await reg.createGroup(SYSTEM_ACTOR, { groupId });
    const key = await reg.issueAccessKey(SYSTEM_ACTOR, {});
    await pool.end();
    const platformSecret = loadPlatformSecret(undefined, dataDir);
    const target: Target = {
      name,
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
      pubTopic: (i: number) => `${parent}/status/${groupId}/D${i}`,
      redisPid: redisPid(dataDir),
      subAllUplink: `${parent}/status/#`,
      taskTopic: `${parent}/task/${groupId}`,
      queuesEmpty: async (ids) => {
        const lens = await Promise.all(
          ids.map((id) => redis.llen(sessionKeyPrefix(prefix) + outgoingKey(id))),
        );
        return lens.every((n) => n === 0);
      },
      ...ours,
    };
    say(`${name} (auth + authorization + Redis persistence, ${root}):`);
    try {
      return await measure(target);
    } finally {
      await ours.stop();
    }
  } finally {
    await db.drop();
    redis.disconnect();
    await deleteRedisPrefix(urls.redisUrl, prefix);
  }
}

async function main() {
  const deadline = setTimeout(() => {
    say('bench: over 15 minutes, giving up');
    process.exit(3);
  }, 15 * 60_000);
  deadline.unref();
  const dataDir = path.join(PROJECT_ROOT, '.data');
  const urls = await startEmbeddedServices(dataDir);
  const results: Record<string, Row> = {};
  if (process.env.BENCH_FANIN_RATE) fanInRate[0] = fanInRate[1] = Number(process.env.BENCH_FANIN_RATE);
  if (TARGETS.has('mosquitto')) {
    const mosq = await startMosquitto();
    const groupId = 'GID_mosquitto';
    const mosqTarget: Target = {
      name: 'mosquitto',
      ap: (i) => ({ clientId: `${groupId}@@@D${i}` }),
      platform: () => ({ clientId: `platform-bench-${crypto.randomBytes(2).toString('hex')}` }),
      pubTopic: (i: number) => `esl/status/${groupId}/D${i}`,
      subAllUplink: 'esl/status/#',
      taskTopic: `esl/task/${groupId}`,
      ...mosq,
    };
    say('mosquitto (anonymous, in-memory):');
    try {
      if (ROWS.has('fanin') && !process.env.BENCH_FANIN_RATE) await calibrate(mosqTarget);
      results.mosquitto = await measure(mosqTarget);
    } finally {
      await mosq.stop();
    }
  }
  if (!fanInRate[0]) fanInRate[0] = fanInRate[1] = 10_000;
  if (BASE_ROOT) results.base = await runOurs('esl broker (before)', BASE_ROOT, urls, dataDir, false);
  if (TARGETS.has('ours')) results.ours = await runOurs('esl broker', PROJECT_ROOT, urls, dataDir, !!PROFILE);
  print(results.ours ?? {}, results.mosquitto ?? {}, BASE_ROOT ? (results.base ?? {}) : null);
  process.exit(0);
}

function print(o: Row, m: Row, base: Row | null) {
  const num = (n: number | undefined, digits = 0) =>
    n === undefined || Number.isNaN(n)
      ? '-'
      : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`;
  const fan = (f: FanIn | undefined) =>
    f
      ? `${num(f.rate)} (${((f.delivered / Math.max(1, f.sent)) * 100).toFixed(1)} % of ${num(f.sent)})`
      : '-';
  const lines: string[][] = [];
  /** higher: true when more is better (rates), false for costs and times (the ratio is inverted) */
  const add = (
    label: string,
    get: (r: Row) => number | undefined,
    show: (r: Row) => string,
    higher: boolean,
  ) => {
    if (get(o) === undefined && get(m) === undefined && (!base || get(base) === undefined)) return;
    const r = (x: Row) => (higher ? ratio(get(x), get(m)) : ratio(get(m), get(x)));
    lines.push([label, show(o), ...(base ? [show(base)] : []), show(m), r(o), ...(base ? [r(base)] : [])]);
  };
  const plain = (label: string, get: (r: Row) => number | undefined, higher = true, digits = 0) =>
    add(label, get, (r) => num(get(r), digits), higher);
  for (const qos of [0, 1] as const) {
    const k = qos ? 'fanInQos1' : 'fanInQos0';
    add(
      `fan-in QoS ${qos}, 20 -> 1, ${num(fanInRate[qos])}/s offered (delivered/s, delivered/sent)`,
      (r) => r[k]?.rate,
      (r) => fan(r[k]),
      true,
    );
  }
  for (const qos of [0, 1] as const) {
    const k = qos ? 'fanInQos1' : 'fanInQos0';
    plain(`  broker CPU per fan-in QoS ${qos} message (µs)`, (r) => r[k]?.cpuUs, false, 1);
  }
  for (const qos of [0, 1] as const) {
    const k = qos ? 'fanInQos1' : 'fanInQos0';
    plain(`  Redis CPU per fan-in QoS ${qos} message (µs)`, (r) => r[k]?.redisCpuUs, false, 1);
  }
  plain('fan-out QoS 0, 1 -> 50 (msgs/s)', (r) => r.fanOutQos0);
  plain('fan-out QoS 1, 1 -> 50 (msgs/s)', (r) => r.fanOutQos1);
  plain(
    'fan-out QoS 1, 1 -> 50 persistent sessions, to the last ack stored (msgs/s)',
    (r) => r.fanOutQos1Persistent,
  );
  for (const [i, what] of ['QoS 0', 'QoS 1', 'QoS 1 persistent'].entries())
    plain(`  broker CPU per fan-out ${what} delivery (µs)`, (r) => r.fanOutCpuUs?.[i], false, 1);
  plain('connections/s (signature auth)', (r) => r.connPerSec);
  plain('  broker CPU per connection (ms)', (r) => r.connCpuMs, false, 2);
  plain('RSS idle (MB)', (r) => r.rssIdle, false);
  plain(`RSS with ${num(CONNECTIONS)} connections (MB)`, (r) => r.rssConns, false);
  plain(
    `reconnect storm, ${num(CONNECTIONS)} APs: kill to all connected (s)`,
    (r) => r.storm?.total,
    false,
    1,
  );
  plain('  of which after the restarted broker accepts (s)', (r) => r.storm?.afterStart, false, 1);
  plain('  connection attempts during the storm', (r) => r.storm?.attempts, false);
  const head = [
    'measure',
    'esl broker',
    ...(base ? ['before'] : []),
    'mosquitto',
    'ratio',
    ...(base ? ['ratio before'] : []),
  ];
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l: string[]) =>
    `| ${l.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  say('');
  say(fmt(head));
  say(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`);
  for (const l of lines) say(fmt(l));
  say('');
  say('Ratios compare with Mosquitto in this run, above 1 is better: rates are esl / Mosquitto, costs and');
  say('times Mosquitto / esl. Mosquitto runs anonymous with in-memory state; the esl broker checks every');
  say('CONNECT against the registry (Group ID, AccessKey: cached per registry version, its version read');
  say("in the CONNECTs' batched Redis round; HMAC-SHA1), records presence in Redis, authorizes every");
  say('packet, keeps sessions in Redis and queues every uplink publish in Redis before its PUBACK.');
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
