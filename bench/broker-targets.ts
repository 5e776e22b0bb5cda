// The two brokers under test, each in its own process: ours (server/main.ts, ROLES=broker,
// signature auth and authorization hooks, Redis persistence and emitter) and Mosquitto
// (Debian package, default settings, anonymous). RSS is read from /proc.
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
  pid: number;
  /** Client options for an AP of group `groupId` (ours signs; Mosquitto ignores them). */
  ap(i: number): { clientId: string; username?: string; password?: string };
  /** The platform's identity (ours) or any client (Mosquitto). */
  platform(): { clientId: string; username?: string; password?: string };
  pubTopic(i: number): string;
  subAllUplink: string;
  taskTopic: string;
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

const stopper = (proc: ChildProcess) => () => stopChild(proc);

/** A shell wrapper raises the open-files limit for the broker process (10,000 connections). */
const withNofile = (cmd: string, args: string[]) =>
  [
    '/bin/sh',
    ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n $(ulimit -Hn); exec "$0" "$@"', cmd, ...args],
  ] as const;

export async function startOurs(
  env: Record<string, string>,
): Promise<{ proc: ChildProcess; port: number; instanceId: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const [sh, args] = withNofile(process.execPath, ['--import', 'tsx', 'server/main.ts']);
  const proc = spawn(sh, [...args], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
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
  const instanceId = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('our broker did not start')), 60_000);
    proc.once('exit', (c) => reject(new Error(`our broker exited with ${c}`)));
    lines.on('line', (l) => {
      if (!l.includes('"broker listening"')) return;
      clearTimeout(t);
      resolve((JSON.parse(l) as { instanceId: string }).instanceId);
    });
  });
  return { proc, port, instanceId, stop: stopper(proc) };
}

export async function startMosquitto(): Promise<{
  proc: ChildProcess;
  port: number;
  stop: () => Promise<void>;
}> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_keepalive 300\npersistence false\nlog_type error\n`,
  );
  const [sh, args] = withNofile('/usr/sbin/mosquitto', ['-c', conf]);
  const proc = spawn(sh, [...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  // ready when the port accepts
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = stopper(proc);
  return {
    proc,
    port,
    stop: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
