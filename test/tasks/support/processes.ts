// Platform roles as separate OS processes (`npx tsx server/main.ts` with ROLES=...), so
// tests can SIGKILL and restart them; and a private redis-server that can be restarted.
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../../server/config.js';
import { waitFor } from '../../support/wait.js';
import { LocalServer } from './local-server.js';

export class RoleProcess {
  private proc: ChildProcess | null = null;
  private out = '';

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
