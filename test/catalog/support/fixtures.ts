// Shared set-up for the catalog tests: a platform, signed-in users of each role, and a
// small catalog built through the UI (only the broker's Group ID registry is seeded by SQL).
import { expect } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../../support/platform.js';
import { WebClient } from '../../support/web-client.js';
import { uid } from '../../support/env.js';
import { execute, queryRows } from '../../../server/db/query.js';

export const PASSWORD = 'a-long-password-123';

export async function startCatalogPlatform(env: Record<string, string> = {}) {
  return startTestPlatform({ CATALOG_SCHEDULE_INTERVAL_MS: '100', ...env });
}

export async function signedIn(p: TestPlatform, role: 'admin' | 'operator' | 'auditor') {
  const admin = new WebClient(p.baseUrl);
  await admin.login('admin', p.adminPassword);
  if (role === 'admin') return admin;
  const username = `${role}-${uid(3)}`;
  const r = await admin.createUser({ username, role, password: PASSWORD });
  expect(r.status).toBe(200);
  const c = new WebClient(p.baseUrl);
  await c.login(username, PASSWORD);
  return c;
}

export const q = <T extends object = Record<string, unknown>>(
  p: TestPlatform,
  sql: string,
  args: unknown[] = [],
) => queryRows<T>(p.ctx.pool, sql, args);

/** A store with one Group ID, created the way an admin would. Returns ids. */
export async function makeStore(p: TestPlatform, admin: WebClient, code: string) {
  const group = `GID_${code}_${uid(2)}`;
  await execute(p.ctx.pool, 'INSERT INTO mqtt_groups (group_id) VALUES (?)', [group]);
  const r = await admin.post(
    '/catalog/stores',
    { code, name: `Store ${code}`, timezone: 'Asia/Shanghai', currency: 'CNY' },
    '/catalog/stores',
  );
  expect(r.status, r.text.slice(0, 300)).toBe(302);
  const id = Number(/\/catalog\/stores\/(\d+)/.exec(r.location!)![1]);
  const g = await admin.post(`/catalog/stores/${id}/groups`, { groupId: group }, `/catalog/stores/${id}`);
  expect(g.status).toBe(302);
  return { id, code, group };
}

export async function makeProduct(admin: WebClient, sku: string, name = `Product ${sku}`) {
  const r = await admin.post(
    '/catalog/products',
    { sku, name, unit: 'pcs', currency: 'CNY' },
    '/catalog/products',
  );
  expect(r.status, r.text.slice(0, 300)).toBe(302);
  return Number(/\/catalog\/products\/(\d+)/.exec(r.location!)![1]);
}

/** Labels created and bound to the SKU through the labels page. */
export async function makeLabels(
  admin: WebClient,
  store: { id: number; group: string },
  sku: string,
  ids: string[],
) {
  const r = await admin.post(
    '/catalog/labels',
    { group: `${store.id}|${store.group}`, labelIds: ids.join('\n') },
    '/catalog/labels',
  );
  expect(r.status, r.text.slice(0, 300)).toBe(302);
  for (const labelId of ids) {
    const b = await admin.post('/catalog/labels/bind', { labelId, sku }, '/catalog/labels');
    expect(b.status).toBe(302);
  }
}

export async function setPrice(admin: WebClient, productId: number, form: Record<string, string>) {
  return admin.post(`/catalog/products/${productId}/prices`, form, `/catalog/products/${productId}`);
}
