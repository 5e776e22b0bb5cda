// The task, item and source lists of server/tasks/states.ts are the ones the database enforces
// (its CHECK constraints, read back from information_schema of a freshly migrated database)
// and the ones the OpenAPI document publishes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../server/api/openapi.js';
import { execute, queryRows, querySingle } from '../../server/db/query.js';
import { ITEM_STATES, TASK_SOURCES, TASK_STATES } from '../../server/tasks/states.js';
import { migratedDatabase } from '../support/env.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;

beforeAll(async () => {
  db = await migratedDatabase();
}, 120_000);
afterAll(() => db?.drop());

/** The values of every `column IN ('a', 'b', ...)` CHECK constraint on the table's column. */
async function checkedValues(table: string, column: string): Promise<string[][]> {
  const rows = await queryRows<{ clause: string }>(
    db.pool,
    `SELECT cc.CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS cc
       JOIN information_schema.TABLE_CONSTRAINTS tc ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA
        AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME AND tc.CONSTRAINT_TYPE = 'CHECK'
     WHERE cc.CONSTRAINT_SCHEMA = DATABASE() AND tc.TABLE_NAME = ?`,
    [table],
  );
  // MariaDB: `state` in ('queued',...); MySQL 8: (`state` in (_utf8mb4'queued',...))
  return rows
    .filter((r) => new RegExp(`^\\(?\`${column}\`\\s+in\\s*\\(`, 'i').test(r.clause))
    .map((r) => [...r.clause.matchAll(/'([^']*)'/g)].map((m) => m[1]));
}

const sorted = (values: readonly string[]) => [...values].sort();

describe('states declared once', () => {
  it.each([
    ['tasks', 'state', TASK_STATES],
    ['task_items', 'state', ITEM_STATES],
    ['tasks', 'source', TASK_SOURCES],
  ] as const)(
    '%s.%s has one CHECK constraint, with exactly the declared values',
    async (table, column, values) => {
      const checks = await checkedValues(table, column);
      expect(checks).toHaveLength(1);
      expect(sorted(checks[0])).toEqual(sorted(values));
    },
  );

  it('refuses a task state no code sets', async () => {
    const task = await execute(
      db.pool,
      "INSERT INTO tasks (source, created_by, deadline_at) VALUES ('ui', 'test', NOW(3) + INTERVAL 1 HOUR)",
    );
    for (const state of ['dispatching', 'failed']) {
      await expect(
        execute(db.pool, 'UPDATE tasks SET state = ? WHERE id = ?', [state, task.insertId]),
      ).rejects.toThrow(/chk_tasks_state/);
    }
    const row = await querySingle<{ state: string }>(db.pool, 'SELECT state FROM tasks WHERE id = ?', [
      task.insertId,
    ]);
    expect(row.state).toBe('queued');
    await expect(
      execute(db.pool, "INSERT INTO tasks (source, created_by, deadline_at) VALUES ('erp', 'test', NOW(3))"),
    ).rejects.toThrow(/chk_tasks_source/);
  });

  it('publishes the same lists in the OpenAPI document', () => {
    const schemas = openApiDocument().components.schemas as Record<
      string,
      { properties: Record<string, { enum?: string[]; anyOf?: { enum?: string[] }[] }> }
    >;
    expect(schemas.Task.properties.state.enum).toEqual([...TASK_STATES]);
    expect(schemas.Task.properties.source.enum).toEqual([...TASK_SOURCES]);
    expect(schemas.TaskItem.properties.state.enum).toEqual([...ITEM_STATES]);
  });
});
