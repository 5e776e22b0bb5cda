// The production install, as the README describes it: `npm run build` compiles to dist/, the
// package is installed with `npm ci --omit=dev` (no tsx, no TypeScript), and `npm run migrate`
// and `npm start` with NODE_ENV=production and the production variables bring up the compiled
// platform against external MySQL and Redis (here the tests' own), which stops on SIGTERM.
// Done in a scratch copy of the repository, so the checkout itself is left as it is.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { createTestDatabase, serverUrls, uid } from '../support/env.js';
import { deleteRedisPrefix, stopChild } from '../support/scratch.js';
import { WebClient } from '../support/web-client.js';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'esl-prod-'));
const prefix = `t${uid()}`;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let child: ChildProcess | null = null;

const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  db = await createTestDatabase();
  // The repository's files (tracked, and new ones not ignored), without node_modules, .data or dist.
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], PROJECT_ROOT)
    .split('\0')
    .filter((f) => f && fs.existsSync(path.join(PROJECT_ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(scratch, f)), { recursive: true });
    fs.copyFileSync(path.join(PROJECT_ROOT, f), path.join(scratch, f));
  }
  // Compiled by the checkout's TypeScript (a devDependency) into the copy's dist/.
  run('npm', ['run', 'build', '--', '--outDir', path.join(scratch, 'dist')], PROJECT_ROOT);
  // From the npm cache the checkout was installed from: no network needed.
  run('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], scratch);
}, 300_000);

afterAll(async () => {
  if (child) await stopChild(child);
  await db?.drop();
  await deleteRedisPrefix(serverUrls().redisUrl, prefix);
  fs.rmSync(scratch, { recursive: true, force: true });
});

describe('production build', () => {
  it('installs without devDependencies and starts the compiled platform with NODE_ENV=production', async () => {
    expect(fs.existsSync(path.join(scratch, 'node_modules', 'tsx'))).toBe(false);
    // typescript may stay: npm installs it as i18next's (optional) peer; the test runner does not.
    expect(fs.existsSync(path.join(scratch, 'node_modules', 'vitest'))).toBe(false);
    expect(fs.existsSync(path.join(scratch, 'dist', 'server', 'main.js'))).toBe(true);

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      NODE_ENV: 'production',
      MYSQL_URL: db.url,
      REDIS_URL: serverUrls().redisUrl,
      REDIS_PREFIX: prefix,
      SESSION_SECRET: 'a-production-session-secret-of-48-characters-xx',
      COOKIE_SECURE: 'true',
      DATA_DIR: path.join(scratch, '.data'),
      HTTP_PORT: '0',
      MQTT_TCP_PORT: '0',
      MQTT_TLS_PORT: '0',
      MQTT_WS_PORT: '0',
      MQTT_WSS_PORT: '0',
      LOG_LEVEL: 'info',
    };
    const migrated = run('npm', ['run', 'migrate'], scratch, env);
    expect(migrated).toMatch(/applied: 001_users/);

    child = spawn('npm', ['start'], { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child!.once('close', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 90 s:\n${out}`)), 90_000);
      child!.stdout!.on('data', () => {
        const m =
          /"url":"([^"]+)"[^\n]*"msg":"platform started"|"msg":"platform started"[^\n]*"url":"([^"]+)"/.exec(
            out,
          );
        if (m) {
          clearTimeout(timer);
          resolve(m[1] ?? m[2]);
        }
      });
      void exited.then((code) => reject(new Error(`exited early with ${code}:\n${out}`)));
    });
    // Compiled code, not TypeScript through a loader.
    expect(out).not.toContain('tsx');

    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    // Views, static files and migrations are found relative to the package, not to dist/.
    const login = await fetch(`${url}/login`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('name="_csrf"');
    const css = /href="(\/static\/[^"]+\.css)"/.exec(await (await fetch(`${url}/login`)).text());
    expect(css).not.toBeNull();
    expect((await fetch(url + css![1])).status).toBe(200);
    expect(login.headers.get('strict-transport-security')).toContain('max-age');

    // The first admin's one-time password is printed once; signing in works over the compiled app.
    const pw = /as "admin" with the one-time password: (\S+)/.exec(out);
    expect(pw, out).not.toBeNull();
    expect((await new WebClient(url).request('GET', '/login')).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('"msg":"stopped"');
    child = null;
  }, 240_000);
});
