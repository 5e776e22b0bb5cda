// The SQL of quiet hours: the windows of the stores of Group IDs, of a task's stores.
import type { Queryable } from '../db/pool.js';
import { queryRows } from '../db/query.js';
import type { QuietWindow } from './quiet-hours.js';

/** The quiet hours of the stores of these Group IDs (groups of stores without any are left out). */
export async function quietOfGroups(db: Queryable, groupIds: string[]): Promise<Map<string, QuietWindow>> {
  if (!groupIds.length) return new Map();
  const rows = await queryRows<{ g: string; quiet_from: number; quiet_to: number; timezone: string }>(
    db,
    `SELECT g.group_id AS g, s.quiet_from, s.quiet_to, s.timezone FROM store_groups g JOIN stores s ON s.id = g.store_id
      WHERE g.group_id IN (?) AND s.quiet_from IS NOT NULL`,
    [groupIds],
  );
  return new Map(rows.map((r) => [r.g, { from: r.quiet_from, to: r.quiet_to, zone: r.timezone }]));
}

/**
 * The quiet hours of the stores where a new task (its items all pending) has non-urgent items.
 * Through the task's task_groups rows: the items are probed only for stores that have quiet hours.
 */
export async function quietOfTaskStores(db: Queryable, taskId: string): Promise<QuietWindow[]> {
  const rows = await queryRows<{ quiet_from: number; quiet_to: number; timezone: string }>(
    db,
    `SELECT s.quiet_from, s.quiet_to, s.timezone FROM stores s
      WHERE s.quiet_from IS NOT NULL
        AND s.id IN (SELECT g.store_id FROM task_groups g WHERE g.task_id = ? AND EXISTS (
          SELECT 1 FROM task_items i WHERE i.task_id = g.task_id AND i.state = 'pending' AND i.group_id = g.group_id AND i.urgent = 0))`,
    [taskId],
  );
  return rows.map((r) => ({ from: r.quiet_from, to: r.quiet_to, zone: r.timezone }));
}
