// Delivery of rendered images to image-capable APs over the platform's own broker
// (docs/ap-protocol-image.md): an AP that declares caps ["image/png"] receives each item's
// PNG (inline, or in chunks when a message would pass the size limit), keeps it, and echoes
// its hash; field-only APs of the same group keep working on v1 fields. An ack with a hash
// other than the rendered image's is a mismatch, not a confirmation.
import crypto from 'node:crypto';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { withTx } from '../../server/db/pool.js';
import { queryRows } from '../../server/db/query.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import { countMismatches } from '../../server/devices/mismatch-repo.js';
import { storesWithOldMismatches } from '../../server/alerts/alerts-repo.js';
import { SimAp } from '../../sim/sim-ap.js';
import { startBroker } from '../support/mqtt.js';
import { WebClient } from '../support/web-client.js';
import { seedStore, type SeededStore } from '../tasks/support/fixtures.js';
import { waitFor } from '../support/wait.js';
import { countsFor } from '../../server/tasks/task-query-repo.js';

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

async function setup(env: Record<string, string> = {}, products = 6) {
  const f = await startBroker({ TASK_RETRY_BASE_MS: '400', RENDER_INTERVAL_MS: '200', ...env });
  const queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
  const creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
  const aps: SimAp[] = [];
  closers.push(
    () => f.close(),
    () => queue.stop(),
    () => Promise.all(aps.map((a) => a.stop())),
  );
  const q = <T extends object = Record<string, unknown>>(sql: string, args: unknown[] = []) =>
    queryRows<T>(f.platform.ctx.pool, sql, args);
  const g = await f.newGroup();
  const s = await seedStore(f.platform.ctx.pool, { products, labelsPerProduct: 1, groupId: g.groupId });
  await q("UPDATE products SET name = CONCAT('可口可乐 汽水 ', id) WHERE id IN (?)", [s.productIds]);
  const ap = (k: number, labels: string[], caps?: string[]) => {
    const clientId = `${g.groupId}@@@AP${k}`;
    const a = new SimAp({
      url: f.url(),
      clientId,
      parentTopic: f.parent,
      statusIntervalMs: 60_000,
      username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
      password: hmacB64(g.secret, clientId),
      labels,
      caps,
    });
    aps.push(a);
    return a;
  };
  const change = async (store: SeededStore, productIds = store.productIds) => {
    const t = await withTx(f.platform.ctx.pool, async (c) => {
      await c.query('UPDATE prices SET price = price + 1 WHERE store_id = ? AND product_id IN (?)', [
        store.storeId,
        productIds,
      ]);
      return creator.createInTx(
        c,
        { name: 'erp', role: 'api' },
        productIds.map((productId) => ({ storeId: store.storeId, productId })),
        { source: 'api' },
      );
    });
    await creator.enqueue(t!.taskId);
    return t!.taskId;
  };
  const admin = new WebClient(f.platform.baseUrl);
  await admin.login('admin', f.platform.adminPassword);
  const apiImage = async (labelId: string) => {
    const r = await admin.request('GET', `/api/v1/labels/${labelId}/image`, {
      headers: { accept: 'image/png' },
    });
    expect(r.status).toBe(200);
    return r.headers.get('x-image-hash');
  };
  return { f, g, s, q, ap, change, apiImage, admin, pool: f.platform.ctx.pool };
}

/** A hand-driven AP (a plain MQTT client signed in with the group's AccessKey), closed after the file. */
async function handAp(
  f: Awaited<ReturnType<typeof setup>>['f'],
  g: Awaited<ReturnType<typeof setup>>['g'],
  clientId: string,
) {
  const c = await mqtt.connectAsync(f.url(), {
    clientId,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
    reconnectPeriod: 0,
    clean: true,
  });
  closers.push(() => c.endAsync());
  return c;
}

/** A task message as a hand-driven AP reads it (the fields these tests look at). */
interface HandTaskMessage {
  msgId: string;
  items: {
    itemId: string;
    labelId: string;
    contentHash: string;
    image?: { hash: string; data?: string; width: number };
  }[];
}

/**
 * A hand-driven image-capable AP (`<group>@@@HAND`): its task messages gathered in `got`, and
 * these labels reported with the `image/png` capability, once the platform has its caps.
 */
async function handImageAp(ctx: Awaited<ReturnType<typeof setup>>, labels: Record<string, unknown>[]) {
  const { f, g, s, q } = ctx;
  const clientId = `${s.groupId}@@@HAND`;
  const c = await handAp(f, g, clientId);
  const got: HandTaskMessage[] = [];
  c.on('message', (_t, p) => {
    const m = JSON.parse(p.toString());
    if (m.type === 'price.update') got.push(m);
  });
  await c.subscribeAsync(`${f.parent}/task/${s.groupId}`, { qos: 1 });
  await c.publishAsync(
    `${f.parent}/status/${s.groupId}/HAND`,
    JSON.stringify({ v: 1, type: 'status', ts: new Date().toISOString(), caps: ['image/png'], labels }),
    { qos: 1 },
  );
  await waitFor('caps', () => q('SELECT caps FROM aps WHERE client_id = ?', [clientId]), {
    until: (r) => r.length === 1 && r[0].caps !== null,
    timeoutMs: 30_000,
  });
  return { c, got, clientId };
}

describe('images for image-capable APs', () => {
  it('an image AP keeps and echoes each label image, a field-only AP of the same group its fields', async () => {
    const { s, q, ap, change, apiImage, admin, pool } = await setup();
    const images = ap(0, s.labelIds.slice(0, 3), ['image/png']);
    const fields = ap(1, s.labelIds.slice(3));
    await images.start();
    await fields.start();
    await waitFor('caps recorded', () => q('SELECT caps FROM aps WHERE caps IS NOT NULL'), {
      until: (r) => r.length === 1,
      timeoutMs: 30_000,
    });
    const taskId = await change(s);
    await waitFor(
      'task completed',
      () => q<{ state: string }>('SELECT state FROM tasks WHERE id = ?', [taskId]),
      { until: (r) => r[0].state === 'completed', timeoutMs: 60_000 },
    );
    const items = await q<{
      label_id: string;
      content_hash: string;
      image_hash: string | null;
      confirmed_by: string;
    }>(
      `SELECT ti.label_id, ti.content_hash, i.image_hash, ti.confirmed_by FROM task_items ti
         LEFT JOIN task_item_images i ON i.item_id = ti.id WHERE ti.task_id = ? ORDER BY ti.label_id`,
      [taskId],
    );
    expect(items).toHaveLength(6);
    for (const it of items) {
      const labels = await q<{ displayed_hash: string }>(
        'SELECT displayed_hash FROM labels WHERE label_id = ?',
        [it.label_id],
      );
      if (images.displayed.has(it.label_id)) {
        const png = images.images.get(it.label_id)!;
        expect(sha(png)).toBe(it.image_hash);
        expect(images.displayed.get(it.label_id)).toBe(it.image_hash);
        expect(png.readUInt32BE(16)).toBe(296);
        // what the AP shows is what the API says the label must show now
        expect(await apiImage(it.label_id)).toBe(it.image_hash);
        expect(labels[0].displayed_hash).toBe(it.image_hash);
      } else {
        expect(fields.displayed.get(it.label_id)).toBe(it.content_hash);
        expect(fields.images.size).toBe(0);
        expect(labels[0].displayed_hash).toBe(it.content_hash);
      }
    }
    // both APs report what they show: nothing is a mismatch
    await images.reportStatus();
    await fields.reportStatus();
    await waitFor(
      'status applied',
      () =>
        q<{ n: string }>(
          'SELECT COUNT(*) AS n FROM labels WHERE last_status_at IS NOT NULL AND last_status_at > last_confirmed_at',
        ),
      { until: (r) => Number(r[0].n) === 6, timeoutMs: 30_000 },
    );
    expect(await countMismatches(pool)).toBe(0);
    expect(await q("SELECT * FROM audit_log WHERE action = 'label.mismatch'")).toHaveLength(0);
    // the cockpit agrees: no alert for the store, and the health page has every label current
    expect(await storesWithOldMismatches(pool, 0)).toEqual([]);
    const health = await admin.get(`/health/labels?store=${s.storeId}`);
    expect(health.status).toBe(200);
    expect(health.text.match(/current price/g)).toHaveLength(6);
    expect(health.text).not.toContain('not the current price');
  });

  it('sends an image larger than a message in chunks that each stay under the limit', async () => {
    // 2,500-byte messages: a label's PNG (about 3 KB here, 4 KB in base64) no longer fits inline
    const { s, q, ap, change, apiImage, f } = await setup({ MQTT_MAX_PAYLOAD_BYTES: '2500' });
    const images = ap(0, s.labelIds, ['image/png']);
    await images.start();
    await waitFor('caps recorded', () => q('SELECT caps FROM aps WHERE caps IS NOT NULL'), {
      until: (r) => r.length === 1,
      timeoutMs: 30_000,
    });
    // a listener on the group topic sees what the APs see
    const seen: { type: string; bytes: number; chunks?: number }[] = [];
    const clientId = `${s.groupId}@@@SPY`;
    const g = await f.registry.issueAccessKey({ name: 'test', role: 'system' }, { groupIds: [s.groupId] });
    const spy = await mqtt.connectAsync(f.url(), {
      clientId,
      username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
      password: hmacB64(g.accessKeySecret, clientId),
      reconnectPeriod: 0,
    });
    closers.push(() => spy.endAsync());
    spy.on('message', (_t, payload) => {
      const m = JSON.parse(payload.toString());
      seen.push({ type: m.type, bytes: payload.length, chunks: m.items?.[0]?.image?.chunks });
    });
    await spy.subscribeAsync(`${f.parent}/task/${s.groupId}`, { qos: 1 });
    const taskId = await change(s);
    await waitFor(
      'task completed',
      () => q<{ state: string }>('SELECT state FROM tasks WHERE id = ?', [taskId]),
      { until: (r) => r[0].state === 'completed', timeoutMs: 60_000 },
    );
    await waitFor('messages seen', async () => seen.filter((m) => m.type === 'price.update').length, {
      until: (n) => n >= 1,
      timeoutMs: 10_000,
    });
    expect(
      seen.some((m) => m.type === 'image.chunk'),
      JSON.stringify(seen),
    ).toBe(true);
    expect(seen.filter((m) => m.type === 'price.update').every((m) => (m.chunks ?? 0) >= 2)).toBe(true);
    expect(Math.max(...seen.map((m) => m.bytes))).toBeLessThanOrEqual(2500);
    for (const labelId of s.labelIds) {
      const png = images.images.get(labelId)!;
      expect(sha(png)).toBe(images.displayed.get(labelId));
      expect(await apiImage(labelId)).toBe(sha(png));
    }
  });

  it('a dispatch round of an image group draws and packs what its window carries, not a window of field-only messages', async () => {
    // one message in flight per group, no retry and no render worker during the test: what is
    // drawn is what the first round drew on demand
    const ctx = await setup(
      { TASK_GROUP_INFLIGHT: '1', TASK_RETRY_BASE_MS: '600000', RENDER_INTERVAL_MS: '600000' },
      40,
    );
    const { s, q, change, f } = ctx;
    const { got } = await handImageAp(
      ctx,
      s.labelIds.map((labelId) => ({ labelId })),
    );
    const taskId = await change(s);
    const msg = await waitFor('task message', async () => got[0], { until: (m) => !!m, timeoutMs: 30_000 });
    // the message is full of images (at most 64 KB), and the round drew about as many as it sent
    expect(msg.items.length).toBeGreaterThan(1);
    expect(msg.items.every((i) => i.image?.data)).toBe(true);
    const [drawn] = await q<{ n: string }>('SELECT COUNT(*) AS n FROM task_item_images WHERE task_id = ?', [
      taskId,
    ]);
    expect(Number(drawn.n)).toBeLessThanOrEqual(2 * msg.items.length);
    // in flight, as the task page and the API count them (in-flight state is per task message)
    const counts = (await countsFor(f.platform.ctx.pool, [String(taskId)])).get(String(taskId)) ?? {};
    expect(counts.sent).toBe(msg.items.length);
  });

  it('counts an ack with a hash other than the rendered image as a mismatch, not a confirmation', async () => {
    const ctx = await setup();
    const { s, q, change, f } = ctx;
    // a hand-driven image-capable AP serving one label
    const label = s.labelIds[0];
    // the AP knows its labels' hardware: a 4.2" panel, and one model the platform does not know
    const { c, got } = await handImageAp(ctx, [
      { labelId: label, model: 'bwy-420' },
      { labelId: s.labelIds[1], model: 'no-such-model' },
    ]);
    const models = await q<{ label_id: string; model_code: string }>(
      'SELECT label_id, model_code FROM labels WHERE label_id IN (?) ORDER BY label_id',
      [[label, s.labelIds[1]]],
    );
    expect(Object.fromEntries(models.map((m) => [m.label_id, m.model_code]))).toEqual({
      [label]: 'bwy-420',
      [s.labelIds[1]]: 'bwr-290',
    });
    expect(await q("SELECT * FROM audit_log WHERE action = 'label.model_reported'")).toHaveLength(1);
    const taskId = await change(s, [s.productIds[0]]);
    const msg = await waitFor(
      'task message',
      async () => got.find((m) => m.items.some((i) => i.labelId === label)),
      { until: (m) => !!m, timeoutMs: 30_000 },
    );
    const item = msg!.items.find((i) => i.labelId === label)!;
    expect(item.image?.data).toBeTruthy();
    const png = Buffer.from(item.image!.data!, 'base64');
    expect(sha(png)).toBe(item.image!.hash);
    // drawn for the model the AP reported
    expect([png.readUInt32BE(16), png.readUInt32BE(20), item.image!.width]).toEqual([400, 300, 400]);
    const ack = (hash: string) =>
      c.publishAsync(
        `${f.parent}/ack/${s.groupId}/HAND`,
        JSON.stringify({
          v: 1,
          type: 'price.ack',
          msgId: msg!.msgId,
          results: [{ itemId: item.itemId, labelId: label, status: 'ok', contentHash: hash }],
        }),
        { qos: 1 },
      );
    // the v1 content hash from an image-capable AP: it does not show the image it was sent
    await ack(item.contentHash);
    const failed = await waitFor(
      'mismatch',
      () =>
        q<{ state: string; error: string | null }>('SELECT state, error FROM task_items WHERE id = ?', [
          item.itemId,
        ]),
      { until: (r) => r[0].state === 'failed', timeoutMs: 30_000 },
    );
    expect(failed[0].error).toMatch(/hash_mismatch/);
    await ack(item.image!.hash);
    await waitFor(
      'confirmed with the image hash',
      () => q<{ state: string }>('SELECT state FROM task_items WHERE id = ?', [item.itemId]),
      { until: (r) => r[0].state === 'confirmed', timeoutMs: 30_000 },
    );
    // the task completes once its last item is confirmed (the finisher runs after the ack batch)
    await waitFor(
      'task completed',
      () => q<{ state: string }>('SELECT state FROM tasks WHERE id = ?', [taskId]),
      { until: (r) => r[0].state === 'completed', timeoutMs: 30_000 },
    );
  });
});
