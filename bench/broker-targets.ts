// The two brokers under test, each in its own process: ours (server/main.ts, ROLES=broker,
// signature auth and authorization hooks, Redis persistence and emitter) and Mosquitto
// (Debian package, default settings, anonymous). RSS is read from /proc. Each can be killed
// (SIGKILL, for the reconnect storm) and started again on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { PROJECT_ROOT } from '../server/config.js';
import { stopChild } from '../test/support/scratch.js';

export interface Target {
  name: string;
  port: number;
  /** the broker's current process id (changes with restart) */
  pid(): number;
  /** Client options for an AP of group `groupId` (ours signs; Mosquitto ignores them). */
  ap(i: number): { clientId: string; username?: string; password?: string };
  /** The platform's identity (ours) or any client (Mosquitto). */
  platform(): { clientId: string; username?: string; password?: string };
  pubTopic(i: number): string;
  /** the Redis server the broker uses (ours), for its CPU time */
  redisPid?: number;
  subAllUplink: string;
  taskTopic: string;
  /**
   * Whether the broker's stored state for these persistent sessions has caught up: no message
   * waits for an acknowledgement in their queues (ours: the Redis lists; Mosquitto: none kept
   * apart from its deliveries, so absent).
   */
  queuesEmpty?(clientIds: string[]): Promise<boolean>;
  /** SIGKILL, then start again on the same port; resolves when the new process was spawned. */
  kill(): Promise<void>;
  /** resolves when the restarted process accepts connections (ours: logged "broker listening") */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) the process has used so far, in ms (from /proc, 10 ms ticks). */
export function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** A shell wrapper raises the open-files limit for the broker process (10,000 connections). */
const withNofile = (cmd: string, args: string[]) =>
  [
    '/bin/sh',
    ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$0" "$@"', cmd, ...args],
  ] as const;

const killed = (proc: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });

/** A broker process that can be started again under the same settings. */
class Restartable {
  proc: ChildProcess | null = null;
  constructor(private readonly launch: () => Promise<ChildProcess>) {}
  async start() {
    this.proc = await this.launch();
  }
  get pid() {
    return this.proc?.pid ?? NaN;
  }
  async kill() {
    if (this.proc) await killed(this.proc);
  }
  async stop() {
    if (this.proc) await stopChild(this.proc);
  }
}

export interface OursProcess {
  port: number;
  instanceId: string;
  pid(): number;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `nodeArgs`: extra node flags for the broker process (e.g. --cpu-prof); `root`: the checkout
 * whose server/main.ts runs (another one: an earlier version, for a before/after in one run).
 */
export async function startOurs(
  env: Record<string, string>,
  nodeArgs: string[] = [],
  root = PROJECT_ROOT,
): Promise<OursProcess> {
  const port = await freePort();
  let instanceId = '';
  let started = false;
  let alone = false;
  const r = new Restartable(async () => {
    const [sh, args] = withNofile(process.execPath, [...nodeArgs, '--import', 'tsx', 'server/main.ts']);
    const proc = spawn(sh, [...args], {
      cwd: root,
      env: {
        ...process.env,
        // a node may go alone in its cluster one aedes heartbeat after it starts (broker/peers.ts):
        // a long-running node is, so the rows measure that, not the first minute after a start
        MQTT_HEARTBEAT_INTERVAL_MS: process.env.MQTT_HEARTBEAT_INTERVAL_MS ?? '5000',
        ...env,
        ROLES: 'broker',
        LOG_LEVEL: 'info',
        MQTT_HOST: '127.0.0.1',
        MQTT_TCP_PORT: String(port),
        MQTT_TLS_PORT: '0',
        MQTT_WS_PORT: '0',
        MQTT_WSS_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = readline.createInterface({ input: proc.stdout! });
    instanceId = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('our broker did not start')), 120_000);
      proc.once('exit', (c) => reject(new Error(`our broker exited with ${c}`)));
      lines.on('line', (l) => {
        if (l.includes('broker node alone in its cluster')) alone = true;
        if (process.env.BENCH_BROKER_LOG && /alone|peers/.test(l)) process.stderr.write(`${l}\n`);
        if (!l.includes('"broker listening"')) return;
        clearTimeout(t);
        resolve((JSON.parse(l) as { instanceId: string }).instanceId);
      });
    });
    // the first start waits for the node to find itself alone (an earlier version never says so:
    // it is given the heartbeat and a few seconds); a restart (the storm) does not wait
    if (!started) {
      started = true;
      const until = Date.now() + 10_000;
      while (!alone && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (!alone)
        process.stderr.write(
          `  (${root === PROJECT_ROOT ? 'our' : 'the "before"'} broker did not say it is alone in its cluster: every publish goes through Redis)\n`,
        );
    }
    return proc;
  });
  await r.start();
  return {
    port,
    instanceId,
    pid: () => r.pid,
    kill: () => r.kill(),
    restart: () => r.start(),
    stop: () => r.stop(),
  };
}

async function accepting(port: number) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('mosquitto did not start');
}

export async function startMosquitto(): Promise<Omit<OursProcess, 'instanceId'>> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_keepalive 300\npersistence false\nlog_type error\n`,
  );
  const r = new Restartable(async () => {
    const [sh, args] = withNofile('/usr/sbin/mosquitto', ['-c', conf]);
    const proc = spawn(sh, [...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    await accepting(port);
    return proc;
  });
  await r.start();
  return {
    port,
    pid: () => r.pid,
    kill: () => r.kill(),
    restart: () => r.start(),
    stop: async () => {
      await r.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
