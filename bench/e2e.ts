// `npm run bench:e2e`: one price change touching 100,000 labels across 200 simulated APs
// (50 stores x 4 APs x 500 labels; the simulator in its own process), through the broker and
// worker processes, on the embedded MariaDB and Redis. Prints the time from the request to
// 100 % confirmed in MySQL, labels/s, each process's peak RSS, and the raw floor: the same
// number of item rows inserted then confirmed in MySQL in batches, with no application logic.
// Knobs: BENCH_STORES, BENCH_APS_PER_STORE, BENCH_LABELS_PER_AP (environment; BENCH_STORES=500 is
// the 1,000,000-label run); BENCH_IMAGE_APS (that many APs of each store image-capable: their
// labels' images rendered and delivered), which also prints the render worker's own time for the
// task; BENCH_DIGESTS=1 prints MariaDB's statements by time spent during the run (needs
// performance_schema on in the server: BENCH_MARIADB_ARGS=--performance-schema=ON after services:stop); BENCH_PROFILE (a folder: the worker runs with
// --cpu-prof, its profile written there when it stops, the simulator's in <folder>/simulator, the broker's in <folder>/broker); BENCH_E2E_RESULT (a file: the figures as
// JSON, for bench:render); BENCH_KEEP_DB=1 keeps the scratch database for a look afterwards. The last line printed is `ratio: N % of the raw floor`.
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { SecretBox } from '../broker/index.js';
import { SYSTEM_ACTOR } from '../server/audit/audit-chain.js';
import { PROJECT_ROOT, loadConfig } from '../server/config.js';
import { createLogger } from '../server/core/logger.js';
import { startEmbeddedServices } from '../server/embedded/embedded-services.js';
import { migrate } from '../server/db/migrate.js';
import { createPool, withTx } from '../server/db/pool.js';
import { RegistryService } from '../server/registry/registry-service.js';
import { TaskCreator } from '../server/tasks/task-creator.js';
import { createScratchDatabase, deleteRedisPrefix } from '../test/support/scratch.js';
import { TaskQueue } from '../server/tasks/task-queue.js';
import fs from 'node:fs';
import { BenchProcess, cpuSecondsOf } from './e2e-process.js';
import { querySingle } from '../server/db/query.js';
import {
  bumpAllPrices,
  countConfirmed,
  countOpen,
  countReportedLabels,
  databaseBytes,
  insertProducts,
  statementDigests,
  taskState,
  insertStore,
  rawFloor,
} from './e2e-seed-repo.js';

const STORES = Number(process.env.BENCH_STORES ?? 50);
const APS_PER_STORE = Number(process.env.BENCH_APS_PER_STORE ?? 4);
const LABELS_PER_AP = Number(process.env.BENCH_LABELS_PER_AP ?? 500);
const IMAGE_APS = Number(process.env.BENCH_IMAGE_APS ?? 0);
const LABELS_PER_PRODUCT = 4;
/** a folder: the worker process runs with --cpu-prof there (summarise with bench/cpuprofile.ts) */
const PROFILE = process.env.BENCH_PROFILE;
const TOTAL = STORES * APS_PER_STORE * LABELS_PER_AP;
const PRODUCTS = (APS_PER_STORE * LABELS_PER_AP) / LABELS_PER_PRODUCT;

const FINAL_TASK_STATES = new Set(['completed', 'timed_out', 'cancelled']);
const say = (s: string) => process.stdout.write(`${s}\n`);
const mb = (n: number) => `${n.toFixed(0)} MB`;
/** Peak resident set size of any process (VmHWM, since it started), in MB. */
const peakRssOf = (pid: number) => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
};
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function main() {
  const dataDir = path.join(PROJECT_ROOT, '.data');
  // BENCH_MARIADB_ARGS: more options for the embedded MariaDB if this run starts it, e.g.
  // --performance-schema=ON for BENCH_DIGESTS (stop the services first: npm run services:stop)
  const urls = await startEmbeddedServices(
    dataDir,
    () => {},
    (process.env.BENCH_MARIADB_ARGS ?? '').split(/\s+/).filter(Boolean),
  );
  const tag = crypto.randomBytes(3).toString('hex');
  const db = await createScratchDatabase(urls.mysqlUrl, `esl_bench_${tag}`);
  const mysqlUrl = db.url;
  const prefix = `bench${tag}`;
  const mqttPort = await freePort();
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DEMO: 'false',
    MYSQL_URL: mysqlUrl,
    REDIS_URL: urls.redisUrl,
    REDIS_PREFIX: prefix,
    SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
    DATA_DIR: dataDir,
    MQTT_HOST: '127.0.0.1',
    MQTT_TCP_PORT: String(mqttPort),
    // a broker node may go alone in its cluster one aedes heartbeat after it starts (broker/peers.ts):
    // a long-running node is, so the run measures that, not the first minute after a start
    MQTT_HEARTBEAT_INTERVAL_MS: '5000',
    MQTT_TLS_PORT: '0',
    MQTT_WS_PORT: '0',
    MQTT_WSS_PORT: '0',
    // the pipeline's knobs (TASK_ITEMS_PER_MESSAGE, TASK_GROUP_INFLIGHT, TASK_DISPATCH_CONCURRENCY, ...) pass through
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        (e): e is [string, string] =>
          (e[0].startsWith('TASK_') || e[0].startsWith('RENDER_')) && e[1] !== undefined,
      ),
    ),
  };
  const config = loadConfig(env);
  const procs: BenchProcess[] = [];
  const pool = createPool(mysqlUrl, 4);
  const redis = new Redis(urls.redisUrl);
  const queue = new TaskQueue(urls.redisUrl, prefix);
  try {
    await migrate(mysqlUrl);
    say(
      `bench:e2e  ${TOTAL} labels = ${STORES} stores x ${APS_PER_STORE} APs x ${LABELS_PER_AP} labels; ${config.TASK_ITEMS_PER_MESSAGE} items/message, window ${config.TASK_GROUP_INFLIGHT} messages/group`,
    );
    const t0 = performance.now();
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
    say(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const broker = new BenchProcess(
      'broker',
      'server/main.ts',
      [],
      { ...env, ROLES: 'broker' },
      PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE, 'broker')}`] : [],
    );
    procs.push(broker);
    await broker.start('"platform started"');
    const inst = await querySingle<{ instance_id: string }>(
      pool,
      'SELECT instance_id FROM mqtt_instance WHERE id = 1',
    );
    const worker = new BenchProcess(
      'worker',
      'server/main.ts',
      [],
      {
        ...env,
        ROLES: 'worker',
        MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
        LOG_LEVEL: process.env.BENCH_WORKER_LOG_LEVEL ?? 'info',
      },
      PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [],
    );
    procs.push(worker);
    await worker.start('"platform started"');
    const sim = new BenchProcess(
      'simulator',
      'sim/main.ts',
      [
        '--url',
        `mqtt://127.0.0.1:${mqttPort}`,
        '--mysql-url',
        mysqlUrl,
        '--groups',
        groups.join(','),
        '--aps-per-group',
        String(APS_PER_STORE),
        '--image-aps',
        String(IMAGE_APS),
        '--access-key-id',
        key.accessKeyId,
        '--instance-id',
        inst.instance_id,
        '--status-interval-ms',
        '60000',
        '--quiet',
      ],
      { SIM_ACCESS_KEY_SECRET: key.accessKeySecret },
      PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE, 'simulator')}`] : [],
    );
    procs.push(sim);
    await sim.start('"ready":true');
    // Status reports tell the platform which AP serves which label (used for packing and P2P retries).
    while ((await countReportedLabels(pool)) < TOTAL) await new Promise((r) => setTimeout(r, 200));
    say(`broker, worker and ${STORES * APS_PER_STORE} simulated APs up; every label reported by its AP`);

    const creator = new TaskCreator(pool, config, (id) => queue.enqueueTask(id));
    const bytes0 = await databaseBytes(pool);
    const digests = process.env.BENCH_DIGESTS === '1';
    const digest0 = digests ? await statementDigests(pool) : new Map();
    const mariadbPid = Number(fs.readFileSync(path.join(dataDir, 'mariadb.pid'), 'utf8').trim());
    const redisPid = Number(fs.readFileSync(path.join(dataDir, 'redis.pid'), 'utf8').trim());
    const cpu0 = {
      broker: broker.cpuSeconds(),
      worker: worker.cpuSeconds(),
      simulator: sim.cpuSeconds(),
      mariadb: cpuSecondsOf(mariadbPid),
      redis: cpuSecondsOf(redisPid),
      bench: process.cpuUsage(),
    };
    const start = performance.now();
    const task = await withTx(pool, async (c) =>
      creator.createInTx(c, { name: 'bench', role: 'operator' }, await bumpAllPrices(c), {
        source: 'api',
        note: 'bench:e2e',
      }),
    );
    await creator.enqueue(task!.taskId);
    const created = performance.now();
    say(
      `task ${task!.taskId}: ${task!.items} items created in ${((created - start) / 1000).toFixed(2)} s (prices updated, items, audit, one transaction)`,
    );
    // The task's row is polled (one primary-key read): the worker completes it right after the
    // batch that confirms its last item commits. Counting the open items instead walked their
    // index entries (and, while purge lags, the delete-marked ones) and took seconds of MariaDB's
    // CPU from the pipeline it measures; it is done only every 10 s, for the progress line.
    let last = performance.now();
    while (!FINAL_TASK_STATES.has(await taskState(pool, task!.taskId))) {
      if (performance.now() - last > 10_000) {
        process.stdout.write(`  open ${await countOpen(pool, task!.taskId)}/${task!.items}\n`);
        last = performance.now();
      }
      if (performance.now() - start > Math.max(600_000, TOTAL * 3))
        throw new Error(
          `not confirmed after ${Math.max(600, TOTAL / 333).toFixed(0)} s: ${await countOpen(pool, task!.taskId)} open`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
    const done = performance.now();
    const confirmedN = await countConfirmed(pool, task!.taskId);
    if (confirmedN !== task!.items)
      throw new Error(
        `only ${confirmedN} of ${task!.items} items confirmed (the rest timed out or were cancelled)`,
      );
    const secs = (done - start) / 1000;
    // The rendering share: each batch the worker draws (ahead in the render worker, or on demand
    // for the dispatcher) logs the worker's CPU time spent drawing so far; the last is the total.
    // CPU time, not wall time: on a loaded machine a synchronous draw's wall time includes waiting
    // for a core. The worker's thread does one thing at a time, so CPU drawing / end-to-end is the
    // share of the run its thread spent rendering.
    const drawLines = worker.output.split('\n').filter((l) => l.includes('"msg":"rendered a batch'));
    const renderMs = Math.max(0, ...drawLines.map((l) => Number(/"drawMsTotal":(\d+)/.exec(l)?.[1] ?? 0)));
    const drawn = Math.max(0, ...drawLines.map((l) => Number(/"drawnTotal":(\d+)/.exec(l)?.[1] ?? 0)));
    const images = await querySingle<{ n: string }>(
      pool,
      'SELECT COUNT(*) AS n FROM task_item_images WHERE task_id = ?',
      [task!.taskId],
    );
    const bcpu = process.cpuUsage(cpu0.bench);
    const cpu = {
      broker: broker.cpuSeconds() - cpu0.broker,
      worker: worker.cpuSeconds() - cpu0.worker,
      simulator: sim.cpuSeconds() - cpu0.simulator,
      mariadb: cpuSecondsOf(mariadbPid) - cpu0.mariadb,
      redis: cpuSecondsOf(redisPid) - cpu0.redis,
      bench: (bcpu.user + bcpu.system) / 1e6,
    };
    const rss = {
      broker: broker.peakRssMb(),
      worker: worker.peakRssMb(),
      simulator: sim.peakRssMb(),
      bench: process.resourceUsage().maxRSS / 1024,
      mariadb: peakRssOf(mariadbPid),
      redis: peakRssOf(redisPid),
    };
    const digest1 = digests ? await statementDigests(pool) : new Map();
    const bytes1 = await databaseBytes(pool);

    if (process.env.BENCH_WORKER_LOG)
      (await import('node:fs')).writeFileSync(process.env.BENCH_WORKER_LOG, worker.output);
    const floorCpu0 = cpuSecondsOf(mariadbPid);
    const floor = await rawFloor(pool, task!.items, 5000, 2000);
    const floorCpu = cpuSecondsOf(mariadbPid) - floorCpu0;
    const floorSecs = (floor.insertMs + floor.confirmMs) / 1000;
    const e2eRate = task!.items / secs;
    const floorRate = task!.items / floorSecs;
    say('');
    say(
      `end to end: ${task!.items} labels confirmed in MySQL ${secs.toFixed(2)} s after the request  ->  ${e2eRate.toFixed(0)} labels/s`,
    );
    say(
      `raw floor:  insert ${(floor.insertMs / 1000).toFixed(2)} s + confirm ${(floor.confirmMs / 1000).toFixed(2)} s = ${floorSecs.toFixed(2)} s  ->  ${floorRate.toFixed(0)} labels/s`,
    );
    if (IMAGE_APS)
      say(
        `rendering:  ${images.n} item images (${drawn} drawn, the rest found by content key) in ${drawLines.length} batches; the worker spent ${(renderMs / 1000).toFixed(2)} s of CPU rendering them: ${((renderMs / 1000 / secs) * 100).toFixed(0)} % of the ${secs.toFixed(2)} s end to end, ${((renderMs / 1000 / cpu.worker) * 100).toFixed(0)} % of the worker's ${cpu.worker.toFixed(1)} s of CPU`,
      );
    if (digests) {
      const rows = [...digest1.values()]
        .map((d) => {
          const b = digest0.get(d.digest);
          return {
            ...d,
            calls: d.calls - (b?.calls ?? 0),
            ms: d.ms - (b?.ms ?? 0),
            rowsExamined: d.rowsExamined - (b?.rowsExamined ?? 0),
            rowsAffected: d.rowsAffected - (b?.rowsAffected ?? 0),
          };
        })
        .filter((d) => d.calls > 0)
        .sort((a, b) => b.ms - a.ms);
      const total = rows.reduce((a, d) => a + d.ms, 0);
      say(
        rows.length
          ? `MariaDB statement time during the run, by statement (performance_schema; ${(total / 1000).toFixed(2)} s in all):`
          : 'MariaDB statement time: performance_schema is off or not readable (start mariadbd with --performance-schema=ON)',
      );
      for (const d of rows.slice(0, 15))
        say(
          `  ${(d.ms / 1000).toFixed(2).padStart(7)} s ${String(d.calls).padStart(7)} calls ${String(d.rowsExamined).padStart(9)} examined ${String(d.rowsAffected).padStart(8)} changed  ${d.text.replace(/\s+/g, ' ')}`,
        );
    }
    say(
      `CPU during the run (s): broker ${cpu.broker.toFixed(1)}, worker ${cpu.worker.toFixed(1)}, simulator ${cpu.simulator.toFixed(1)}, MariaDB ${cpu.mariadb.toFixed(1)}, Redis ${cpu.redis.toFixed(1)} (both shared with anything else using them), bench driver ${cpu.bench.toFixed(1)}`,
    );
    say(
      `peak RSS:   broker ${mb(rss.broker)}, worker ${mb(rss.worker)}, simulator ${mb(rss.simulator)}, bench driver ${mb(rss.bench)}; MariaDB ${mb(rss.mariadb)}, Redis ${mb(rss.redis)} (since they started)`,
    );
    if (process.env.BENCH_E2E_RESULT)
      fs.writeFileSync(
        process.env.BENCH_E2E_RESULT,
        JSON.stringify({
          labels: task!.items,
          seconds: secs,
          floorSeconds: floorSecs,
          renderCpuSeconds: renderMs / 1000,
          drawn,
          itemImages: Number(images.n),
          workerCpuSeconds: cpu.worker,
          mariadbCpuSeconds: cpu.mariadb,
        }),
      );
    say(
      `database:   ${((bytes1 - bytes0) / 1024 / 1024).toFixed(1)} MB more data + indexes for the task (${(((bytes1 - bytes0) / 1024 / 1024) * (100_000 / task!.items)).toFixed(1)} MB per 100k labels; information_schema after ANALYZE)`,
    );
    // On a shared machine each process's share of the CPU moves the times; MariaDB's CPU seconds
    // for the same labels move much less.
    say(
      `MariaDB CPU: ${cpu.mariadb.toFixed(1)} s for the pipeline, ${floorCpu.toFixed(1)} s for the raw floor (${(floorCpu / cpu.mariadb).toFixed(2)} x); load average ${os.loadavg()[0].toFixed(1)}`,
    );
    say(`aim:        end to end >= 100 % of the raw floor: ${e2eRate >= floorRate ? 'met' : 'not met'}`);
    say(`ratio: ${((e2eRate / floorRate) * 100).toFixed(0)} % of the raw floor`);
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await queue.stop();
    await pool.end();
    // the benchmark's keys and database go; the embedded servers stay up for the next run
    redis.disconnect();
    await deleteRedisPrefix(urls.redisUrl, prefix);
    if (process.env.BENCH_KEEP_DB === '1')
      process.stderr.write(`database kept (BENCH_KEEP_DB): ${db.name}\n`);
    else await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:e2e failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
