// Private MariaDB and Redis for the one-command start and for the tests.
// They run detached from the platform's process, so a restart of the platform
// (or a second test run) reuses them and their data; `npm run services:stop` stops them.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { provisionServer } from './provision-repo.js';

export interface EmbeddedState {
  mysqlPort: number;
  redisPort: number;
  mysqlPassword: string;
  redisPassword: string;
  sessionSecret: string;
}

export interface EmbeddedUrls {
  mysqlUrl: string;
  redisUrl: string;
  state: EmbeddedState;
}

type Log = (msg: string) => void;

const MARIADBD = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];
const REDIS = ['/usr/bin/redis-server'];

const firstExisting = (paths: string[]) => paths.find((p) => fs.existsSync(p));

export class MissingBinariesError extends Error {
  override name = 'MissingBinariesError';
}

/** A Debian package the platform or its tests need, and the binaries that show it is there. */
export interface OsPackage {
  pkg: string;
  bins: string[];
}

export const SERVER_PACKAGES: OsPackage[] = [
  { pkg: 'mariadb-server', bins: MARIADBD },
  { pkg: 'mariadb-server', bins: INSTALL_DB },
  { pkg: 'redis-server', bins: REDIS },
];

/** Installs missing packages with apt-get when running as root, or says exactly what to run. */
export function ensurePackages(packages: OsPackage[], log: Log): void {
  const missing = [...new Set(packages.filter((p) => !firstExisting(p.bins)).map((p) => p.pkg))];
  if (missing.length === 0) return;
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    throw new MissingBinariesError(
      `${missing.join(', ')} not installed. Run:\n  sudo sh -c '${cmd}'\nor set MYSQL_URL and REDIS_URL to use existing servers.`,
    );
  }
  log(`installing ${missing.join(', ')} with apt-get (first start only)`);
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
  if (r.status !== 0) throw new MissingBinariesError(`"${cmd}" failed with exit code ${r.status}`);
}

/** Ports derived from the data folder, so a second checkout gets its own pair. */
function portsFor(dataDir: string): { mysqlPort: number; redisPort: number } {
  const h = crypto.createHash('sha1').update(path.resolve(dataDir)).digest().readUInt16BE(0);
  const base = 23000 + (h % 900) * 10;
  return { mysqlPort: base + 1, redisPort: base + 2 };
}

function loadState(dataDir: string): EmbeddedState {
  const file = path.join(dataDir, 'embedded.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as EmbeddedState;
  const secret = () => crypto.randomBytes(24).toString('base64url');
  const state: EmbeddedState = {
    ...portsFor(dataDir),
    mysqlPassword: secret(),
    redisPassword: secret(),
    sessionSecret: crypto.randomBytes(32).toString('base64url'),
  };
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  return state;
}

function pidAlive(pidFile: string): number | null {
  if (!fs.existsSync(pidFile)) return null;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  if (!pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, probe: () => Promise<boolean>, logFile: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = fs.existsSync(logFile)
    ? fs.readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')
    : '';
  throw new Error(`${what} did not become ready within ${timeoutMs} ms; see ${logFile}\n${tail}`);
}

function spawnDetached(cmd: string, args: string[], logFile: string): void {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.closeSync(out);
}

const asRoot = () => process.getuid?.() === 0;

async function startMariaDb(
  dataDir: string,
  st: EmbeddedState,
  log: Log,
  extraArgs: string[] = [],
): Promise<void> {
  const dir = path.join(dataDir, 'mariadb');
  const pidFile = path.join(dataDir, 'mariadb.pid');
  const logFile = path.join(dataDir, 'mariadb.log');
  const userArgs = asRoot() ? ['--user=root'] : [];
  const fresh = !fs.existsSync(path.join(dir, 'mysql'));
  if (!pidAlive(pidFile)) {
    if (fresh) {
      log(`initialising embedded MariaDB in ${dir}`);
      fs.mkdirSync(dir, { recursive: true });
      const r = spawnSync(
        firstExisting(INSTALL_DB)!,
        [
          '--no-defaults',
          `--datadir=${dir}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          ...userArgs,
        ],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`mariadb-install-db failed:\n${r.stdout}\n${r.stderr}`);
    }
    log(`starting embedded MariaDB on 127.0.0.1:${st.mysqlPort}`);
    spawnDetached(
      firstExisting(MARIADBD)!,
      [
        '--no-defaults',
        `--datadir=${dir}`,
        `--port=${st.mysqlPort}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(os.tmpdir(), `esl-mariadb-${st.mysqlPort}.sock`)}`,
        `--pid-file=${pidFile}`,
        `--log-error=${logFile}`,
        '--skip-name-resolve',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--innodb-buffer-pool-size=256M',
        '--innodb-flush-log-at-trx-commit=1',
        '--max-connections=500',
        ...extraArgs,
        ...userArgs,
      ],
      logFile,
    );
  }
  // Until the first setup has run, root has no password; afterwards only the esl user is used.
  await waitFor('MariaDB', () => portOpen(st.mysqlPort), logFile);
  let conn: mysql.Connection | undefined;
  await waitFor(
    'MariaDB login',
    async () => {
      try {
        conn = await mysql.createConnection({
          host: '127.0.0.1',
          port: st.mysqlPort,
          user: 'esl',
          password: st.mysqlPassword,
        });
        return true;
      } catch {
        try {
          conn = await mysql.createConnection({ host: '127.0.0.1', port: st.mysqlPort, user: 'root' });
          return true;
        } catch {
          return false;
        }
      }
    },
    logFile,
  );
  const c = conn!;
  await provisionServer(c, st.mysqlPassword);
  await c.end();
}

async function startRedis(dataDir: string, st: EmbeddedState, log: Log): Promise<void> {
  const dir = path.join(dataDir, 'redis');
  const pidFile = path.join(dataDir, 'redis.pid');
  const logFile = path.join(dataDir, 'redis.log');
  if (!pidAlive(pidFile)) {
    fs.mkdirSync(dir, { recursive: true });
    log(`starting embedded Redis on 127.0.0.1:${st.redisPort}`);
    spawnDetached(
      firstExisting(REDIS)!,
      [
        '--port',
        String(st.redisPort),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--pidfile',
        pidFile,
        '--requirepass',
        st.redisPassword,
        // BullMQ needs every key kept; AOF makes accepted jobs survive a Redis restart.
        '--maxmemory-policy',
        'noeviction',
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
      ],
      logFile,
    );
  }
  await waitFor('Redis', () => portOpen(st.redisPort), logFile);
}

/** Starts (or finds running) the private MariaDB and Redis; returns their URLs. */
/** `mariadbArgs`: more server options for a MariaDB this call starts (a benchmark's measurements). */
export async function startEmbeddedServices(
  dataDir: string,
  log: Log = () => {},
  mariadbArgs: string[] = [],
): Promise<EmbeddedUrls> {
  ensurePackages(SERVER_PACKAGES, log);
  const st = loadState(dataDir);
  await Promise.all([startMariaDb(dataDir, st, log, mariadbArgs), startRedis(dataDir, st, log)]);
  return {
    mysqlUrl: `mysql://esl:${encodeURIComponent(st.mysqlPassword)}@127.0.0.1:${st.mysqlPort}/esl`,
    redisUrl: `redis://:${encodeURIComponent(st.redisPassword)}@127.0.0.1:${st.redisPort}`,
    state: st,
  };
}

/** Stops the private servers (SIGTERM, then waits for them to exit). Data stays. */
export async function stopEmbeddedServices(dataDir: string, log: Log = () => {}): Promise<void> {
  for (const name of ['mariadb', 'redis']) {
    const pid = pidAlive(path.join(dataDir, `${name}.pid`));
    if (!pid) continue;
    log(`stopping embedded ${name} (pid ${pid})`);
    process.kill(pid, 'SIGTERM');
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      try {
        process.kill(pid, 0);
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        break;
      }
    }
  }
}
