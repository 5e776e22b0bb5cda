// The README's first command, end to end: `npm start` on a fresh data folder brings up its own
// MariaDB and Redis, prints the first admin's password once, stops cleanly on SIGTERM, and a
// second start reuses the same services and data.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config.js';
import { stopEmbeddedServices } from '../../server/embedded/embedded-services.js';
import { WebClient } from '../support/web-client.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'esl-proc-'));

afterAll(async () => {
  await stopEmbeddedServices(dataDir);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  url: string;
  output: () => string;
  stop: (signal: NodeJS.Signals) => Promise<{ code: number | null; ms: number }>;
}

function start(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DATA_DIR: dataDir,
      HTTP_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // 'close' rather than 'exit': the last lines (the "stopped" log line) may still be in the pipes when the process exits.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 90 s:\n${out}`)), 90_000);
    const check = () => {
      const m =
        /"msg":"platform started"[^\n]*"url":"([^"]+)"|"url":"([^"]+)"[^\n]*"msg":"platform started"/.exec(
          out,
        );
      // The banner after the log line is a separate write and may arrive in a later chunk: wait for it.
      const banner = /You will be asked to change it\.\n|ESL platform is up: \S+\n/.test(out);
      if (m && banner) {
        clearTimeout(timer);
        resolve({
          url: m[1] ?? m[2],
          output: () => out,
          stop: async (signal) => {
            const t = Date.now();
            child.kill(signal);
            const code = await exited;
            return { code, ms: Date.now() - t };
          },
        });
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`exited early with ${code}:\n${out}`)));
  });
}

describe('npm start on embedded services', () => {
  it('starts from nothing, prints a one-time admin password, stops on SIGTERM, and restarts on the same data', async () => {
    const env = {
      LOG_LEVEL: 'info',
      DEMO: 'false',
      MQTT_TCP_PORT: '0',
      MQTT_TLS_PORT: '0',
      MQTT_WS_PORT: '0',
      MQTT_WSS_PORT: '0',
    };
    const first = await start(env);
    const m = /as "admin" with the one-time password: (\S+)/.exec(first.output());
    expect(m, first.output()).not.toBeNull();
    const web = new WebClient(first.url);
    await web.login('admin', m![1]);
    // A one-time password is replaced before anything else.
    const home = await web.get('/');
    expect(home.status).toBe(302);
    expect(home.location).toBe('/account/password');
    // Out of the box (DEFAULT_LOCALE=zh-CN) a browser that asks for no language gets Chinese.
    const page = (await web.get('/account/password')).text;
    expect(page).toContain('<html lang="zh-CN">');
    expect(page).toContain('您的密码是由他人设置的。');
    const stopped = await first.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const second = await start(env);
    expect(second.output()).not.toContain('one-time password');
    await new WebClient(second.url).login('admin', m![1]);
    const state = JSON.parse(fs.readFileSync(path.join(dataDir, 'embedded.json'), 'utf8'));
    expect(second.output()).not.toContain('initialising embedded MariaDB');
    expect(state.mysqlPort).toBeGreaterThan(0);
    expect((await second.stop('SIGINT')).code).toBe(0);
  }, 240_000); // two starts of up to 90 s each (see start()) and two stops: more than the default 60 s
});
