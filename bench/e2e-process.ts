// A child process of the benchmark (a platform role or the simulator) with its output kept,
// a readiness line to wait for, and its peak resident memory read from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { PROJECT_ROOT } from '../server/config.js';

export class BenchProcess {
  private proc: ChildProcess | null = null;
  // the last ~2 MB of its output, as chunks: re-slicing one string per chunk copied up to 2 MB each time
  private chunks: string[] = [];
  private kept = 0;

  constructor(
    readonly label: string,
    private readonly script: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    /** extra node flags, e.g. `--cpu-prof` (BENCH_PROFILE) */
    private readonly nodeArgs: string[] = [],
  ) {}

  async start(ready: string, timeoutMs = 120_000) {
    const p = spawn(process.execPath, [...this.nodeArgs, '--import', 'tsx', this.script, ...this.args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = p;
    const keep = (d: Buffer) => {
      const s = d.toString();
      this.chunks.push(s);
      this.kept += s.length;
      while (this.kept > 2_000_000 && this.chunks.length > 1) this.kept -= this.chunks.shift()!.length;
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    const end = Date.now() + timeoutMs;
    while (!this.output.includes(ready)) {
      if (p.exitCode !== null)
        throw new Error(`${this.label} exited (${p.exitCode}):\n${this.output.slice(-3000)}`);
      if (Date.now() > end)
        throw new Error(`${this.label} not ready after ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Peak resident set size in MB (VmHWM), or NaN when the process is gone. */
  peakRssMb(): number {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${this.proc?.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    } catch {
      return NaN;
    }
  }

  /** CPU seconds used so far (user + system), or NaN when the process is gone. */
  cpuSeconds(): number {
    return cpuSecondsOf(this.proc?.pid ?? 0);
  }

  get output() {
    return this.chunks.join('');
  }

  async stop() {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((r) => {
      const t = setTimeout(() => p.kill('SIGKILL'), 15_000);
      p.once('exit', () => {
        clearTimeout(t);
        r();
      });
      p.kill('SIGTERM');
    });
  }
}

/** user + system CPU seconds of a process, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}
