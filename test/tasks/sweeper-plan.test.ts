// The sweeper's question "which groups have work now?" (groupsWithWork, asked every tick without
// a group list) over real MariaDB, with the table statistics a large new task leaves behind:
// taken while task_items was nearly empty. MariaDB's plan for the query is read with ANALYZE
// (it runs the statement and counts the rows each table access read).
import type { Pool } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../server/db/pool.js';
import { execute, queryRows } from '../../server/db/query.js';
import { groupsWithWork } from '../../server/tasks/dispatch-repo.js';
import { drainedTasks } from '../../server/tasks/task-state-repo.js';
import { migratedDatabase } from '../support/env.js';
import { seedStore } from './support/fixtures.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
const GROUPS = 20;
const PER_GROUP = 250;
const ITEMS = GROUPS * PER_GROUP;

interface Access {
  table: string;
  type: string;
  rows: number;
}

/** A Queryable that runs each statement under ANALYZE FORMAT=JSON and keeps its table accesses. */
function analyzing(pool: Pool, seen: Access[]): Queryable {
  const run = async (sql: string, params: unknown[]) => {
    const [rows] = await pool.query(`ANALYZE FORMAT=JSON ${sql}`, params);
    const walk = (o: unknown): void => {
      if (!o || typeof o !== 'object') return;
      const t = o as { table_name?: string; access_type?: string; r_rows?: number; r_loops?: number };
      if (t.table_name)
        seen.push({
          table: t.table_name,
          type: t.access_type ?? '',
          rows: (t.r_rows ?? 0) * (t.r_loops ?? 0),
        });
      for (const v of Object.values(o)) walk(v);
    };
    walk(JSON.parse(String(Object.values((rows as Record<string, unknown>[])[0])[0])));
    return [[], []];
  };
  return { query: run, execute: run } as unknown as Queryable;
}

let taskId: number;
let groupId: string;
const groupIds: string[] = [];

beforeAll(async () => {
  db = await migratedDatabase();
  // Statistics taken on the empty table and not refreshed: as right after a big task's insert,
  // before InnoDB's background recount.
  await db.pool.query('ALTER TABLE task_items STATS_AUTO_RECALC = 0');
  await db.pool.query('ANALYZE TABLE task_items');
  for (let g = 0; g < GROUPS; g++)
    groupIds.push((await seedStore(db.pool, { products: PER_GROUP, labelsPerProduct: 1 })).groupId);
  groupId = groupIds[0];
  const t = await execute(
    db.pool,
    `INSERT INTO tasks (state, source, created_by, deadline_at)
     VALUES ('in_progress', 'api', 'op1', NOW(3) + INTERVAL 1 HOUR)`,
  );
  taskId = t.insertId;
  await execute(
    db.pool,
    `INSERT INTO task_items (task_id, label_id, store_id, group_id, product_id, sku, name, price, currency, content_hash)
     SELECT ?, l.label_id, l.store_id, l.group_id, l.product_id, p.sku, p.name, '1.00', 'CNY', REPEAT('a', 64)
     FROM labels l JOIN products p ON p.id = l.product_id WHERE l.group_id IN (?) ORDER BY l.group_id, l.label_id`,
    [taskId, groupIds],
  );
  // every item sent in a message already (the cursor at the end), none due again
  await execute(
    db.pool,
    `INSERT INTO task_groups (task_id, group_id, store_id, items, first_id, last_id, sent_to)
     SELECT task_id, group_id, MIN(store_id), COUNT(*), MIN(id), MAX(id), MAX(id) FROM task_items
     WHERE task_id = ? GROUP BY task_id, group_id`,
    [taskId],
  );
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

describe("the sweeper's groups with work", () => {
  it('finds a group by its due retry without reading the items of every task', async () => {
    expect(await groupsWithWork(db.pool)).toEqual([]);
    const seen: Access[] = [];
    await groupsWithWork(analyzing(db.pool, seen));
    const items = seen.filter((a) => a.table === 'i');
    expect(items.length).toBeGreaterThan(0);
    // the old query read all 5,000 items twice (a materialized scan of task_items) on every tick
    expect(items.reduce((n, a) => n + a.rows, 0)).toBeLessThan(ITEMS / 10);
    expect(items.map((a) => a.type)).not.toContain('ALL');

    // the task's end is found the same way: a probe per state, not a scan
    const drained: Access[] = [];
    await drainedTasks(analyzing(db.pool, drained));
    expect(drained.filter((a) => a.table === 'i').map((a) => a.type)).not.toContain('ALL');
    expect(drained.filter((a) => a.table === 'i').reduce((n, a) => n + a.rows, 0)).toBeLessThan(ITEMS / 10);

    // one item failed and due again: the group has work, through the same probes
    const [one] = await queryRows<{ id: number }>(
      db.pool,
      'SELECT id FROM task_items WHERE task_id = ? AND group_id = ? LIMIT 1',
      [taskId, groupId],
    );
    await execute(
      db.pool,
      "UPDATE task_items SET state = 'failed', next_retry_at = NOW(3) - INTERVAL 1 SECOND WHERE id = ?",
      [one.id],
    );
    expect(await groupsWithWork(db.pool)).toEqual([groupId]);
    expect(await groupsWithWork(db.pool, [groupId])).toEqual([groupId]);
    expect(await groupsWithWork(db.pool, ['GID_other'])).toEqual([]);
  });
});
