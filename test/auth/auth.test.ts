import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { WebClient } from '../support/web-client.js';
import { queryRows } from '../../server/db/query.js';

let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform({ LOGIN_MAX_ATTEMPTS: '3' });
});
afterAll(async () => {
  await p?.close();
});

async function createUser(role: string) {
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  const username = `${role}-${Math.random().toString(36).slice(2, 8)}`;
  const res = await admin.createUser({ username, role, password: 'a-long-password-123' });
  expect(res.status).toBe(200);
  return username;
}

describe('accounts and roles', () => {
  it('stores passwords as scrypt hashes, never in clear', async () => {
    await createUser('operator');
    const c = await mysql.createConnection({ uri: p.ctx.mysqlUrl });
    const rows = await queryRows<{ password_hash: string }>(c, 'SELECT password_hash FROM users');
    await c.end();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const r of rows) expect(r.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(rows.map((r) => r.password_hash).join()).not.toContain('a-long-password-123');
  });

  it('refuses a state-changing request without the CSRF token', async () => {
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    const res = await admin.request('POST', '/admin/users', {
      form: { username: 'csrf-victim', role: 'admin' },
    });
    expect(res.status).toBe(403);
    expect(res.text).toContain('not sent by this site');
    const list = await admin.get('/admin/users');
    expect(list.text).not.toContain('csrf-victim');
  });

  it('lets an operator not reach admin pages by URL, and an auditor not change anything', async () => {
    const op = await createUser('operator');
    const c = new WebClient(p.baseUrl);
    await c.login(op, 'a-long-password-123');
    expect((await c.get('/admin/users')).status).toBe(403);
    const post = await c.post('/admin/users', { username: 'sneaky', role: 'admin' }, '/');
    expect(post.status).toBe(403);

    const aud = await createUser('auditor');
    const a = new WebClient(p.baseUrl);
    await a.login(aud, 'a-long-password-123');
    expect((await a.get('/admin/users')).status).toBe(403);
    expect((await a.post('/admin/users/1', { role: 'auditor' }, '/')).status).toBe(403);
  });

  it('throttles failed logins per account, even with the right password afterwards', async () => {
    const user = await createUser('operator');
    const c = new WebClient(p.baseUrl);
    for (let i = 0; i < 3; i++) {
      await c.get('/login');
      const r = await c.post('/login', { username: user, password: 'wrong-password-xx' });
      expect(r.status).toBe(401);
    }
    await c.get('/login');
    const blocked = await c.post('/login', { username: user, password: 'a-long-password-123' });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('Too many failed sign-in attempts');
  });

  it('signs a disabled account out at once', async () => {
    const user = await createUser('operator');
    const c = new WebClient(p.baseUrl);
    await c.login(user, 'a-long-password-123');
    expect((await c.get('/')).status).toBe(200);
    const admin = new WebClient(p.baseUrl);
    await admin.login('admin', p.adminPassword);
    const page = await admin.get('/admin/users');
    const id = new RegExp(`data-user="${user}"[\\s\\S]*?action="/admin/users/(\\d+)"`).exec(page.text)![1];
    expect((await admin.post(`/admin/users/${id}`, { disabled: '1' })).status).toBe(302);
    const after = await c.get('/');
    expect(after.status).toBe(302);
    expect(after.location).toContain('/login');
  });

  it('shows 404 and 500-free error pages without stack traces', async () => {
    const c = new WebClient(p.baseUrl);
    await c.login('admin', p.adminPassword);
    const res = await c.get('/no/such/page');
    expect(res.status).toBe(404);
    expect(res.text).toContain('404');
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
  });

  it('gives every response a request id, and keeps a valid one the caller sent', async () => {
    const own = await fetch(`${p.baseUrl}/login`, { headers: { 'x-request-id': 'erp-call-12345678' } });
    expect(own.headers.get('x-request-id')).toBe('erp-call-12345678');
    const hostile = await fetch(`${p.baseUrl}/login`, { headers: { 'x-request-id': '<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('renders an oversized form as a clean 413 page', async () => {
    const c = new WebClient(p.baseUrl);
    const res = await c.request('POST', '/login', { form: { username: 'x'.repeat(300_000), password: 'y' } });
    expect(res.status).toBe(413);
    expect(res.text).toContain('The request is too large.');
    expect(res.text).not.toMatch(/node_modules|\.ts:\d+/);
  });

  it('answers an API call without key or session with 401, not a CSRF error', async () => {
    const res = await fetch(`${p.baseUrl}/api/v1/price-changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '[]',
    });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('sends security headers', async () => {
    const res = await fetch(`${p.baseUrl}/login`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('reports readiness of MySQL, Redis and migrations', async () => {
    const res = await fetch(`${p.baseUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      ok: true,
      checks: { mysql: 'up', redis: 'up', migrations: 'applied' },
    });
  });
});
