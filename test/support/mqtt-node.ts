// A real broker process (`server/main.ts` with ROLES=broker) for the cluster tests: started
// with its own env, ready when it logs 'broker listening' with the ports it bound.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { PROJECT_ROOT } from '../../server/config.js';
import { stopChild } from './scratch.js';

export interface BrokerNode {
  name: string;
  ports: { tcp: number; tls: number | null; ws: number | null; wss: number | null };
  instanceId: string;
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startBrokerNode(name: string, env: Record<string, string>): Promise<BrokerNode> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      ROLES: 'broker',
      MQTT_NODE_ID: name,
      MQTT_EPHEMERAL_PORTS: '1',
      MQTT_HOST: '127.0.0.1',
      MQTT_TCP_PORT: '0',
      MQTT_TLS_PORT: '0',
      MQTT_WS_PORT: '0',
      MQTT_WSS_PORT: '0',
      SESSION_SECRET: 'cluster-test-session-secret-0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()).slice(-4000));
  const lines = readline.createInterface({ input: proc.stdout! });
  const ready = await new Promise<{ ports: BrokerNode['ports']; instanceId: string }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} did not start: ${stderr}`)), 60_000);
    proc.once('exit', (code) => reject(new Error(`${name} exited with ${code}: ${stderr}`)));
    lines.on('line', (l) => {
      if (!l.includes('"broker listening"')) return;
      clearTimeout(t);
      const j = JSON.parse(l) as { ports: BrokerNode['ports']; instanceId: string };
      resolve({ ports: j.ports, instanceId: j.instanceId });
    });
  });
  return {
    name,
    ...ready,
    url: `mqtt://127.0.0.1:${ready.ports.tcp}`,
    proc,
    stop: () => stopChild(proc),
  };
}
