// A server binary of the test's own (mosquitto, redis-server) on a loopback port, with its data
// in a temp dir: started, stopped (SIGTERM, waiting for exit), restarted, removed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../support/wait.js';

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

export abstract class LocalServer {
  private proc: ChildProcess | null = null;
  readonly dir: string;

  protected constructor(
    private readonly name: string,
    public port: number,
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `esl-${name}-`));
  }

  /** The command line, computed at each start (the port may be chosen late). */
  protected abstract command(): [string, string[]];

  async start() {
    const [cmd, args] = this.command();
    const proc = spawn(cmd, args, { stdio: 'ignore' });
    this.proc = proc;
    // A generous deadline (a loaded machine is slow to start a process), but no waiting on one that died.
    const exited = () => proc.exitCode !== null || proc.signalCode !== null;
    await waitFor(`${this.name} to start`, async () => {
      if (exited())
        throw new Error(
          `${this.name} did not start (${proc.exitCode !== null ? `exit code ${proc.exitCode}` : proc.signalCode})`,
        );
      return canConnect(this.port);
    });
  }

  async stop() {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGTERM');
    });
  }

  async close() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
