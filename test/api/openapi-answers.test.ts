// The OpenAPI document tells the truth: an integrator's session through /api/v1 (registry,
// store, products, labels, a price change, its task, an AP connecting over MQTT) where every
// answer's status must be one the document lists for that operation and its body must match
// the documented schema exactly (objects hold no field the document does not name).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { waitFor } from '../support/wait.js';
import { WebClient } from '../support/web-client.js';

type Json = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Json } | undefined> }>;
}

let p: TestPlatform;
let key = '';
let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Json } };
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
const checked = new Set<string>();
let device: mqtt.MqttClient | undefined;

/** A copy of a schema in which every object with named properties allows no other. */
function closed(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(closed);
  if (!s || typeof s !== 'object') return s;
  const o = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, closed(v)]));
  if (o.type === 'object' && o.properties && o.additionalProperties === undefined)
    o.additionalProperties = false;
  return o;
}

beforeAll(async () => {
  p = await startTestPlatform({ MQTT_EPHEMERAL_PORTS: '1' });
  doc = await (await fetch(`${p.baseUrl}/api/v1/openapi.json`)).json();
  ajv.addSchema({ $id: 'doc', components: closed(doc.components) });
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  const r = await admin.post('/admin/api-keys', { name: 'doc check', scopes: 'admin' }, '/admin/api-keys');
  key = /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
});
afterAll(async () => {
  device?.end(true);
  await p?.close();
});

/** Calls the API and checks the answer against the operation the document gives for `route`. */
async function call(method: string, route: string, path: string, body?: unknown) {
  const res = await fetch(p.baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  const op = doc.paths[route]?.[method.toLowerCase()];
  expect(op, `${method} ${route} is documented`).toBeDefined();
  const documented = op!.responses[String(res.status)];
  expect(
    documented,
    `${method} ${route} answered ${res.status}, which the document does not list: ${text.slice(0, 300)}`,
  ).toBeDefined();
  // An image answer: its media type is the one documented, and it is one (a PNG's signature).
  if (res.headers.get('content-type')?.startsWith('image/png')) {
    expect(Object.keys(documented!.content ?? {}), `${method} ${route} ${res.status}`).toContain('image/png');
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    checked.add(`${method} ${route} ${res.status}`);
    return { status: res.status, body: bytes };
  }
  const schema = documented!.content?.['application/json']?.schema;
  const value = text ? JSON.parse(text) : undefined;
  if (schema) {
    const validate: ValidateFunction = ajv.compile({ $ref: `doc${String(schema.$ref)}` });
    expect(validate(value) ? [] : validate.errors, `${method} ${route} ${res.status}`).toEqual([]);
  } else {
    expect(text, `${method} ${route} ${res.status} has no documented body`).toBe('');
  }
  checked.add(`${method} ${route} ${res.status}`);
  return { status: res.status, body: value };
}

describe('OpenAPI document against the live API', () => {
  it('describes the answers of an integrator session', async () => {
    const instance = (await call('GET', '/api/v1/registry/instance', '/api/v1/registry/instance')).body;
    await call('GET', '/api/v1/registry/settings', '/api/v1/registry/settings');
    await call('PUT', '/api/v1/registry/settings', '/api/v1/registry/settings', {
      deviceCredentialsWin: true,
    });
    await call('POST', '/api/v1/registry/parent-topics', '/api/v1/registry/parent-topics', {
      name: 'docs_topic',
    });
    await call('GET', '/api/v1/registry/parent-topics', '/api/v1/registry/parent-topics');
    await call(
      'DELETE',
      '/api/v1/registry/parent-topics/{name}',
      '/api/v1/registry/parent-topics/docs_topic',
    );
    await call('POST', '/api/v1/registry/groups', '/api/v1/registry/groups', { groupId: 'GID_DOCS_1' });
    expect(
      (await call('POST', '/api/v1/registry/groups', '/api/v1/registry/groups', { groupId: 'GID_DOCS_1' }))
        .status,
    ).toBe(409);
    await call('POST', '/api/v1/registry/groups', '/api/v1/registry/groups', { groupId: 'GID_DOCS_2' });
    await call('GET', '/api/v1/registry/groups', '/api/v1/registry/groups');
    await call('PUT', '/api/v1/registry/groups/{groupId}/class', '/api/v1/registry/groups/GID_DOCS_2/class', {
      clientClass: 'general',
    });
    await call('DELETE', '/api/v1/registry/groups/{groupId}', '/api/v1/registry/groups/GID_DOCS_2');
    const ak = (
      await call('POST', '/api/v1/registry/access-keys', '/api/v1/registry/access-keys', {
        description: 'APs',
      })
    ).body;
    await call(
      'PUT',
      '/api/v1/registry/access-keys/{id}/permissions',
      `/api/v1/registry/access-keys/${ak.accessKeyId}/permissions`,
      { permissions: [{ actions: ['publish', 'subscribe'], topics: ['docs/sensors/#'] }] },
    );
    await call('GET', '/api/v1/registry/access-keys', '/api/v1/registry/access-keys');
    const app = (
      await call('POST', '/api/v1/registry/applications', '/api/v1/registry/applications', {
        description: 'ERP bridge',
      })
    ).body;
    await call('GET', '/api/v1/registry/applications', '/api/v1/registry/applications');
    await call(
      'POST',
      '/api/v1/registry/applications/{id}/revoke',
      `/api/v1/registry/applications/${app.appId}/revoke`,
    );
    const spare = (await call('POST', '/api/v1/registry/access-keys', '/api/v1/registry/access-keys', {}))
      .body;
    await call(
      'POST',
      '/api/v1/registry/access-keys/{id}/revoke',
      `/api/v1/registry/access-keys/${spare.accessKeyId}/revoke`,
    );
    const cred = (
      await call('POST', '/api/v1/registry/device-credentials', '/api/v1/registry/device-credentials', {
        clientId: 'GID_DOCS_1@@@CRED1',
      })
    ).body;
    await call('GET', '/api/v1/registry/device-credentials', '/api/v1/registry/device-credentials');
    const credPath = `/api/v1/registry/device-credentials/${cred.deviceAccessKeyId}`;
    await call('POST', '/api/v1/registry/device-credentials/{id}/rotate', `${credPath}/rotate`);
    await call('POST', '/api/v1/registry/device-credentials/{id}/revoke', `${credPath}/revoke`);
    const token = (
      await call('POST', '/api/v1/registry/tokens', '/api/v1/registry/tokens', {
        accessKeyId: ak.accessKeyId,
        perms: 'R',
      })
    ).body;
    await call('GET', '/api/v1/registry/tokens', '/api/v1/registry/tokens');
    await call('POST', '/api/v1/registry/tokens/{id}/revoke', `/api/v1/registry/tokens/${token.id}/revoke`);
    expect(
      (
        await call(
          'POST',
          '/api/v1/registry/tokens/{id}/revoke',
          `/api/v1/registry/tokens/${token.id}/revoke`,
        )
      ).status,
    ).toBe(409);

    // an AP of the group connects
    const clientId = 'GID_DOCS_1@@@AP0001';
    const tcp = (instance.serverUrls as { transport: string; url: string }[]).find(
      (u) => u.transport === 'tcp',
    )!;
    device = await mqtt.connectAsync(tcp.url, {
      clientId,
      username: `Signature|${ak.accessKeyId}|${instance.instanceId}`,
      password: hmacB64(ak.accessKeySecret, clientId),
      reconnectPeriod: 0,
    });
    const session = `/api/v1/registry/sessions/${encodeURIComponent(clientId)}`;
    await waitFor(
      'the AP online',
      async () => (await call('GET', '/api/v1/registry/sessions/{clientId}', session)).body.online,
    );
    await call(
      'GET',
      '/api/v1/registry/sessions/{clientId}',
      '/api/v1/registry/sessions/GID_DOCS_1@@@NOBODY',
    );

    await call('POST', '/api/v1/stores', '/api/v1/stores', {
      code: 'DOC1',
      name: 'Docs',
      timeZone: 'Asia/Shanghai',
    });
    await call('POST', '/api/v1/stores/{code}/groups', '/api/v1/stores/DOC1/groups', {
      groupId: 'GID_DOCS_1',
    });
    expect(
      (
        await call('POST', '/api/v1/stores/{code}/groups', '/api/v1/stores/NOPE/groups', {
          groupId: 'GID_DOCS_1',
        })
      ).status,
    ).toBe(404);
    const quiet = '/api/v1/stores/{code}/quiet-hours';
    await call('PUT', quiet, '/api/v1/stores/DOC1/quiet-hours', { from: '22:00', to: '07:00' });
    expect(
      (await call('PUT', quiet, '/api/v1/stores/DOC1/quiet-hours', { from: '7', to: null })).status,
    ).toBe(400);
    await call('PUT', quiet, '/api/v1/stores/DOC1/quiet-hours', { from: null, to: null });
    await call('GET', '/api/v1/stores', '/api/v1/stores');
    await call('POST', '/api/v1/products', '/api/v1/products', {
      items: [{ sku: 'DOC-1', name: 'Docs product', unit: 'pcs', currency: 'CNY' }],
    });
    expect(
      (await call('POST', '/api/v1/products', '/api/v1/products', { items: [{ sku: '' }] })).status,
    ).toBe(400);
    await call('POST', '/api/v1/labels', '/api/v1/labels', {
      items: [{ labelId: 'ESL-DOC-0001', store: 'DOC1', sku: 'DOC-1' }],
    });
    const change = (
      await call('POST', '/api/v1/price-changes', '/api/v1/price-changes', {
        changes: [{ sku: 'DOC-1', store: 'DOC1', price: '3.50' }],
      })
    ).body;
    await call('GET', '/api/v1/products', '/api/v1/products?sku=DOC-1');
    const history = '/api/v1/products/{sku}/price-history';
    await call('GET', history, '/api/v1/products/DOC-1/price-history?store=DOC1');
    expect((await call('GET', history, '/api/v1/products/NOPE/price-history')).status).toBe(404);
    const badPage = await call('GET', '/api/v1/products', '/api/v1/products?limit=0');
    expect(badPage.status).toBe(400);
    expect(badPage.body.error.fields).toEqual({ limit: 'must be a whole number from 1 to 1000' });
    const badCursor = await call('GET', '/api/v1/products', '/api/v1/products?cursor=nope');
    expect(badCursor.body.error.fields).toEqual({ cursor: 'not a cursor of this list' });
    const first = await call('GET', '/api/v1/products', '/api/v1/products?limit=1');
    expect(first.body.products).toHaveLength(1);
    await call('GET', '/api/v1/labels', '/api/v1/labels?store=DOC1');
    await call('POST', '/api/v1/labels', '/api/v1/labels', {
      items: [{ labelId: 'ESL-DOC-0002', store: 'DOC1', sku: 'DOC-1' }],
    });
    await call('POST', '/api/v1/labels/move', '/api/v1/labels/move', {
      items: [{ labelId: 'ESL-DOC-0002', sku: null }],
    });
    expect(
      (await call('POST', '/api/v1/labels/move', '/api/v1/labels/move', { items: [{ labelId: 'ESL-NONE' }] }))
        .status,
    ).toBe(400);
    await call('POST', '/api/v1/labels/unbind', '/api/v1/labels/unbind', {
      items: [{ labelId: 'ESL-DOC-0002' }],
    });
    await call('GET', '/api/v1/tasks', '/api/v1/tasks?limit=1');
    await call('GET', '/api/v1/alerts', '/api/v1/alerts?state=open');
    expect((await call('GET', '/api/v1/alerts', '/api/v1/alerts?state=nope')).status).toBe(400);
    await call('GET', '/api/v1/audit', '/api/v1/audit?sku=DOC-1&limit=5');
    await call('GET', '/api/v1/audit/evidence', '/api/v1/audit/evidence?sku=DOC-1&store=DOC1');
    expect((await call('GET', '/api/v1/audit/evidence', '/api/v1/audit/evidence?sku=DOC-1')).status).toBe(
      400,
    );
    const id = change.taskIds[0] as string;
    await call('GET', '/api/v1/tasks/{id}', `/api/v1/tasks/${id}`);
    await call('GET', '/api/v1/tasks/{id}/items', `/api/v1/tasks/${id}/items`);
    expect((await call('GET', '/api/v1/tasks/{id}', '/api/v1/tasks/999999')).status).toBe(404);
    await call('POST', '/api/v1/tasks/{id}/cancel', `/api/v1/tasks/${id}/cancel`);
    expect((await call('POST', '/api/v1/tasks/{id}/cancel', `/api/v1/tasks/${id}/cancel`)).status).toBe(409);
    await call('POST', '/api/v1/tasks/{id}/retry', `/api/v1/tasks/${id}/retry`);

    await waitFor(
      'the AP listed',
      async () => (await call('GET', '/api/v1/aps', '/api/v1/aps')).body.aps.length,
    );
    await call('GET', '/api/v1/labels/mismatches', '/api/v1/labels/mismatches');
    const image = '/api/v1/labels/{labelId}/image';
    expect((await call('GET', image, '/api/v1/labels/ESL-DOC-0001/image')).status).toBe(200);
    expect((await call('GET', image, '/api/v1/labels/ESL-DOC-0001/image?at=tomorrow')).status).toBe(400);
    expect((await call('GET', image, '/api/v1/labels/ESL-DOC-NONE/image')).status).toBe(404);

    // label commands: no serving AP yet (failed at once), bad input, a v1 AP (refused), then one that takes them
    const cmds = '/api/v1/labels/{labelId}/commands';
    const cmdPath = '/api/v1/labels/ESL-DOC-0001/commands';
    expect((await call('POST', cmds, cmdPath, { command: 'flash' })).body.reason).toBe('no_serving_ap');
    expect((await call('POST', cmds, cmdPath, { command: 'flash', colour: 'purple' })).status).toBe(400);
    expect(
      (await call('POST', cmds, '/api/v1/labels/ESL-DOC-NONE/commands', { command: 'find' })).status,
    ).toBe(404);
    const report = (caps?: string[]) =>
      device!.publishAsync(
        'esl/status/GID_DOCS_1/AP0001',
        JSON.stringify({
          v: 1,
          type: 'status',
          ts: new Date().toISOString(),
          ...(caps ? { caps } : {}),
          labels: [{ labelId: 'ESL-DOC-0001' }],
        }),
        { qos: 1 },
      );
    await report();
    await waitFor(
      'refused for the v1 AP',
      async () => (await call('POST', cmds, cmdPath, { command: 'flash' })).status,
      {
        until: (st) => st === 409,
      },
    );
    await report(['led']);
    const sent = await waitFor(
      'queued for the AP',
      async () => (await call('POST', cmds, cmdPath, { command: 'find' })).body,
      {
        until: (b) => b.state === 'queued' || b.state === 'sent',
      },
    );
    await call('GET', cmds, cmdPath);
    await call('GET', '/api/v1/label-commands/{id}', `/api/v1/label-commands/${sent.id}`);
    expect((await call('GET', '/api/v1/label-commands/{id}', '/api/v1/label-commands/999999')).status).toBe(
      404,
    );
    const bulk = '/api/v1/products/{sku}/label-commands';
    expect(
      (await call('POST', bulk, '/api/v1/products/DOC-1/label-commands', { command: 'flash' })).body.total,
    ).toBe(1);
    expect(
      (await call('POST', bulk, '/api/v1/products/NOPE/label-commands', { command: 'flash' })).status,
    ).toBe(404);

    // webhooks: an endpoint that never answers (nothing listens on port 9), so its test event stays queued
    const hook = (
      await call('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
        name: 'docs',
        url: 'http://127.0.0.1:9/hook',
        events: ['task.completed'],
      })
    ).body;
    const hookPath = `/api/v1/webhooks/${hook.id}`;
    await call('GET', '/api/v1/webhooks', '/api/v1/webhooks');
    await call('GET', '/api/v1/webhooks/{id}', hookPath);
    await call('PATCH', '/api/v1/webhooks/{id}', hookPath, { name: 'docs 2' });
    await call('POST', '/api/v1/webhooks/{id}/test', `${hookPath}/test`);
    const deliveries = await waitFor(
      'the test delivery listed',
      async () => (await call('GET', '/api/v1/webhooks/{id}/deliveries', `${hookPath}/deliveries`)).body,
      { until: (b) => b.deliveries?.length > 0 },
    );
    await call(
      'POST',
      '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      `${hookPath}/deliveries/${deliveries.deliveries[0].id}/redeliver`,
    );
    await call('POST', '/api/v1/webhooks/{id}/rotate-secret', `${hookPath}/rotate-secret`);
    await call('POST', '/api/v1/webhooks/{id}/resume', `${hookPath}/resume`);
    await call('DELETE', '/api/v1/webhooks/{id}', hookPath);

    // every documented operation was exercised with at least one answer
    const exercised = new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
    const operations = Object.entries(doc.paths).flatMap(([route, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${route}`),
    );
    expect(operations.filter((o) => !exercised.has(o) && o !== 'GET /api/v1/openapi.json')).toEqual([]);
  });
});
