// Sessions are for people: probes, API-key calls and anonymous API answers leave no session in
// Redis. /readyz answers whatever state MySQL and Redis are in, with only up/down per
// dependency. The CSRF header never reaches the log, and a 429 says when to come back.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/core/logger.js';
import { serverUrls } from '../support/env.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { WebClient } from '../support/web-client.js';

let p: TestPlatform;
let redis: Redis;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  p = await startTestPlatform({ LOGIN_MAX_ATTEMPTS: '2' }, { log: createLogger('info', 'esl', sink) });
  redis = new Redis(serverUrls().redisUrl);
});
afterAll(async () => {
  redis?.disconnect();
  await p?.close();
});

async function sessionKeys() {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${p.config.REDIS_PREFIX}:sess:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function issueKey(admin: WebClient) {
  const r = await admin.post('/admin/api-keys', { name: 'probe', scopes: 'tasks:read' }, '/admin/api-keys');
  return /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
}

describe('sessions only for people', () => {
  it('1,000 requests without a cookie (API key, anonymous API, probes, redirects) add no session key', async () => {
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    const key = await issueKey(admin);
    const before = await sessionKeys();
    expect(before.length).toBe(1); // the admin's

    const calls: (() => Promise<Response>)[] = [
      () => fetch(`${p.baseUrl}/api/v1/stores`, { headers: { authorization: `Bearer ${key}` } }),
      () => fetch(`${p.baseUrl}/api/v1/tasks/1`, { headers: { 'x-api-key': key } }),
      () => fetch(`${p.baseUrl}/api/v1/stores`, { headers: { accept: 'application/json' } }),
      () =>
        fetch(`${p.baseUrl}/api/v1/price-changes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '[]',
        }),
      () => fetch(`${p.baseUrl}/healthz`),
      () => fetch(`${p.baseUrl}/readyz`),
      () => fetch(`${p.baseUrl}/`, { redirect: 'manual', headers: { accept: 'text/html' } }),
      () => fetch(`${p.baseUrl}/catalog/products`, { headers: { accept: 'application/json' } }),
    ];
    const expected = [200, 404, 401, 401, 200, 200, 302, 401];
    const statuses = new Map<number, number[]>();
    for (let i = 0; i < 1000; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, async (_v, j) => {
          const which = (i + j) % calls.length;
          const res = await calls[which]();
          await res.arrayBuffer();
          expect(res.headers.getSetCookie()).toEqual([]);
          return [which, res.status] as const;
        }),
      );
      for (const [which, status] of batch) statuses.set(which, [...(statuses.get(which) ?? []), status]);
    }
    for (const [which, seen] of statuses) expect(new Set(seen)).toEqual(new Set([expected[which]]));
    expect(await sessionKeys()).toEqual(before);

    // A person who opens the sign-in page does get one (its form carries the CSRF token).
    const visitor = new WebClient(p.baseUrl);
    await visitor.get('/login');
    expect(visitor.lastCsrf).toMatch(/\S{16,}/);
    expect((await sessionKeys()).length).toBe(2);
  });

  it('keeps the signed-in flow working: a form posted with the lazily made token is accepted', async () => {
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    const r = await admin.post(
      '/admin/users',
      { username: 'lazy-token', role: 'auditor', password: 'a-long-password-123' },
      '/admin/users',
    );
    expect(r.status).toBe(200);
    expect((await admin.get('/admin/users')).text).toContain('lazy-token');
  });

  it('never logs the CSRF header', async () => {
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    const token = admin.lastCsrf;
    await admin.get('/admin/users');
    const res = await admin.request('POST', '/api/v1/price-changes', {
      json: [],
      headers: { 'x-csrf-token': admin.lastCsrf, 'x-request-id': 'csrf-redaction-check' },
    });
    expect(res.status).toBe(400); // through CSRF, refused as an empty list
    await expect.poll(() => logLines.some((l) => l.includes('csrf-redaction-check'))).toBe(true);
    const line = logLines.find((l) => l.includes('csrf-redaction-check'))!;
    expect(JSON.parse(line).req.headers['x-csrf-token']).toBe('[redacted]');
    expect(logLines.join('\n')).not.toContain(admin.lastCsrf);
    expect(token).not.toBe('');
  });

  it('answers a throttled sign-in with 429 and Retry-After', async () => {
    const c = new WebClient(p.baseUrl);
    for (let i = 0; i < 2; i++) {
      const r = await c.post('/login', { username: 'admin', password: 'wrong-password' }, '/login');
      expect(r.status).toBe(401);
    }
    const r = await c.post('/login', { username: 'admin', password: p.adminPassword }, '/login');
    expect(r.status).toBe(429);
    const after = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(after) && after >= 1 && after <= 900).toBe(true);
  });
});

describe('/readyz', () => {
  it('shows up/down per dependency and the state of the migrations', async () => {
    const res = await fetch(`${p.baseUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      checks: { mysql: 'up', redis: 'up', migrations: 'applied' },
    });
  });

  describe('with MySQL and Redis hanging', () => {
    let hp: TestPlatform;
    let mysqlProxy: TcpProxy;
    let redisProxy: TcpProxy;
    beforeAll(async () => {
      mysqlProxy = await startTcpProxy(serverUrls().mysqlUrl);
      redisProxy = await startTcpProxy(serverUrls().redisUrl);
      hp = await startTestPlatform(
        { ROLES: 'web' },
        { mysqlServerUrl: mysqlProxy.url, redisUrl: redisProxy.url },
      );
    });
    afterAll(async () => {
      mysqlProxy?.thaw();
      redisProxy?.thaw();
      await hp?.close();
      await mysqlProxy?.close();
      await redisProxy?.close();
    });

    it('answers 503 with both down and no error text, then up again when they come back', async () => {
      expect((await fetch(`${hp.baseUrl}/readyz`)).status).toBe(200);
      mysqlProxy.freeze();
      redisProxy.freeze();
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${hp.baseUrl}/readyz`);
        expect(res.status).toBe(503);
        const text = await res.text();
        expect(JSON.parse(text)).toEqual({
          ok: false,
          checks: { mysql: 'down', redis: 'down', migrations: 'unknown' },
        });
        expect(text).not.toMatch(/error|timeout|ECONN|answer/i);
      }
      mysqlProxy.thaw();
      redisProxy.thaw();
      await expect
        .poll(async () => (await fetch(`${hp.baseUrl}/readyz`)).status, { timeout: 30_000 })
        .toBe(200);
    });
  });
});
