import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.js';
import { withTx, type Pool } from '../../server/db/pool.js';
import { contentHash } from '../../server/tasks/content-hash.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { seedStore } from './support/fixtures.js';
import { migratedDatabase } from '../support/env.js';
import { execute, queryRows } from '../../server/db/query.js';

const actor = { name: 'op1', role: 'operator' as const, requestId: 'req-12345678' };
let pool: Pool;
let drop: () => Promise<void>;
const enqueued: string[] = [];
let creator: TaskCreator;

beforeAll(async () => {
  ({ pool, drop } = await migratedDatabase());
  const config = loadConfig({ NODE_ENV: 'test', TASK_DEFAULT_DEADLINE_SECONDS: '600' });
  creator = new TaskCreator(pool, config, async (id) => {
    enqueued.push(id);
  });
});
afterAll(async () => {
  await drop?.();
});

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) => queryRows<Row>(pool, sql, args);

describe('TaskCreator', () => {
  it('writes one item per affected label with the effective price, a hash JS agrees with, and the audit record', async () => {
    const s = await seedStore(pool, { products: 3, labelsPerProduct: 2, price: '3.50' });
    const [p0, p1, p2] = s.productIds;
    // p1: promotion in force; p2: promotion that has not started yet.
    await execute(
      pool,
      "UPDATE prices SET promo_price = '2.99', promo_from = NOW(3) - INTERVAL 1 HOUR, promo_to = NOW(3) + INTERVAL 1 HOUR WHERE product_id = ?",
      [p1],
    );
    await execute(
      pool,
      "UPDATE prices SET promo_price = '1.99', promo_from = NOW(3) + INTERVAL 1 HOUR WHERE product_id = ?",
      [p2],
    );
    const t = await withTx(pool, (c) =>
      creator.createInTx(
        c,
        actor,
        [
          { storeId: s.storeId, productId: p0 },
          { storeId: s.storeId, productId: p1 },
          { storeId: s.storeId, productId: p2 },
          { storeId: s.storeId, productId: p0 },
        ],
        { source: 'ui', note: 'test' },
      ),
    );
    expect(t).not.toBeNull();
    expect(t!.items).toBe(6);
    const items = await q('SELECT * FROM task_items WHERE task_id = ? ORDER BY label_id', [t!.taskId]);
    expect(items).toHaveLength(6);
    for (const it of items) {
      expect(it.state).toBe('pending');
      expect(it.group_id).toBe(s.groupId);
      const promo = it.product_id === p1 ? '2.99' : null;
      expect(it.price).toBe('3.50');
      expect(it.promo_price).toBe(promo);
      expect(it.content_hash).toBe(
        contentHash({
          sku: String(it.sku),
          name: String(it.name),
          price: '3.50',
          promoPrice: promo,
          currency: 'CNY',
        }),
      );
    }
    const [task] = await q(
      'SELECT state, source, created_by, request_id, TIMESTAMPDIFF(SECOND, created_at, deadline_at) AS secs FROM tasks WHERE id = ?',
      [t!.taskId],
    );
    expect(task).toMatchObject({
      state: 'queued',
      source: 'ui',
      created_by: 'op1',
      request_id: 'req-12345678',
    });
    expect(Number(task.secs)).toBe(600);
    const audit = await q(
      "SELECT actor, refs, after_json FROM audit_log WHERE action = 'task.created' AND object_id = ?",
      [t!.taskId],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0].actor).toBe('op1');
    expect(audit[0].refs).toContain(`task:${t!.taskId} `);
    expect(JSON.parse(String(audit[0].after_json)).items).toBe(6);
    expect(enqueued).not.toContain(t!.taskId);
    await creator.enqueue(t!.taskId);
    expect(enqueued).toContain(t!.taskId);
  });

  it('returns null and leaves no task when no label shows the product', async () => {
    const s = await seedStore(pool, { products: 1, labelsPerProduct: 0 });
    const before = await q('SELECT COUNT(*) AS n FROM tasks');
    const t = await withTx(pool, (c) =>
      creator.createInTx(c, actor, [{ storeId: s.storeId, productId: s.productIds[0] }], { source: 'api' }),
    );
    expect(t).toBeNull();
    expect(await q('SELECT COUNT(*) AS n FROM tasks')).toEqual(before);
  });

  it('leaves nothing behind when the caller rolls back', async () => {
    const s = await seedStore(pool, { products: 1, labelsPerProduct: 3 });
    let id = '';
    await expect(
      withTx(pool, async (c) => {
        id = (await creator.createInTx(c, actor, [{ storeId: s.storeId, productId: s.productIds[0] }], {
          source: 'api',
        }))!.taskId;
        throw new Error('caller failed after creating the task');
      }),
    ).rejects.toThrow('caller failed');
    expect(await q('SELECT id FROM tasks WHERE id = ?', [id])).toHaveLength(0);
    expect(await q('SELECT id FROM task_items WHERE task_id = ?', [id])).toHaveLength(0);
    expect(
      await q("SELECT id FROM audit_log WHERE action = 'task.created' AND object_id = ?", [id]),
    ).toHaveLength(0);
  });

  it('cancels older open items of the same labels, so a stale price is never retried onto the shelf', async () => {
    const s = await seedStore(pool, { products: 2, labelsPerProduct: 1 });
    const target = [{ storeId: s.storeId, productId: s.productIds[0] }];
    const first = await withTx(pool, (c) =>
      creator.createInTx(c, actor, [...target, { storeId: s.storeId, productId: s.productIds[1] }], {
        source: 'ui',
      }),
    );
    const second = await withTx(pool, (c) => creator.createInTx(c, actor, target, { source: 'ui' }));
    const old = await q('SELECT label_id, state, error FROM task_items WHERE task_id = ? ORDER BY label_id', [
      first!.taskId,
    ]);
    expect(old.find((r) => r.label_id === s.labelIds[0])).toMatchObject({
      state: 'cancelled',
      error: `superseded by task ${second!.taskId}`,
    });
    expect(old.find((r) => r.label_id === s.labelIds[1])).toMatchObject({ state: 'pending' });
  });

  it('refuses malformed targets and deadlines with a clear error', async () => {
    await expect(
      withTx(pool, (c) => creator.createInTx(c, actor, [{ storeId: 0, productId: 1 }], { source: 'ui' })),
    ).rejects.toThrow(/positive integer storeId/);
    const s = await seedStore(pool, { products: 1, labelsPerProduct: 1 });
    await expect(
      withTx(pool, (c) =>
        creator.createInTx(c, actor, [{ storeId: s.storeId, productId: s.productIds[0] }], {
          source: 'ui',
          deadlineSeconds: -5,
        }),
      ),
    ).rejects.toThrow(/deadline/);
  });

  it('creates 20,000 items with INSERT ... SELECT in one call', async () => {
    const s = await seedStore(pool, { products: 2000, labelsPerProduct: 10 });
    const t = await withTx(pool, (c) =>
      creator.createInTx(
        c,
        actor,
        s.productIds.map((productId) => ({ storeId: s.storeId, productId })),
        { source: 'import' },
      ),
    );
    expect(t!.items).toBe(20_000);
    const [n] = await q('SELECT COUNT(DISTINCT label_id) AS n FROM task_items WHERE task_id = ?', [
      t!.taskId,
    ]);
    expect(Number(n.n)).toBe(20_000);
  });
});
