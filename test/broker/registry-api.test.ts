// The registries through their REST API and admin pages: admin scope only, validation,
// one-time secrets sealed at rest, audit records, changes that reach the broker at once,
// the instance's ServerUrls and the "is this Client ID online" call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { WebClient } from '../support/web-client.js';
import { closed, startBroker, tryConnect, type BrokerFixture } from '../support/mqtt.js';
import { uid } from '../support/env.js';
import { queryRows, querySingle } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let adminKey: string;
let readKey: string;

beforeAll(async () => {
  f = await startBroker();
  const keys = new ApiKeysService(f.platform.ctx.pool);
  adminKey = (await keys.issue(SYSTEM_ACTOR, null, { name: 'automation', scopes: ['admin'] })).key;
  readKey = (await keys.issue(SYSTEM_ACTOR, null, { name: 'reader', scopes: ['tasks:read'] })).key;
});
afterAll(async () => {
  await f?.close();
});

async function api(method: string, path: string, body?: unknown, key = adminKey) {
  const res = await fetch(`${f.platform.baseUrl}/api/v1/registry${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text
      ? (JSON.parse(text) as Record<string, unknown> & { error?: { fields?: Record<string, string> } })
      : null,
  };
}

const auditActions = async (objectId: string) => {
  const rows = await queryRows<{ action: string; actor: string }>(
    f.platform.ctx.pool,
    'SELECT action, actor FROM audit_log WHERE object_id = ? ORDER BY id',
    [objectId],
  );
  return rows;
};

describe('registry REST API', () => {
  it('needs the admin scope', async () => {
    const anon = await fetch(`${f.platform.baseUrl}/api/v1/registry/groups`, {
      headers: { accept: 'application/json' },
    });
    expect(anon.status).toBe(401);
    expect((await api('GET', '/groups', undefined, readKey)).status).toBe(403);
  });

  it('registered the configured parent topic at first start, as the system', async () => {
    const r = await api('GET', '/parent-topics');
    expect((r.json!.items as { name: string }[]).map((t) => t.name)).toContain(f.parent);
    expect(await auditActions(f.parent)).toEqual([{ action: 'mqtt.parent_topic.created', actor: 'system' }]);
  });

  it('validates Group IDs, creates them once and audits it', async () => {
    for (const groupId of ['GID_ab', 'XID_abcdef', 'GID_has space', `GID_${'x'.repeat(61)}`]) {
      const r = await api('POST', '/groups', { groupId });
      expect(r.status, groupId).toBe(400);
      expect(r.json!.error!.fields!.groupId).toBeTruthy();
    }
    const groupId = `GID-${uid(4)}`;
    expect((await api('POST', '/groups', { groupId, description: 'store 1' })).status).toBe(201);
    expect((await api('POST', '/groups', { groupId })).status).toBe(409);
    expect((await auditActions(groupId)).map((a) => a.action)).toEqual(['mqtt.group.created']);
  });

  it('shows an AccessKey secret once, keeps it sealed, and revoking it disconnects its clients', async () => {
    const groupId = `GID_${uid(4)}`;
    await api('POST', '/groups', { groupId });
    const k = await api('POST', '/access-keys', { groupIds: [groupId], description: 'fleet' });
    expect(k.status).toBe(201);
    const { accessKeyId, accessKeySecret } = k.json as { accessKeyId: string; accessKeySecret: string };
    const list = await api('GET', '/access-keys');
    expect(JSON.stringify(list.json)).not.toContain(accessKeySecret);
    expect(JSON.stringify(list.json)).not.toContain('secret_sealed');
    const row = await querySingle<{ secret_sealed: string }>(
      f.platform.ctx.pool,
      'SELECT secret_sealed FROM mqtt_access_keys WHERE access_key_id = ?',
      [accessKeyId],
    );
    expect(row.secret_sealed).not.toContain(accessKeySecret);

    const clientId = `${groupId}@@@api1`;
    const c = await tryConnect(f.url(), {
      clientId,
      username: `Signature|${accessKeyId}|${f.broker.instanceId}`,
      password: hmacB64(accessKeySecret, clientId),
    });
    expect(c.code).toBe(0);
    await waitFor(
      'online via API',
      async () => (await api('GET', `/sessions/${encodeURIComponent(clientId)}`)).json!.online === true,
    );
    expect((await api('POST', `/access-keys/${accessKeyId}/revoke`)).status).toBe(204);
    await closed(c.client!);
    await waitFor(
      'offline via API',
      async () => (await api('GET', `/sessions/${encodeURIComponent(clientId)}`)).json!.online === false,
    );
    expect((await auditActions(accessKeyId)).map((a) => a.action)).toEqual([
      'mqtt.access_key.issued',
      'mqtt.access_key.revoked',
    ]);
  });

  it('issues, rotates and revokes device credentials, and issues tokens', async () => {
    const groupId = `GID_${uid(4)}`;
    await api('POST', '/groups', { groupId });
    const clientId = `${groupId}@@@dev1`;
    expect((await api('POST', '/device-credentials', { clientId: 'not-a-client-id' })).status).toBe(400);
    const d = (await api('POST', '/device-credentials', { clientId })).json as {
      deviceAccessKeyId: string;
      deviceAccessKeySecret: string;
    };
    expect((await api('POST', '/device-credentials', { clientId })).status).toBe(409);
    const user = `DeviceCredential|${d.deviceAccessKeyId}|${f.broker.instanceId}`;
    const r = (await api('POST', `/device-credentials/${d.deviceAccessKeyId}/rotate`)).json as {
      deviceAccessKeySecret: string;
    };
    expect(
      (
        await tryConnect(f.url(), {
          clientId,
          username: user,
          password: hmacB64(d.deviceAccessKeySecret, clientId),
        })
      ).code,
    ).toBe(4);
    const ok = await tryConnect(f.url(), {
      clientId,
      username: user,
      password: hmacB64(r.deviceAccessKeySecret, clientId),
    });
    expect(ok.code).toBe(0);
    await ok.client!.endAsync();

    const k = (await api('POST', '/access-keys', {})).json as { accessKeyId: string };
    expect((await api('POST', '/tokens', { accessKeyId: k.accessKeyId, perms: 'X' })).status).toBe(400);
    const t = await api('POST', '/tokens', { accessKeyId: k.accessKeyId, perms: 'RW', ttlSeconds: 600 });
    expect(t.status).toBe(201);
    const tok = t.json as { token: string; id: string };
    const c = await tryConnect(f.url(), {
      clientId,
      username: `Token|${k.accessKeyId}|${f.broker.instanceId}`,
      password: `R|${tok.token}|W|${tok.token}`,
    });
    expect(c.code).toBe(0);
    expect((await api('POST', `/tokens/${tok.id}/revoke`)).status).toBe(204);
    await closed(c.client!);
    expect(JSON.stringify((await api('GET', '/tokens')).json)).not.toContain(tok.token);
  });

  it('reports the instance id and one ServerUrl per listener', async () => {
    const r = await api('GET', '/instance');
    expect(r.json!.instanceId).toBe(f.broker.instanceId);
    expect((r.json!.serverUrls as { transport: string }[]).map((u) => u.transport)).toEqual([
      'tcp',
      'tls',
      'ws',
      'wss',
    ]);
  });
});

describe('registry admin pages', () => {
  it('are for admins, show the instance and create a Group ID through the form', async () => {
    const anon = new WebClient(f.platform.baseUrl);
    expect((await anon.get('/admin/mqtt')).status).toBe(302);
    const web = new WebClient(f.platform.baseUrl);
    await web.login('admin', f.platform.adminPassword);
    const page = await web.get('/admin/mqtt');
    expect(page.status).toBe(200);
    expect(page.text).toContain(f.broker.instanceId);
    expect(page.text).toContain(`mqtt://localhost:${f.broker.ports.tcp}`);
    const groupId = `GID_${uid(4)}`;
    expect((await web.post('/admin/mqtt/groups', { groupId, description: 'via form' })).status).toBe(302);
    expect((await web.get('/admin/mqtt')).text).toContain(groupId);
    const bad = await web.post('/admin/mqtt/groups', { groupId: 'nope' }, '/admin/mqtt');
    expect(bad.status).toBe(400);
    const issued = await web.post(
      '/admin/mqtt/access-keys',
      { description: 'from page', groupIds: groupId },
      '/admin/mqtt/credentials',
    );
    expect(issued.status).toBe(200);
    expect(issued.text).toMatch(/data-testid="issued-accessKeySecret">[A-Za-z0-9]{30}</);
  });
});
