// Platform roles as separate OS processes (`npx tsx server/main.ts` with ROLES=...), so
// tests can SIGKILL and restart them; and a private redis-server and mariadbd that can be restarted.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../server/config.js';
import { waitFor } from '../../support/wait.js';
import { LocalServer } from './local-server.js';

export class RoleProcess {
  private proc: ChildProcess | null = null;
  private out = '';
  private partial = '';
  /** log messages (the `msg` of a JSON line) counted over the whole run, not only the kept tail */
  private readonly counts = new Map<string, number>();

  constructor(
    readonly label: string,
    private readonly env: Record<string, string>,
  ) {}

  get pid() {
    return this.proc?.pid ?? 0;
  }

  /** Starts and waits for the 'platform started' log line. */
  async start(timeoutMs = 60_000) {
    this.out = '';
    const p = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DEMO: 'false',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = p;
    const collect = (d: Buffer) => {
      this.out = (this.out + d.toString()).slice(-20_000);
      const lines = (this.partial + d.toString()).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
        if (msg) this.counts.set(msg, (this.counts.get(msg) ?? 0) + 1);
      }
    };
    p.stdout!.on('data', collect);
    p.stderr!.on('data', collect);
    const started = () => {
      if (p.exitCode !== null) throw new Error(`${this.label} exited with ${p.exitCode}:\n${this.out}`);
      return this.out.includes('"platform started"');
    };
    try {
      await waitFor(`${this.label} to start`, started, { timeoutMs, intervalMs: 100 });
    } catch (err) {
      throw p.exitCode === null
        ? new Error(`${this.label} did not start:\n${this.out}`, { cause: err })
        : err;
    }
  }

  get log() {
    return this.out;
  }

  /** How many log lines had this message since the process was first started. */
  logged(msg: string) {
    return this.counts.get(msg) ?? 0;
  }

  get alive() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL') {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill(signal);
    });
  }
}

/** A redis-server of the test's own (never the shared one), persisting to an append-only file. */
export class PrivateRedis extends LocalServer {
  constructor(port: number) {
    super('redis', port);
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  protected command(): [string, string[]] {
    return [
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ],
    ];
  }
}

/**
 * A mariadbd of the test's own (never the shared one), initialised in a temp dir on first
 * start; root has no password on loopback. Stopped with SIGTERM (a clean shutdown) and started
 * again on the same data, like a database server's restart.
 */
export class PrivateMariaDb extends LocalServer {
  private initialised = false;

  constructor(port: number) {
    super('mariadb', port);
  }

  url(database: string) {
    return `mysql://root@127.0.0.1:${this.port}/${database}`;
  }

  override async start() {
    if (!this.initialised) {
      const r = spawnSync(
        'mariadb-install-db',
        [
          '--no-defaults',
          `--datadir=${path.join(this.dir, 'data')}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          ...(process.getuid?.() === 0 ? ['--user=root'] : []),
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`mariadb-install-db failed:\n${r.stdout}\n${r.stderr}`);
      this.initialised = true;
    }
    await super.start();
  }

  protected command(): [string, string[]] {
    return [
      fs.existsSync('/usr/sbin/mariadbd') ? '/usr/sbin/mariadbd' : '/usr/sbin/mysqld',
      [
        '--no-defaults',
        `--datadir=${path.join(this.dir, 'data')}`,
        `--port=${this.port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${path.join(this.dir, 'mysqld.pid')}`,
        `--log-error=${path.join(this.dir, 'mysqld.log')}`,
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--innodb-buffer-pool-size=64M',
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
      ],
    ];
  }
}

/**
 * The environment of platform roles run as processes on the given servers: MQTT on plain TCP
 * only, at a fixed port (a restarted broker comes back at the same address), retries after 3 s.
 */
export function roleEnv(o: {
  mysqlUrl: string;
  redisUrl: string;
  prefix: string;
  mqttPort: number;
}): Record<string, string> {
  return {
    MYSQL_URL: o.mysqlUrl,
    REDIS_URL: o.redisUrl,
    REDIS_PREFIX: o.prefix,
    SESSION_SECRET: 'x'.repeat(40),
    LOG_LEVEL: 'info',
    MQTT_TCP_PORT: String(o.mqttPort),
    MQTT_TLS_PORT: '0',
    MQTT_WS_PORT: '0',
    MQTT_WSS_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    TASK_RETRY_BASE_MS: '3000',
  };
}
