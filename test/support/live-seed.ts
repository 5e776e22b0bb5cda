// Real data on every operations page, for the tests that visit every page (the language crawl,
// the phone-width and accessibility checks): a store in another zone than the readers', its AP
// (a simulated one, connected), a confirmed task, an open alert, a webhook endpoint with a
// delivery, a CSV import, a template. Names are codes, so neither language's check trips on data.
import { expect } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { SimAp } from '../../sim/sim-ap.js';
import { makeProduct, makeStore, q, setPrice } from '../catalog/support/fixtures.js';
import { seedStore } from '../tasks/support/fixtures.js';
import type { BrokerFixture } from './mqtt.js';
import { waitFor } from './wait.js';
import type { WebClient } from './web-client.js';

export interface LiveData {
  storeId: number;
  productId: number;
  labelId: string;
  clientId: string;
  taskId: string;
  endpointId: number;
  deliveryUid: string;
  importPath: string;
  templateId: number;
  templateModel: string;
  auditId: number;
  ap: SimAp;
}

export async function seedLiveData(
  f: BrokerFixture,
  clients: { admin: WebClient; operator: WebClient },
): Promise<LiveData> {
  const p = f.platform;
  const admin = clients.admin;
  const g = await f.newGroup();
  const store = await seedStore(p.ctx.pool, { products: 2, labelsPerProduct: 2, groupId: g.groupId });
  const [{ code }] = await q<{ code: string }>(p, 'SELECT code FROM stores WHERE id = ?', [store.storeId]);
  for (const [i, id] of store.productIds.entries())
    await q(p, 'UPDATE products SET name = ? WHERE id = ?', [`P-${i + 1}`, id]);
  const zone = await admin.post(
    `/catalog/stores/${store.storeId}`,
    { name: code, timezone: 'Europe/Berlin', currency: 'CNY' },
    `/catalog/stores/${store.storeId}`,
  );
  expect(zone.status).toBe(302);
  const clientId = `${g.groupId}@@@AP1`;
  const ap = new SimAp({
    url: f.url(),
    clientId,
    parentTopic: f.parent,
    statusIntervalMs: 500,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
    labels: store.labelIds,
  });
  await ap.start();
  await waitFor(
    'labels reported by the AP',
    () => q(p, 'SELECT COUNT(*) AS n FROM labels WHERE last_ap_client_id = ?', [clientId]),
    { until: (r) => Number((r[0] as { n: number }).n) === store.labelIds.length, timeoutMs: 30_000 },
  );
  // 1.00 to 4.20 is a large change: the operator confirms it (server/catalog/price-sanity.ts)
  const price = await setPrice(clients.operator, store.productIds[0], {
    price: '4.20',
    stores: code,
    confirm: '1',
  });
  expect(price.status, price.text.slice(0, 300)).toBe(302);
  const [task] = await waitFor(
    'the price change confirmed',
    () => q<{ id: string; state: string }>(p, 'SELECT id, state FROM tasks ORDER BY id DESC LIMIT 1'),
    { until: (r) => r[0]?.state === 'completed', timeoutMs: 30_000 },
  );
  // A label command the AP (which declares no caps) cannot take: refused, with its reason shown.
  const cmd = await clients.operator.post(
    `/catalog/labels/${encodeURIComponent(store.labelIds[0])}/commands`,
    { command: 'flash' },
    `/catalog/labels/${encodeURIComponent(store.labelIds[0])}`,
  );
  expect(cmd.status).toBe(302);
  // An alert: every label's battery reads below this threshold.
  const rules = await admin.post(
    '/alerts/rules',
    {
      ap_offline_minutes: '5',
      battery_below_mv: '5000',
      battery_below_mv_on: '1',
      task_will_miss_labels: '1',
      mismatch_minutes: '30',
      failure_rate_percent: '50',
    },
    '/alerts/rules',
  );
  expect(rules.status).toBe(302);
  await waitFor('an alert opened', () => q(p, "SELECT id FROM alerts WHERE kind = 'battery_below_mv'"), {
    until: (r) => r.length > 0,
    timeoutMs: 30_000,
  });
  // A webhook endpoint (a receiver that is not there) with a test delivery.
  const hook = await admin.post(
    '/admin/webhooks',
    { name: 'ERP', url: 'http://127.0.0.1:9/esl-hooks', events: 'task.completed' },
    '/admin/webhooks',
  );
  expect(hook.status).toBe(201);
  const [endpoint] = await q<{ id: number }>(p, 'SELECT id FROM webhook_endpoints ORDER BY id DESC LIMIT 1');
  const test = await admin.post(`/admin/webhooks/${endpoint.id}/test`, {}, `/admin/webhooks/${endpoint.id}`);
  expect(test.status).toBe(302);
  const [delivery] = await waitFor(
    'a test delivery',
    () =>
      q<{ uid: string }>(
        p,
        'SELECT uid FROM webhook_deliveries WHERE endpoint_id = ? ORDER BY id DESC LIMIT 1',
        [endpoint.id],
      ),
    { until: (r) => r.length > 0, timeoutMs: 30_000 },
  );
  await makeProduct(clients.operator, 'LANG-1', 'P-LANG-1');
  await makeStore(p, admin, 'L1');
  const imp = await clients.operator.post(
    '/catalog/imports',
    { csv: 'sku,store,price\nLANG-1,L1,3.50\n' },
    '/catalog/imports',
  );
  expect(imp.status).toBe(302);
  const editor = await admin.get('/render/templates/new?model=bwr-290');
  const body = /<textarea[^>]*>([\s\S]*?)<\/textarea>/
    .exec(editor.text)![1]
    .replace(/&#34;/g, '"')
    .replace(/&amp;/g, '&');
  const saved = await admin.post(
    '/render/templates',
    { model: 'bwr-290', name: 'T-1', body },
    '/render/templates/new?model=bwr-290',
  );
  expect(saved.status, saved.text.slice(0, 300)).toBe(302);
  const [audit] = await q<{ id: number }>(
    p,
    "SELECT id FROM audit_log WHERE action LIKE 'price%' ORDER BY id DESC LIMIT 1",
  );
  return {
    storeId: store.storeId,
    productId: store.productIds[0],
    labelId: store.labelIds[0],
    clientId,
    taskId: String(task.id),
    endpointId: Number(endpoint.id),
    deliveryUid: delivery.uid,
    importPath: imp.location!,
    templateId: Number(/\/render\/templates\/(\d+)/.exec(saved.location!)![1]),
    templateModel: 'bwr-290',
    auditId: Number(audit?.id ?? 0),
    ap,
  };
}
