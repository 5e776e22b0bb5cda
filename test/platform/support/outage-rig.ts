// Outages of Redis and MariaDB under a running task: a Redis and a MariaDB of the rig's own,
// the broker and the web+worker roles as two OS processes, and a simulated fleet. Used by
// test/pipeline/outage.test.ts (short outages, a fast will-sweep tick) and by `npm run chaos`
// (outages over 5 minutes across the real 4-minute tick).
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { UPLINK_QUEUE, CONNECTION_EVENTS_QUEUE } from '../../../broker/index.js';
import { loadConfig } from '../../../server/config.js';
import { bullConnection } from '../../../server/core/redis.js';
import { migrate } from '../../../server/db/migrate.js';
import { createPool, withTx, type Pool } from '../../../server/db/pool.js';
import { TaskCreator } from '../../../server/tasks/task-creator.js';
import { TaskQueue } from '../../../server/tasks/task-queue.js';
import { Fleet } from '../../../sim/fleet.js';
import { uid } from '../../support/env.js';
import { seedRegisteredStores, type SeededStore } from '../../tasks/support/fixtures.js';
import { freePort } from '../../tasks/support/mosquitto.js';
import { PrivateMariaDb, PrivateRedis, RoleProcess, roleEnv } from '../../tasks/support/processes.js';
import { waitFor } from '../../support/wait.js';

export interface OutageRigOptions {
  /** aedes' heartbeat; the will sweep runs every 4 of them (default: the platform's, 60 s) */
  heartbeatMs?: number;
  groups?: number;
  labelsPerGroup?: number;
  log?: (msg: string) => void;
}

type Row = Record<string, unknown>;

export class OutageRig {
  readonly redis: PrivateRedis;
  readonly mariadb: PrivateMariaDb;
  broker!: RoleProcess;
  /** web and worker roles in one process */
  app!: RoleProcess;
  private pool!: Pool;
  private fleet: Fleet | null = null;
  private stores: SeededStore[] = [];
  private httpPort = 0;
  private env: Record<string, string> = {};
  private readonly extra: RoleProcess[] = [];
  private readonly prefix = `to${uid(4)}`;
  private readonly log: (msg: string) => void;

  private constructor(
    redisPort: number,
    mysqlPort: number,
    private readonly o: OutageRigOptions,
  ) {
    this.redis = new PrivateRedis(redisPort);
    this.mariadb = new PrivateMariaDb(mysqlPort);
    this.log = o.log ?? (() => {});
  }

  static async start(o: OutageRigOptions = {}): Promise<OutageRig> {
    const r = new OutageRig(await freePort(), await freePort(), o);
    try {
      await r.init();
    } catch (err) {
      await r.close();
      throw err;
    }
    return r;
  }

  private async init() {
    await Promise.all([this.redis.start(), this.mariadb.start()]);
    const root = await import('mysql2/promise').then((m) =>
      m.default.createConnection(this.mariadb.url('mysql')),
    );
    await root.query('CREATE DATABASE esl CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await root.end();
    const dbUrl = this.mariadb.url('esl');
    await migrate(dbUrl);
    this.pool = createPool(dbUrl, 4);
    // the rig's own pool rides the outages out as the platform's must; its idle connections' errors are expected
    this.pool.pool.on('connection', (c) => c.on('error', () => {}));

    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    this.httpPort = httpPort;
    const env = {
      ...roleEnv({ mysqlUrl: dbUrl, redisUrl: this.redis.url, prefix: this.prefix, mqttPort }),
      HTTP_PORT: String(httpPort),
      TASK_ITEMS_PER_MESSAGE: '10',
      TASK_GROUP_INFLIGHT: '1',
      ...(this.o.heartbeatMs ? { MQTT_HEARTBEAT_INTERVAL_MS: String(this.o.heartbeatMs) } : {}),
    };
    this.env = env;
    const config = loadConfig({ NODE_ENV: 'test', ...env });
    const redis = new Redis(this.redis.url, { maxRetriesPerRequest: null });
    try {
      const seeded = await seedRegisteredStores(this.pool, redis, config, {
        count: this.o.groups ?? 2,
        tag: 'o',
        products: this.o.labelsPerGroup ?? 200,
        labelsPerProduct: 1,
      });
      this.stores.push(...seeded.stores);
      const { groups, key } = seeded;
      this.broker = new RoleProcess('broker', { ...env, ROLES: 'broker', HTTP_PORT: '0' });
      this.app = new RoleProcess('web+worker', {
        ...env,
        ROLES: 'web,worker',
        MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
      });
      await this.broker.start();
      const inst = await this.q('SELECT instance_id FROM mqtt_instance WHERE id = 1');
      await this.app.start();
      this.fleet = new Fleet({
        url: `mqtt://127.0.0.1:${mqttPort}`,
        parentTopic: 'esl',
        groups,
        apsPerGroup: 1,
        credentials: {
          accessKeyId: key.accessKeyId,
          accessKeySecret: key.accessKeySecret,
          instanceId: String(inst[0].instance_id),
        },
        // slow APs, so a task is still running when an outage begins; status reports keep uplink traffic going through it
        knobs: { latencyMs: 800, statusIntervalMs: 5000 },
      });
      await this.fleet.start();
    } finally {
      redis.disconnect();
    }
  }

  private async q(sql: string, args: unknown[] = []) {
    return ((await this.pool.query(sql, args)) as unknown as [Row[]])[0];
  }

  /** Creates a price-change task over every label and queues it; resolves once some labels confirmed. */
  async startTask(): Promise<string> {
    const config = loadConfig({ NODE_ENV: 'test', REDIS_PREFIX: this.prefix });
    const queue = new TaskQueue(this.redis.url, this.prefix);
    try {
      const creator = new TaskCreator(this.pool, config, (id) => queue.enqueueTask(id));
      const t = await withTx(this.pool, async (c) => {
        await c.query('UPDATE prices SET price = price + 1');
        return creator.createInTx(
          c,
          { name: 'op', role: 'operator' },
          this.stores.flatMap((s) => s.productIds.map((productId) => ({ storeId: s.storeId, productId }))),
          { source: 'ui', deadlineSeconds: 3600 },
        );
      });
      await creator.enqueue(t!.taskId);
      await waitFor('first labels confirmed', () => this.confirmed(t!.taskId), {
        until: (n) => n > 0,
        timeoutMs: 60_000,
      });
      return t!.taskId;
    } finally {
      await queue.stop();
    }
  }

  async confirmed(taskId: string): Promise<number> {
    const rows = await this.q(
      "SELECT COUNT(*) AS n FROM task_items WHERE task_id = ? AND state = 'confirmed'",
      [taskId],
    );
    return Number(rows[0].n);
  }

  async taskState(taskId: string): Promise<{ state: string; items: Record<string, number> }> {
    const [t] = await this.q('SELECT state FROM tasks WHERE id = ?', [taskId]);
    const items = await this.q(
      'SELECT state, COUNT(*) AS n FROM task_items WHERE task_id = ? GROUP BY state',
      [taskId],
    );
    return {
      state: String(t.state),
      items: Object.fromEntries(items.map((r) => [String(r.state), Number(r.n)])),
    };
  }

  get labels() {
    return this.stores.reduce((n, s) => n + s.labelIds.length, 0);
  }

  /** Waits for the task to complete; on timeout prints what the processes said. */
  async completed(taskId: string, timeoutMs: number) {
    try {
      return await waitFor(`task ${taskId} completed`, () => this.taskState(taskId), {
        until: (s) => s.state === 'completed',
        timeoutMs: timeoutMs,
      });
    } catch (err) {
      this.log(this.tails());
      throw err;
    }
  }

  tails() {
    return `broker alive=${this.broker?.alive}:\n${this.broker?.log.slice(-6000)}\nweb+worker alive=${this.app?.alive}:\n${this.app?.log.slice(-6000)}`;
  }

  /** Jobs that BullMQ gave up on: accepted uplink messages and connection events that were lost. */
  async failedJobs(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const name of [UPLINK_QUEUE, CONNECTION_EVENTS_QUEUE]) {
      const queue = new Queue(name, { prefix: this.prefix, connection: bullConnection(this.redis.url) });
      out[name] = await queue.getFailedCount();
      await queue.close();
    }
    return out;
  }

  /** Lines the broker logged for a failure of its store no client owns (aedes' will sweep while Redis is away). */
  storeFailuresLogged(): number {
    return this.broker.logged('broker store unavailable (will sweep, offline queue); carrying on');
  }

  /** One more role process on the rig's services (not started); stopped with the rig. */
  role(label: string, env: Record<string, string>): RoleProcess {
    const p = new RoleProcess(label, { ...this.env, ...env });
    this.extra.push(p);
    return p;
  }

  /** Whether the web role answers over HTTP. */
  async webAnswers(): Promise<boolean> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/healthz`).catch(() => null);
    return res?.status === 200;
  }

  /**
   * Holds a service down for ms, and longer while `until` (if given) is not yet true, up to
   * maxMs in all; then starts it again.
   */
  async outage(which: 'redis' | 'mariadb', ms: number, until?: () => boolean, maxMs = 180_000) {
    const server = which === 'redis' ? this.redis : this.mariadb;
    this.log(`${which} stopped for ${Math.round(ms / 1000)} s`);
    const t0 = Date.now();
    await server.stop();
    let lastLog = Date.now();
    const held = () => Date.now() - t0 < ms || (until && !until() && Date.now() - t0 < maxMs);
    while (held()) {
      await new Promise((r) => setTimeout(r, 250));
      if (Date.now() - lastLog >= 10_000) {
        lastLog = Date.now();
        this.log(`  ${which} down; broker alive=${this.broker.alive}, web+worker alive=${this.app.alive}`);
      }
    }
    await server.start();
    this.log(`${which} started again after ${Math.round((Date.now() - t0) / 1000)} s`);
  }

  async close() {
    await this.fleet?.stop().catch(() => {});
    for (const p of this.extra) await p.kill('SIGTERM').catch(() => {});
    await this.app?.kill('SIGTERM').catch(() => {});
    await this.broker?.kill('SIGTERM').catch(() => {});
    await this.pool?.end().catch(() => {});
    await this.redis.close().catch(() => {});
    await this.mariadb.close().catch(() => {});
  }
}
