// SQL of the plan step: a committed task starts dispatching.
import type { Queryable } from '../db/pool.js';
import { execute, queryRows } from '../db/query.js';

/** queued -> in_progress; false when another worker (or an earlier attempt) already did it. */
export async function startTask(db: Queryable, taskId: string): Promise<boolean> {
  const res = await execute(
    db,
    "UPDATE tasks SET state = 'in_progress', dispatched_at = NOW(3) WHERE id = ? AND state = 'queued'",
    [taskId],
  );
  return res.affectedRows === 1;
}

export async function taskGroups(db: Queryable, taskId: string): Promise<{ groupId: string; n: number }[]> {
  const rows = await queryRows<{ groupId: string; n: string }>(
    db,
    'SELECT group_id AS groupId, items AS n FROM task_groups WHERE task_id = ? ORDER BY group_id',
    [taskId],
  );
  return rows.map((r) => ({ groupId: r.groupId, n: Number(r.n) }));
}

/** Tasks committed but never handed to the dispatcher (the process died in between). */
export async function strandedQueuedTasks(db: Queryable, olderThanSeconds: number): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    db,
    "SELECT id FROM tasks WHERE state = 'queued' AND created_at < NOW(3) - INTERVAL ? SECOND ORDER BY id LIMIT 500",
    [olderThanSeconds],
  );
  return rows.map((r) => String(r.id));
}
