// Idempotency-Key on /api/v1 POSTs: a replay within 24 h returns the original status and body
// and does no work; the same key for another request is 422; concurrent duplicates run once;
// keys are per API key; an expired key is a new request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  q,
  signedIn,
  startCatalogPlatform,
} from '../catalog/support/fixtures.js';

let p: TestPlatform;
let admin: WebClient;
let keyA: string;
let keyB: string;

async function issueKey(name: string) {
  const r = await admin.post('/admin/api-keys', { name, scopes: 'prices:write' }, '/admin/api-keys');
  return /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
}
async function post(path: string, body: unknown, headers: Record<string, string>, key = keyA) {
  const res = await fetch(p.baseUrl + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
const count = async (sql: string) => Number((await q<{ n: string }>(p, sql))[0].n);
const tasks = () => count('SELECT COUNT(*) AS n FROM tasks');
const audits = () =>
  count("SELECT COUNT(*) AS n FROM audit_log WHERE action IN ('price.changed', 'task.created')");
const change = (price: string) => ({ changes: [{ sku: 'IDEM-1', store: 'I1', price }] });

beforeAll(async () => {
  p = await startCatalogPlatform();
  admin = await signedIn(p, 'admin');
  const store = await makeStore(p, admin, 'I1');
  await makeProduct(admin, 'IDEM-1', 'Tea 500ml');
  await makeLabels(admin, store, 'IDEM-1', ['IL-1', 'IL-2']);
  keyA = await issueKey('erp-a');
  keyB = await issueKey('erp-b');
});
afterAll(async () => {
  await p?.close();
});

describe('Idempotency-Key', () => {
  it('replays POST /api/v1/price-changes: same status, body and taskIds, and no new task', async () => {
    const headers = { 'idempotency-key': 'pc-0001' };
    const first = await post('/api/v1/price-changes', change('10.10'), headers);
    expect(first.status, first.text).toBe(201);
    const body = JSON.parse(first.text);
    expect(body.taskIds).toHaveLength(1);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const [t, a] = [await tasks(), await audits()];

    // Another change in between, so a re-run would be visible in the prices too.
    expect((await post('/api/v1/price-changes', change('10.20'), {})).status).toBe(201);
    const [t2, a2] = [await tasks(), await audits()];
    expect(t2).toBe(t + 1);

    for (let i = 0; i < 3; i++) {
      const again = await post('/api/v1/price-changes', change('10.10'), headers);
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(JSON.parse(again.text).taskIds).toEqual(body.taskIds);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(await tasks()).toBe(t2);
    expect(await audits()).toBe(a2);
    expect(a2).toBeGreaterThan(a);
    const [price] = await q<{ price: string }>(
      p,
      "SELECT p.price FROM prices p JOIN products pr ON pr.id = p.product_id WHERE pr.sku = 'IDEM-1'",
    );
    expect(price.price).toBe('10.20');
  });

  it('matches the body whatever the order of its fields', async () => {
    const headers = { 'idempotency-key': 'pc-order' };
    const first = await post(
      '/api/v1/price-changes',
      { note: 'n', changes: [{ sku: 'IDEM-1', store: 'I1', price: '11.00' }] },
      headers,
    );
    expect(first.status).toBe(201);
    const n = await tasks();
    const again = await post(
      '/api/v1/price-changes',
      { changes: [{ price: '11.00', store: 'I1', sku: 'IDEM-1' }], note: 'n' },
      headers,
    );
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(await tasks()).toBe(n);
  });

  it('refuses the same key with a different body with 422, and does nothing', async () => {
    const headers = { 'idempotency-key': 'pc-0002' };
    expect((await post('/api/v1/price-changes', change('12.00'), headers)).status).toBe(201);
    const n = await tasks();
    const other = await post('/api/v1/price-changes', change('12.50'), headers);
    expect(other.status).toBe(422);
    expect(JSON.parse(other.text).error.code).toBe('idempotency_key_reused');
    expect(await tasks()).toBe(n);
  });

  it('keeps keys per API key: the same key string from another key is a new request', async () => {
    const headers = { 'idempotency-key': 'pc-shared' };
    const n = await tasks();
    const a = await post('/api/v1/price-changes', change('13.00'), headers, keyA);
    const b = await post('/api/v1/price-changes', change('13.00'), headers, keyB);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(JSON.parse(a.text).taskIds).not.toEqual(JSON.parse(b.text).taskIds);
    expect(await tasks()).toBe(n + 2);
  });

  it('runs concurrent duplicates once: the others get the same answer or 409', async () => {
    const headers = { 'idempotency-key': 'pc-race' };
    const n = await tasks();
    const all = await Promise.all(
      Array.from({ length: 8 }, () => post('/api/v1/price-changes', change('14.00'), headers)),
    );
    const ok = all.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of all) expect([201, 409]).toContain(r.status);
    expect(new Set(ok.map((r) => r.text)).size).toBe(1);
    expect(await tasks()).toBe(n + 1);
  });

  it('stores a refusal of the request itself (400) and replays it', async () => {
    const bad = { changes: [{ sku: 'IDEM-1', store: 'I1', price: '-1' }] };
    const first = await post('/api/v1/price-changes', bad, { 'idempotency-key': 'pc-bad' });
    expect(first.status).toBe(400);
    const again = await post('/api/v1/price-changes', bad, { 'idempotency-key': 'pc-bad' });
    expect(again.status).toBe(400);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const rows = await q<{ n: string }>(
      p,
      "SELECT COUNT(*) AS n FROM idempotency_keys WHERE idem_key = 'pc-bad' AND state = 'done'",
    );
    expect(Number(rows[0].n)).toBe(1);
  });

  it('treats a key older than 24 hours as new', async () => {
    const headers = { 'idempotency-key': 'pc-old' };
    const first = await post('/api/v1/price-changes', change('15.00'), headers);
    expect(first.status).toBe(201);
    await p.ctx.pool.query(
      "UPDATE idempotency_keys SET expires_at = NOW(3) - INTERVAL 1 SECOND WHERE idem_key = 'pc-old'",
    );
    const n = await tasks();
    const again = await post('/api/v1/price-changes', change('15.00'), headers);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(JSON.parse(again.text).taskIds).not.toEqual(JSON.parse(first.text).taskIds);
    expect(await tasks()).toBe(n + 1);
  });

  it('covers every POST under /api/v1: a replayed store creation answers 201 again, not "exists"', async () => {
    const r = await admin.post('/admin/api-keys', { name: 'installer', scopes: 'admin' }, '/admin/api-keys');
    const adminKey = /data-testid="issued-key">([^<]+)</.exec(r.text)![1];
    const body = { code: 'IDEM-S', name: 'Replayed', timeZone: 'Asia/Shanghai' };
    const headers = { 'idempotency-key': 'store-0001' };
    const first = await post('/api/v1/stores', body, headers, adminKey);
    expect(first.status, first.text).toBe(201);
    const again = await post('/api/v1/stores', body, headers, adminKey);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    const plain = await post('/api/v1/stores', body, {}, adminKey);
    expect(plain.status).toBe(400);
    expect(await count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'store.created'")).toBe(2);
  });

  it('refuses a malformed key with 400', async () => {
    const long = await post('/api/v1/price-changes', change('16.00'), { 'idempotency-key': 'x'.repeat(256) });
    expect(long.status).toBe(400);
    expect(JSON.parse(long.text).error.fields['Idempotency-Key']).toMatch(/visible ASCII/);
  });
});
