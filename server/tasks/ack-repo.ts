// SQL of ack application. Everything here runs inside one transaction per ack batch.
import type { Queryable } from '../db/pool.js';

export interface LockedItem {
  id: string;
  taskId: string;
  labelId: string;
  groupId: string;
  state: string;
  contentHash: string;
}

/** Locks the items named by a batch, in id order (concurrent batches then never deadlock on them). */
export async function lockItems(db: Queryable, ids: string[]): Promise<LockedItem[]> {
  const [rows] = (await db.query(
    `SELECT id, task_id AS taskId, label_id AS labelId, group_id AS groupId, state, content_hash AS contentHash
     FROM task_items WHERE id IN (?) ORDER BY id FOR UPDATE`,
    [ids],
  )) as unknown as [LockedItem[]];
  return rows.map((r) => ({ ...r, id: String(r.id), taskId: String(r.taskId) }));
}

/** Confirms items for one AP and records on their labels what they now show. */
export async function confirmItems(db: Queryable, ids: string[], clientId: string, at: Date): Promise<void> {
  await db.query(
    `UPDATE task_items SET state = 'confirmed', confirmed_by = ?, confirmed_at = ?, next_retry_at = NULL, error = NULL
     WHERE id IN (?)`,
    [clientId, at, ids],
  );
  await db.query(
    `UPDATE labels l JOIN task_items i ON i.label_id = l.label_id
     SET l.displayed_hash = i.content_hash, l.last_confirmed_at = ?, l.last_ap_client_id = ?
     WHERE i.id IN (?)`,
    [at, clientId, ids],
  );
}

/** A failed result: the item waits for its retry time (set when it was sent) with the AP's reason. */
export async function failItems(db: Queryable, ids: string[], error: string): Promise<void> {
  await db.query("UPDATE task_items SET state = 'failed', error = ? WHERE id IN (?)", [error.slice(0, 255), ids]);
}

export async function hasOpenItems(db: Queryable, taskId: string): Promise<boolean> {
  const [rows] = (await db.query(
    "SELECT 1 FROM task_items WHERE task_id = ? AND state IN ('pending', 'sent', 'failed') LIMIT 1",
    [taskId],
  )) as unknown as [unknown[]];
  return rows.length > 0;
}
