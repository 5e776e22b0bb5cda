// `npx tsx bench/cpuprofile.ts <file.cpuprofile | folder> [top] [from-to]`: the self time of a V8 CPU
// profile (node --cpu-prof, e.g. BENCH_PROFILE of bench:e2e / bench:broker) summed per
// function, per file (node_modules folded to their package) and per project folder, largest
// first, with each one's share of the busy time. With a folder, its largest .cpuprofile (a
// process writes one per thread; tsx's loader thread is the small one). First a timeline (busy
// ms per half second since the profile began), to find a phase: `from-to` (seconds on that
// timeline, e.g. `7.8-10.4`) sums only the samples inside it, e.g. bench:broker's connections/s
// row without the process's start and the closing of its connections.
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function largest(dir: string) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
  if (!files.length) throw new Error(`no .cpuprofile in ${dir}`);
  return files[0];
}

/** A short name for a script: the package of node_modules, else the path under the project. */
function fileOf(url: string): string {
  if (!url) return '(native / V8)';
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + 14).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (u.startsWith('node:')) return u;
  return path.relative(process.cwd(), u) || u;
}

function folderOf(file: string) {
  if (file.startsWith('npm:') || file.startsWith('node:') || file.startsWith('(')) return file;
  return path.dirname(file);
}

function main() {
  const arg = process.argv[2];
  if (!arg) {
    process.stderr.write('usage: tsx bench/cpuprofile.ts <file.cpuprofile | folder> [top] [from-to]\n');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  const file = fs.statSync(arg).isDirectory() ? largest(arg) : arg;
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // "(idle)" is time the thread waited (the event loop had nothing to run): not counted
  const idleIds = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const [from, to] = (process.argv[4] ?? '').split('-').map(Number);
  const windowed = Number.isFinite(from) && Number.isFinite(to) && to > from;
  const self = new Map<number, number>();
  const perHalfSecond = new Map<number, number>();
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    const us = p.timeDeltas[i] ?? 0;
    at += us;
    const s = (at - p.startTime) / 1e6;
    if (!idleIds.has(p.samples[i])) {
      const k = Math.floor(s * 2);
      perHalfSecond.set(k, (perHalfSecond.get(k) ?? 0) + us);
    }
    if (windowed && (s < from || s > to)) continue;
    self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + us);
  }
  const idle = [...idleIds].reduce((a, id) => a + (self.get(id) ?? 0), 0);
  for (const id of idleIds) self.delete(id);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  const folders = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const f = fileOf(n.callFrame.url);
    add(fns, `${n.callFrame.functionName || '(anonymous)'}  ${f}:${n.callFrame.lineNumber + 1}`, us);
    add(files, f, us);
    add(folders, folderOf(f), us);
  }
  const say = (s: string) => process.stdout.write(`${s}\n`);
  const table = (title: string, m: Map<string, number>) => {
    say(`\n${title}`);
    for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
      say(`${(us / 1000).toFixed(0).padStart(8)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
  };
  say(
    `busy ms per 0.5 s: ${[...perHalfSecond]
      .sort((a, b) => a[0] - b[0])
      .filter(([, us]) => us >= 5000)
      .map(([k, us]) => `${(k / 2).toFixed(1)}s ${(us / 1000).toFixed(0)}`)
      .join(', ')}`,
  );
  if (windowed) say(`window: ${from}-${to} s`);
  say(
    `${file}: ${(total / 1e6).toFixed(1)} s busy (${(idle / 1e6).toFixed(1)} s idle) over ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s; shares are of the busy time`,
  );
  table('self time per folder / package', folders);
  table('self time per file', files);
  table('self time per function', fns);
}

main();
