// The task, item and source lists of server/tasks/states.ts: the database refuses what no code
// sets, and the OpenAPI document publishes the same lists. (test/db/check-constraints.test.ts
// compares them with the CHECK constraints.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../server/api/openapi.js';
import { execute, querySingle } from '../../server/db/query.js';
import { ITEM_STATES, TASK_SOURCES, TASK_STATES } from '../../server/tasks/states.js';
import { migratedDatabase } from '../support/env.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;

beforeAll(async () => {
  db = await migratedDatabase();
}, 120_000);
afterAll(() => db?.drop());

describe('states declared once', () => {
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
