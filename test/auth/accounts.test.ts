// Accounts and admin safety: a first or admin-set password is changed before anything else, a
// password change ends the user's other sessions, admins reset passwords and unlock accounts,
// and a new user gets the least-privileged role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { uid } from '../support/env.js';
import { WebClient } from '../support/web-client.js';
import { queryRows } from '../../server/db/query.js';

let p: TestPlatform;
let admin: WebClient;
beforeAll(async () => {
  p = await startTestPlatform({ LOGIN_MAX_ATTEMPTS: '3' });
  admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
});
afterAll(async () => {
  await p?.close();
});

const q = (sql: string, args: unknown[] = []) => queryRows<Record<string, unknown>>(p.ctx.pool, sql, args);

/** A user created by the admin with a generated one-time password; returns its name, id and password. */
async function created(role = 'operator') {
  const username = `u-${uid(3)}`;
  const res = await admin.post('/admin/users', { username, role }, '/admin/users');
  expect(res.status).toBe(200);
  const otp = /data-testid="one-time-password">([^<]+)</.exec(res.text)![1];
  const [row] = await q('SELECT id FROM users WHERE username = ?', [username]);
  return { username, otp, id: Number(row.id) };
}

async function choosePassword(c: WebClient, current: string, password: string) {
  return c.post('/account/password', { current, password }, '/account/password');
}

describe('forced password change', () => {
  it('sends every page to the password form and refuses other requests until the user chooses one', async () => {
    const u = await created();
    const c = new WebClient(p.baseUrl);
    await c.login(u.username, u.otp);

    for (const path of ['/', '/catalog/products', '/tasks', '/admin/users']) {
      const r = await c.get(path);
      expect(r.status, path).toBe(302);
      expect(r.location, path).toBe('/account/password');
    }
    const form = await c.get('/account/password');
    expect(form.status).toBe(200);
    expect(form.text).toContain('Your password was set by someone else');

    // The session's API calls and form posts are refused with a clear, machine-readable error.
    const api = await c.request('GET', '/api/v1/stores', {
      headers: { accept: 'application/json', 'x-csrf-token': c.lastCsrf },
    });
    expect(api.status).toBe(403);
    expect(JSON.parse(api.text).error.code).toBe('password_change_required');
    const post = await c.post('/catalog/stores', { code: 'X1', name: 'x' });
    expect(post.status).toBe(403);
    expect(post.text).toContain('choose your own');
    expect(await q('SELECT id FROM stores')).toEqual([]);
    // an API key sent along acts as the key, not as the session
    const issued = await admin.post(
      '/admin/api-keys',
      { name: 'pos-reader', scopes: 'tasks:read' },
      '/admin/api-keys',
    );
    const key = /data-testid="issued-key">([^<]+)</.exec(issued.text)![1];
    const withKey = await c.request('GET', '/api/v1/stores', {
      headers: { accept: 'application/json', authorization: `Bearer ${key}` },
    });
    expect(withKey.status).toBe(200);

    // The one-time password itself is not accepted as the new one.
    const same = await choosePassword(c, u.otp, u.otp);
    expect(same.status).toBe(400);
    expect(same.text).toContain('different from the current one');

    const ok = await choosePassword(c, u.otp, 'my-own-password-42');
    expect(ok.status).toBe(302);
    expect((await c.get('/')).status).toBe(200);
    const api2 = await c.request('GET', '/api/v1/stores', { headers: { accept: 'application/json' } });
    expect(api2.status).toBe(200);
  });
});

describe('sessions and password changes', () => {
  it("ends the user's other sessions when they change their password, and keeps the one that did", async () => {
    const u = await created();
    const first = new WebClient(p.baseUrl);
    await first.login(u.username, u.otp);
    expect((await choosePassword(first, u.otp, 'password-number-one')).status).toBe(302);

    const laptop = new WebClient(p.baseUrl);
    const phone = new WebClient(p.baseUrl);
    await laptop.login(u.username, 'password-number-one');
    await phone.login(u.username, 'password-number-one');
    expect((await phone.get('/')).status).toBe(200);
    expect((await first.get('/')).status).toBe(200);

    expect((await choosePassword(laptop, 'password-number-one', 'password-number-two')).status).toBe(302);
    expect((await laptop.get('/')).status).toBe(200);
    for (const other of [phone, first]) {
      const r = await other.get('/');
      expect(r.status).toBe(302);
      expect(r.location).toContain('/login');
    }
    const [audit] = await q(
      "SELECT summary FROM audit_log WHERE action = 'user.password_changed' AND object_id = ? ORDER BY id DESC LIMIT 1",
      [u.username],
    );
    expect(audit.summary).toContain('other sessions signed out');
  });
});

describe('admin actions on accounts', () => {
  it('resets a password: a one-time password shown once, the sessions end, and a change is forced', async () => {
    const u = await created();
    const c = new WebClient(p.baseUrl);
    await c.login(u.username, u.otp);
    await choosePassword(c, u.otp, 'password-before-reset');
    expect((await c.get('/')).status).toBe(200);

    const res = await admin.post(`/admin/users/${u.id}/reset-password`, {}, '/admin/users');
    expect(res.status).toBe(200);
    const otp = /data-testid="reset-password">([^<]+)</.exec(res.text)![1];
    expect(otp).toMatch(/^[a-zA-Z0-9]{20}$/);
    expect((await admin.get('/admin/users')).text).not.toContain(otp);

    const gone = await c.get('/');
    expect(gone.status).toBe(302);
    expect(gone.location).toContain('/login');
    const old = new WebClient(p.baseUrl);
    await old.get('/login');
    expect(
      (await old.post('/login', { username: u.username, password: 'password-before-reset' })).status,
    ).toBe(401);

    const again = new WebClient(p.baseUrl);
    await again.login(u.username, otp);
    expect((await again.get('/')).location).toBe('/account/password');
    expect(
      await q("SELECT actor, action FROM audit_log WHERE action = 'user.password_reset' AND object_id = ?", [
        u.username,
      ]),
    ).toEqual([{ actor: 'admin', action: 'user.password_reset' }]);
  });

  it('unlocks an account that failed sign-ins locked', async () => {
    const u = await created();
    const c = new WebClient(p.baseUrl);
    for (let i = 0; i < 3; i++) {
      await c.get('/login');
      expect((await c.post('/login', { username: u.username, password: 'wrong-password-xx' })).status).toBe(
        401,
      );
    }
    await c.get('/login');
    expect((await c.post('/login', { username: u.username, password: u.otp })).status).toBe(429);

    const list = await admin.get('/admin/users');
    const row = new RegExp(`<tr data-user="${u.username}">[\\s\\S]*?</tr>`).exec(list.text)![0];
    expect(row).toContain('locked (failed sign-ins)');
    expect(row).toContain(`/admin/users/${u.id}/unlock`);

    const unlocked = await admin.post(`/admin/users/${u.id}/unlock`, {}, '/admin/users');
    expect(unlocked.status).toBe(302);
    const after = await admin.get('/admin/users');
    expect(after.text).toContain(`${u.username} may sign in again.`);
    expect(new RegExp(`<tr data-user="${u.username}">[\\s\\S]*?</tr>`).exec(after.text)![0]).not.toContain(
      'locked',
    );
    await c.login(u.username, u.otp);
    expect(
      await q("SELECT actor FROM audit_log WHERE action = 'user.unlocked' AND object_id = ?", [u.username]),
    ).toEqual([{ actor: 'admin' }]);
  });

  it('gives a new user the least-privileged role unless one is chosen, and preselects it on the form', async () => {
    const form = await admin.get('/admin/users');
    const select = /<form method="post" action="\/admin\/users" class="stack">[\s\S]*?<\/select>/.exec(
      form.text,
    )![0];
    expect(/<option value="(\w+)" selected>/.exec(select)?.[1]).toBe('auditor');

    const username = `norole-${uid(3)}`;
    expect((await admin.post('/admin/users', { username }, '/admin/users')).status).toBe(200);
    expect(await q('SELECT role FROM users WHERE username = ?', [username])).toEqual([{ role: 'auditor' }]);
  });

  it("speaks the reader's language: the password form, the users' states, the confirmations and the reset", async () => {
    const zh = { headers: { 'accept-language': 'zh-CN' } };
    const u = await created();
    const c = new WebClient(p.baseUrl);
    await c.login(u.username, u.otp);
    const form = (await c.request('GET', '/account/password', zh)).text;
    expect(form).toContain('您的密码是由他人设置的。请先设置您自己的密码再继续。');
    expect(form).toContain('修改密码会使您的其他会话退出登录。');

    const list = (await admin.request('GET', '/admin/users', zh)).text;
    const row = new RegExp(`<tr data-user="${u.username}">[\\s\\S]*?</tr>`).exec(list)![0];
    expect(row).toContain('须设置新密码');
    expect(row).toContain(`data-confirm="停用 ${u.username}？该用户会立即退出登录。"`);
    expect(row).toContain(
      `data-confirm="重置 ${u.username} 的密码？该用户的会话将结束，并获得一个一次性密码。"`,
    );
    const reset = await admin.request('POST', `/admin/users/${u.id}/reset-password`, {
      form: { _csrf: admin.lastCsrf },
      ...zh,
    });
    expect(reset.text).toContain(`${u.username} 的新一次性密码：`);
  });

  it('refuses reset and unlock to anyone but an admin', async () => {
    const u = await created('operator');
    const c = new WebClient(p.baseUrl);
    await c.login(u.username, u.otp);
    await choosePassword(c, u.otp, 'operator-own-password');
    expect((await c.post(`/admin/users/${u.id}/reset-password`, {}, '/')).status).toBe(403);
    expect((await c.post(`/admin/users/${u.id}/unlock`, {}, '/')).status).toBe(403);
  });
});
