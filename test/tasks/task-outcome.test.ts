// A task's outcome, written in the transaction that ends it (server/tasks/task-state-repo.ts):
// per store and for the whole task, whatever the clocks of the broker and the database say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTx } from '../../server/db/pool.js';
import { execute, queryRows, querySingle } from '../../server/db/query.js';
import { finishTask } from '../../server/tasks/task-state-repo.js';
import { migratedDatabase } from '../support/env.js';
import { seedStore } from './support/fixtures.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;

beforeAll(async () => {
  db = await migratedDatabase();
}, 120_000);
afterAll(() => db?.drop());

/** A running task with one item per label of the stores (the rows the TaskCreator writes). */
async function runningTask(stores: Awaited<ReturnType<typeof seedStore>>[]): Promise<string> {
  const t = await execute(
    db.pool,
    "INSERT INTO tasks (source, created_by, state, deadline_at) VALUES ('api', 'test', 'in_progress', NOW(3) + INTERVAL 1 HOUR)",
  );
  for (const s of stores)
    await execute(
      db.pool,
      `INSERT INTO task_items (task_id, label_id, store_id, group_id, product_id, sku, name, price, currency, content_hash, state)
       SELECT ?, l.label_id, l.store_id, l.group_id, l.product_id, p.sku, p.name, '1.00', 'CNY', REPEAT('a', 64), 'sent'
       FROM labels l JOIN products p ON p.id = l.product_id WHERE l.store_id = ?`,
      [t.insertId, s.storeId],
    );
  return String(t.insertId);
}

describe('task outcome', () => {
  it('ends a task whose confirmation is stamped a few ms before its creation (the broker clock behind the database): counted as 0 ms', async () => {
    const a = await seedStore(db.pool, { products: 1, labelsPerProduct: 1 });
    const b = await seedStore(db.pool, { products: 2, labelsPerProduct: 1 });
    const taskId = await runningTask([a, b]);
    // store A's label confirmed 5 ms "before" the task was created, store B's 10 s after
    await execute(
      db.pool,
      `UPDATE task_items i JOIN tasks t ON t.id = i.task_id
       SET i.state = 'confirmed', i.confirmed_at = IF(i.store_id = ?, t.created_at - INTERVAL 5000 MICROSECOND,
         t.created_at + INTERVAL 10 SECOND)
       WHERE i.task_id = ?`,
      [a.storeId, taskId],
    );
    expect(await withTx(db.pool, (c) => finishTask(c, taskId, 'completed'))).toBe(true);
    const task = await querySingle<{
      state: string;
      items_confirmed: number;
      confirm_avg_ms: number;
      confirm_max_ms: number;
    }>(db.pool, 'SELECT state, items_confirmed, confirm_avg_ms, confirm_max_ms FROM tasks WHERE id = ?', [
      taskId,
    ]);
    expect(task).toMatchObject({ state: 'completed', items_confirmed: 3 });
    // (0 + 10,000 + 10,000) / 3
    expect(Number(task.confirm_avg_ms)).toBe(6667);
    expect(Number(task.confirm_max_ms)).toBe(10000);
    const stores = await queryRows<{ store_id: number; confirm_sum_ms: string; confirm_max_ms: string }>(
      db.pool,
      'SELECT store_id, confirm_sum_ms, confirm_max_ms FROM task_store_outcomes WHERE task_id = ? ORDER BY store_id',
      [taskId],
    );
    expect(stores.map((r) => [r.store_id, Number(r.confirm_sum_ms), Number(r.confirm_max_ms)])).toEqual([
      [a.storeId, 0, 0],
      [b.storeId, 20000, 10000],
    ]);
  });
});
