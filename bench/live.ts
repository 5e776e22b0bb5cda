// `npm run bench:live`: the task page and the dashboard while a 100,000-label task runs (50
// stores x 4 simulated APs x 500 labels, broker, worker, web and simulator each in their own
// process). Signed-in users hold N open live streams (task page and dashboard) and make real HTTP
// requests to the task page, the dashboard and /healthz (the reference, measured in the same
// run); prints p50/p99 of each next to /healthz, and MariaDB's queries per second (SHOW GLOBAL
// STATUS 'Questions', and the web process's own when MariaDB's user statistics are available)
// with no viewer, one and N. Aims: p99 < 100 ms; queries/s constant in the number of viewers.
// Knobs: BENCH_VIEWERS (300), BENCH_SAMPLE_SECONDS (5), BENCH_REQUESTS (300 per page: the p99 is then the fourth slowest, not the second),
// BENCH_ACK_LATENCY_MS (1000), BENCH_PROFILE (a folder for the web process's CPU profile), BENCH_STORES, BENCH_APS_PER_STORE, BENCH_LABELS_PER_AP, and the
// pipeline's TASK_* knobs. The task is paced so that it runs, confirming labels all along, for the
// whole measurement: 20 items per message and one message in flight per Group ID (unless the
// TASK_* knobs say otherwise), each acked after BENCH_ACK_LATENCY_MS, so a store's 2,000 labels
// take about 100 of those latencies.
import crypto from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { SecretBox } from '../broker/index.js';
import { SYSTEM_ACTOR } from '../server/audit/audit-chain.js';
import { PROJECT_ROOT, loadConfig } from '../server/config.js';
import { createLogger } from '../server/core/logger.js';
import { startEmbeddedServices } from '../server/embedded/embedded-services.js';
import { migrate } from '../server/db/migrate.js';
import { createPool, withTx, type Pool } from '../server/db/pool.js';
import { execute, queryOne, querySingle } from '../server/db/query.js';
import { RegistryService } from '../server/registry/registry-service.js';
import { TaskCreator } from '../server/tasks/task-creator.js';
import { TaskQueue } from '../server/tasks/task-queue.js';
import { createScratchDatabase, deleteRedisPrefix } from '../test/support/scratch.js';
import { WebClient } from '../test/support/web-client.js';
import { BenchProcess } from './e2e-process.js';
import { bumpAllPrices, countReportedLabels, insertProducts, insertStore } from './e2e-seed-repo.js';

const STORES = Number(process.env.BENCH_STORES ?? 50);
const APS_PER_STORE = Number(process.env.BENCH_APS_PER_STORE ?? 4);
const LABELS_PER_AP = Number(process.env.BENCH_LABELS_PER_AP ?? 500);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 300);
const SAMPLE_S = Number(process.env.BENCH_SAMPLE_SECONDS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const ACK_LATENCY_MS = Number(process.env.BENCH_ACK_LATENCY_MS ?? 1000);
const PROFILE = process.env.BENCH_PROFILE; // a folder: the web process runs with --cpu-prof
const SESSIONS = 10;
const LABELS_PER_PRODUCT = 4;
const TOTAL = STORES * APS_PER_STORE * LABELS_PER_AP;
const PRODUCTS = (APS_PER_STORE * LABELS_PER_AP) / LABELS_PER_PRODUCT;
const ADMIN_PASSWORD = crypto.randomBytes(12).toString('hex');

const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** The viewers' process (bench/live-viewers.ts): holds the open live streams, apart from the timed requests. */
class Viewers {
  private readonly proc: ChildProcess;
  private readonly ready: Promise<void>;
  opened = 0;
  constructor() {
    this.proc = fork(path.join(PROJECT_ROOT, 'bench/live-viewers.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((r) => this.proc.once('message', () => r()));
  }
  async open(streams: { url: string; cookie: string }[]) {
    await this.ready;
    this.proc.send({ open: streams });
    this.opened += streams.length;
  }
  async count(): Promise<{ streams: number; events: number; bytes: number; silent: number }> {
    await this.ready;
    return new Promise((r) => {
      this.proc.once('message', r);
      this.proc.send({ count: true });
    });
  }
  close() {
    if (this.proc.connected) this.proc.send({ close: true });
    else this.proc.kill();
  }
}

/** Queries per second over a sample: MariaDB's Questions, and the web user's own commands when known. */
async function queriesPerSecond(pool: Pool, webUser: string | null) {
  const read = async () => {
    const q = await querySingle<{ Value: string }>(pool, "SHOW GLOBAL STATUS LIKE 'Questions'");
    const w = webUser
      ? await queryOne<{ n: string }>(
          pool,
          'SELECT SELECT_COMMANDS + UPDATE_COMMANDS + OTHER_COMMANDS AS n FROM information_schema.USER_STATISTICS WHERE USER = ?',
          [webUser],
        ).catch(() => null)
      : null;
    return { q: Number(q.Value), w: w ? Number(w.n) : NaN, at: performance.now() };
  };
  const a = await read();
  await sleep(SAMPLE_S * 1000);
  const b = await read();
  const s = (b.at - a.at) / 1000;
  // the two probes' own statements are left out
  return { all: (b.q - a.q - 2) / s, web: (b.w - a.w) / s };
}

/** Response times the web process logged (pino-http, `request completed`) since `from`, by URL. */
function servedTimes(output: string, from: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of output.split('\n')) {
    if (!line.includes('"request completed"')) continue;
    try {
      const r = JSON.parse(line) as {
        time: number;
        responseTime: number;
        req?: { method?: string; url?: string };
      };
      if (r.time < from || r.req?.method !== 'GET' || !r.req.url) continue;
      (out.get(r.req.url) ?? out.set(r.req.url, []).get(r.req.url)!).push(r.responseTime);
    } catch {
      // not a log line of ours
    }
  }
  return out;
}

async function timeRequests(c: WebClient, paths: string[]) {
  const out = new Map<string, number[]>(paths.map((p) => [p, []]));
  for (let i = 0; i < REQUESTS; i++)
    for (const p of paths) {
      const t = performance.now();
      const r = await c.get(p);
      if (r.status !== 200) throw new Error(`${p} answered ${r.status}`);
      out.get(p)!.push(performance.now() - t);
      if (i % 20 === 19 && p === paths[paths.length - 1]) say(`  ${i + 1} of each`);
    }
  return out;
}

async function main() {
  const dataDir = path.join(PROJECT_ROOT, '.data');
  const urls = await startEmbeddedServices(dataDir);
  const tag = crypto.randomBytes(3).toString('hex');
  const db = await createScratchDatabase(urls.mysqlUrl, `esl_bench_${tag}`);
  const mysqlUrl = db.url;
  const prefix = `bench${tag}`;
  const [mqttPort, httpPort] = [await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DEMO: 'false',
    MYSQL_URL: mysqlUrl,
    REDIS_URL: urls.redisUrl,
    REDIS_PREFIX: prefix,
    SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
    COOKIE_SECURE: 'false',
    ADMIN_PASSWORD,
    DATA_DIR: dataDir,
    MQTT_HOST: '127.0.0.1',
    MQTT_TCP_PORT: String(mqttPort),
    // a broker node may go alone in its cluster one aedes heartbeat after it starts (broker/peers.ts):
    // a long-running node is, so the run measures that, not the first minute after a start
    MQTT_HEARTBEAT_INTERVAL_MS: '5000',
    MQTT_TLS_PORT: '0',
    MQTT_WS_PORT: '0',
    MQTT_WSS_PORT: '0',
    HTTP_PORT: String(httpPort),
    // paced (see the top of this file); the pipeline's knobs pass through
    TASK_ITEMS_PER_MESSAGE: '20',
    TASK_GROUP_INFLIGHT: '1',
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] => e[0].startsWith('TASK_') && e[1] !== undefined,
      ),
    ),
  };
  const config = loadConfig(env);
  const procs: BenchProcess[] = [];
  const pool = createPool(mysqlUrl, 4);
  const redis = new Redis(urls.redisUrl);
  const queue = new TaskQueue(urls.redisUrl, prefix);
  const viewers = new Viewers();
  let webUser: string | null = null;
  try {
    await migrate(mysqlUrl);
    say(
      `bench:live  a ${TOTAL}-label task (${STORES} stores x ${APS_PER_STORE} APs x ${LABELS_PER_AP} labels; ${config.TASK_ITEMS_PER_MESSAGE} items/message, ${config.TASK_GROUP_INFLIGHT} in flight per group, acks after ${ACK_LATENCY_MS} ms); ${VIEWERS} viewers`,
    );
    const registry = new RegistryService(
      pool,
      redis,
      prefix,
      SecretBox.load(config.MQTT_SECRET_KEY, dataDir),
      createLogger('silent'),
    );
    const productIds = await insertProducts(pool, PRODUCTS, tag);
    const groups: string[] = [];
    for (let s = 0; s < STORES; s++) {
      const groupId = `GID_B${tag}_${s}`;
      await registry.createGroup(SYSTEM_ACTOR, { groupId });
      await insertStore(pool, `B${tag}${s}`, groupId, productIds, LABELS_PER_PRODUCT);
      groups.push(groupId);
    }
    const key = await registry.issueAccessKey(SYSTEM_ACTOR, { description: 'bench fleet', groupIds: [] });

    // The web process gets its own MariaDB user, so its own statements can be counted apart.
    let webUrl = mysqlUrl;
    try {
      await execute(pool, 'SET GLOBAL userstat = 1');
      const u = new URL(mysqlUrl);
      webUser = `web_${tag}`;
      const pw = crypto.randomBytes(12).toString('hex');
      await execute(pool, `CREATE USER '${webUser}'@'%' IDENTIFIED BY '${pw}'`);
      await execute(pool, `CREATE USER '${webUser}'@'localhost' IDENTIFIED BY '${pw}'`);
      for (const h of ['%', 'localhost'])
        await execute(pool, `GRANT ALL PRIVILEGES ON \`${u.pathname.slice(1)}\`.* TO '${webUser}'@'${h}'`);
      u.username = webUser;
      u.password = pw;
      webUrl = u.toString();
    } catch {
      webUser = null; // no user statistics (MySQL, or no privilege): Questions only
    }

    const broker = new BenchProcess('broker', 'server/main.ts', [], { ...env, ROLES: 'broker' });
    procs.push(broker);
    await broker.start('"platform started"');
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const worker = new BenchProcess('worker', 'server/main.ts', [], {
      ...env,
      ROLES: 'worker',
      MQTT_URL: mqttUrl,
    });
    procs.push(worker);
    await worker.start('"platform started"');
    const web = new BenchProcess(
      'web',
      'server/main.ts',
      [],
      { ...env, ROLES: 'web', MQTT_URL: mqttUrl, MYSQL_URL: webUrl },
      PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [],
    );
    procs.push(web);
    await web.start('"platform started"');
    const inst = await querySingle<{ instance_id: string }>(
      pool,
      'SELECT instance_id FROM mqtt_instance WHERE id = 1',
    );
    const sim = new BenchProcess(
      'simulator',
      'sim/main.ts',
      [
        '--url',
        mqttUrl,
        '--mysql-url',
        mysqlUrl,
        '--groups',
        groups.join(','),
        '--aps-per-group',
        String(APS_PER_STORE),
        '--access-key-id',
        key.accessKeyId,
        '--instance-id',
        inst.instance_id,
        '--status-interval-ms',
        '60000',
        '--latency-ms',
        String(ACK_LATENCY_MS),
        '--quiet',
      ],
      { SIM_ACCESS_KEY_SECRET: key.accessKeySecret },
    );
    procs.push(sim);
    await sim.start('"ready":true');
    while ((await countReportedLabels(pool)) < TOTAL) await sleep(200);
    say(`broker, worker, web and ${STORES * APS_PER_STORE} simulated APs up`);

    const base = `http://127.0.0.1:${httpPort}`;
    const users = await Promise.all(
      Array.from({ length: SESSIONS }, async () => {
        const c = new WebClient(base);
        await c.login('admin', ADMIN_PASSWORD);
        return c;
      }),
    );
    const cookie = (c: WebClient) =>
      [...(c as unknown as { cookies: Map<string, string> }).cookies].map(([k, v]) => `${k}=${v}`).join('; ');

    const creator = new TaskCreator(pool, config, (id) => queue.enqueueTask(id));
    const task = await withTx(pool, async (c) =>
      creator.createInTx(c, { name: 'bench', role: 'operator' }, await bumpAllPrices(c), {
        source: 'api',
        note: 'bench:live',
      }),
    );
    await creator.enqueue(task!.taskId);
    const id = task!.taskId;
    say(`task ${id}: ${task!.items} items`);
    // dispatch has begun (a cheap probe: the task row)
    while (
      !(await queryOne<object>(pool, 'SELECT 1 FROM tasks WHERE id = ? AND dispatched_at IS NOT NULL', [id]))
    )
      await sleep(200);
    const open = (n: number) =>
      viewers.open(
        Array.from({ length: n }, (_, i) => {
          const k = viewers.opened + i;
          return {
            url: k % 2 ? `${base}/dashboard/events` : `${base}/tasks/${id}/events`,
            cookie: cookie(users[k % SESSIONS]),
          };
        }),
      );

    say(`sampling queries/s over ${SAMPLE_S} s with no viewer, 1 and ${VIEWERS} of each page`);
    const q0 = await queriesPerSecond(pool, webUser);
    await open(2); // one task page, one dashboard
    await sleep(1500);
    const q1 = await queriesPerSecond(pool, webUser);
    await open(VIEWERS * 2 - 2);
    // every stream open and pushed to (opening them costs each its sign-in check), then sample
    const until = performance.now() + 120_000;
    while ((await viewers.count()).silent > 0 && performance.now() < until) await sleep(200);
    await sleep(1000);
    const qN = await queriesPerSecond(pool, webUser);
    say(`timing ${REQUESTS} requests of each page with the ${viewers.opened} streams open`);
    const pages = [`/tasks/${id}`, '/', '/healthz'];
    const timedFrom = Date.now();
    const lat = await timeRequests(users[0], pages);
    const state = (await querySingle<{ state: string }>(pool, 'SELECT state FROM tasks WHERE id = ?', [id]))
      .state;
    const { events, streams, bytes } = await viewers.count();

    const healthP99 = pct(lat.get('/healthz')!, 99);
    say('');
    say(
      `while the task ran (state at the end: ${state}), ${streams} streams open (${VIEWERS} task pages, ${VIEWERS} dashboards), ${events} events pushed (${(bytes / events / 1024).toFixed(1)} KB each on average):`,
    );
    for (const [p, name] of [
      [`/tasks/${id}`, 'task page'],
      ['/', 'dashboard'],
      ['/healthz', '/healthz (reference)'],
    ] as const) {
      const xs = lat.get(p)!;
      say(
        `  ${name.padEnd(22)} p50 ${pct(xs, 50).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms  (p99 ${(pct(xs, 99) / healthP99).toFixed(1)} x /healthz; ${xs.length} requests)`,
      );
    }
    const web_ = (q: { web: number }) => (Number.isNaN(q.web) ? 'n/a' : q.web.toFixed(1));
    // The same requests as the web process saw them (pino-http's responseTime: from the request's
    // arrival to the response's end), apart from the time on the wire and in the client.
    const served = servedTimes(web.output, timedFrom);
    for (const [p, name] of [
      [`/tasks/${id}`, 'task page'],
      ['/', 'dashboard'],
    ] as const) {
      const xs = served.get(p) ?? [];
      if (xs.length)
        say(
          `  ${name} as served    p50 ${pct(xs, 50).toFixed(1)} ms  p99 ${pct(xs, 99).toFixed(1)} ms  (the web process's own time; ${xs.length} requests)`,
        );
    }
    say('MariaDB queries/s (all processes: the pipeline too | the web process alone):');
    say(`  no viewer              ${q0.all.toFixed(0).padStart(6)} | ${web_(q0)}`);
    say(`  1 task page + 1 dash   ${q1.all.toFixed(0).padStart(6)} | ${web_(q1)}`);
    say(
      `  ${String(VIEWERS).padEnd(3)} + ${String(VIEWERS).padEnd(3)}              ${qN.all.toFixed(0).padStart(6)} | ${web_(qN)}`,
    );
    if (!Number.isNaN(qN.web) && q1.web > 0)
      say(
        `ratio: the web process's queries/s with ${VIEWERS} viewers each are ${(qN.web / q1.web).toFixed(2)} x those with 1 (aim: constant, ~1 x)`,
      );
    const taskP99 = pct(lat.get(`/tasks/${id}`)!, 99);
    const dashP99 = pct(lat.get('/')!, 99);
    say(
      `aim p99 < 100 ms: task page ${taskP99 < 100 ? 'met' : 'not met'}, dashboard ${dashP99 < 100 ? 'met' : 'not met'}`,
    );
    if (state !== 'in_progress')
      say('note: the task finished before the end of the measurements; raise BENCH_ACK_LATENCY_MS');
  } finally {
    viewers.close();
    for (const p of procs.reverse()) await p.stop();
    await queue.stop();
    if (webUser)
      for (const h of ['%', 'localhost'])
        await execute(pool, `DROP USER IF EXISTS '${webUser}'@'${h}'`).catch(() => {});
    await pool.end();
    redis.disconnect();
    await deleteRedisPrefix(urls.redisUrl, prefix);
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:live failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
