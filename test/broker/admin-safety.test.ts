// Admin pages that refuse to break the platform: the platform's own parent topic and a Group
// ID in use (by a store, by connected APs) cannot be deleted, and the page says why; empty
// tables say so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startBroker, type BrokerFixture } from '../support/mqtt.js';
import { uid } from '../support/env.js';
import { WebClient } from '../support/web-client.js';
import { queryRows } from '../../server/db/query.js';

let f: BrokerFixture;
let admin: WebClient;
beforeAll(async () => {
  f = await startBroker();
  admin = new WebClient(f.platform.baseUrl);
  await admin.login('admin', f.platform.adminPassword);
});
afterAll(async () => {
  await f?.close();
});

const q = (sql: string, args: unknown[] = []) =>
  queryRows<Record<string, unknown>>(f.platform.ctx.pool, sql, args);

describe('empty tables', () => {
  it('say so on the admin and registry pages', async () => {
    expect((await admin.get('/admin/api-keys')).text).toContain('No API keys yet.');
    const creds = await admin.get('/admin/mqtt/credentials');
    for (const t of ['No AccessKeys yet.', 'No device credentials yet.', 'No tokens yet.'])
      expect(creds.text).toContain(t);
    expect((await admin.get('/admin/mqtt')).text).toContain('No Group IDs yet.');

    // ... and stop saying it once there is a row
    await admin.post('/admin/api-keys', { name: 'erp-sync', scopes: 'tasks:read' }, '/admin/api-keys');
    expect((await admin.get('/admin/api-keys')).text).not.toContain('No API keys yet.');
  });
});

describe('deleting what the platform needs', () => {
  it("keeps the platform's own parent topic, with the reason on the page and in the API", async () => {
    const page = await admin.get('/admin/mqtt');
    const row = new RegExp(`<tr data-parent-topic="${f.parent}">[\\s\\S]*?</tr>`).exec(page.text)![0];
    expect(row).toContain('data-testid="own-parent-topic">the platform&#39;s own</span>');
    expect(row).not.toContain('/delete');

    // a forged or stale form post is refused with the page and its message, not a bare error page
    const res = await admin.post(`/admin/mqtt/parent-topics/${f.parent}/delete`, {});
    expect(res.status).toBe(409);
    expect(res.text).toContain(`${f.parent} is the platform&#39;s own parent topic`);
    expect(res.text).toContain('Create parent topic');
    expect(await q('SELECT name FROM mqtt_parent_topics WHERE name = ?', [f.parent])).toHaveLength(1);
    // ... in the reader's language
    const zh = await admin.request('POST', `/admin/mqtt/parent-topics/${f.parent}/delete`, {
      form: { _csrf: admin.lastCsrf },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(zh.status).toBe(409);
    expect(zh.text).toContain(`${f.parent} 是平台自身的父级 Topic（MQTT_PARENT_TOPIC）`);
    expect(zh.text).toContain('平台自身使用');

    const key = /data-testid="issued-key">([^<]+)</.exec(
      (await admin.post('/admin/api-keys', { name: 'registry-admin', scopes: 'admin' }, '/admin/api-keys'))
        .text,
    )![1];
    const api = await fetch(`${f.platform.baseUrl}/api/v1/registry/parent-topics/${f.parent}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(api.status).toBe(409);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('conflict');

    // any other parent topic can still be deleted
    const other = `x${uid(3)}`;
    await admin.post('/admin/mqtt/parent-topics', { name: other }, '/admin/mqtt');
    expect((await admin.post(`/admin/mqtt/parent-topics/${other}/delete`, {}, '/admin/mqtt')).status).toBe(
      302,
    );
    expect(await q('SELECT name FROM mqtt_parent_topics WHERE name = ?', [other])).toEqual([]);
  });

  it('keeps a Group ID bound to a store, naming the store', async () => {
    const g = await f.newGroup();
    const code = `S${uid(2)}`;
    await admin.post(
      '/catalog/stores',
      { code, name: `Store ${code}`, timezone: 'Asia/Shanghai', currency: 'CNY' },
      '/catalog/stores',
    );
    const [s] = await q('SELECT id FROM stores WHERE code = ?', [code]);
    expect(
      (await admin.post(`/catalog/stores/${s.id}/groups`, { groupId: g.groupId }, `/catalog/stores/${s.id}`))
        .status,
    ).toBe(302);

    const res = await admin.post(`/admin/mqtt/groups/${g.groupId}/delete`, {}, '/admin/mqtt');
    expect(res.status).toBe(409);
    expect(res.text).toContain(`Group ID ${g.groupId} is in use by store ${code}`);
    expect(res.text).toContain('Create Group ID');
    const zh = await admin.request('POST', `/admin/mqtt/groups/${g.groupId}/delete`, {
      form: { _csrf: admin.lastCsrf },
      headers: { 'accept-language': 'zh-CN' },
    });
    expect(zh.text).toContain(`Group ID ${g.groupId} 正被门店 ${code} 使用：请先从门店中移除它。`);
    expect(await q('SELECT group_id FROM mqtt_groups WHERE group_id = ?', [g.groupId])).toHaveLength(1);
    expect(await q("SELECT id FROM audit_log WHERE action = 'mqtt.group.deleted'")).toEqual([]);
  });

  it('keeps a Group ID while APs of it are connected, and deletes it once they are gone', async () => {
    const g = await f.newGroup();
    const ap = await connectDevice(f, g, 'AP1');
    const online = async () => q('SELECT online FROM aps WHERE group_id = ? AND online = 1', [g.groupId]);
    await expect.poll(async () => (await online()).length).toBe(1);

    const res = await admin.post(`/admin/mqtt/groups/${g.groupId}/delete`, {}, '/admin/mqtt');
    expect(res.status).toBe(409);
    expect(res.text).toContain(`Group ID ${g.groupId} is in use by 1 connected AP(s)`);

    await new Promise<void>((r) => ap.end(false, {}, () => r()));
    await expect.poll(async () => (await online()).length).toBe(0);
    // with no store and no AP left, it goes
    const gone = await admin.post(`/admin/mqtt/groups/${g.groupId}/delete`, {}, '/admin/mqtt');
    expect(gone.status).toBe(302);
    expect(await q('SELECT group_id FROM mqtt_groups WHERE group_id = ?', [g.groupId])).toEqual([]);
    expect(
      await q("SELECT actor FROM audit_log WHERE action = 'mqtt.group.deleted' AND object_id = ?", [
        g.groupId,
      ]),
    ).toEqual([{ actor: 'admin' }]);
  });
});
