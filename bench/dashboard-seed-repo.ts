// Seeding SQL of the dashboard benchmark: a fleet as status reports leave it, one running task
// over every label, and a day of finished tasks with their outcomes.
import type { Queryable } from '../server/db/pool.js';

/** Every label as if reported: serving AP, battery, signal, last report (a few stale), displayed hash. */
export async function reportEveryLabel(db: Queryable, apsPerGroup: number): Promise<void> {
  await db.query(
    `UPDATE labels l
     SET l.last_ap_client_id = CONCAT(l.group_id, '@@@AP', CRC32(l.label_id) % ?),
       l.battery_mv = 2400 + CRC32(CONCAT('b', l.label_id)) % 700,
       l.rssi = CAST(CRC32(CONCAT('r', l.label_id)) % 50 AS SIGNED) - 95,
       l.last_status_at = NOW(3) - INTERVAL (CRC32(CONCAT('s', l.label_id)) % 5000) SECOND,
       l.displayed_hash = SHA2(l.label_id, 256)`,
    [apsPerGroup],
  );
}

/** `n` APs per Group ID, one in `offlineEvery` offline. */
export async function insertAps(
  db: Queryable,
  groupIds: string[],
  n: number,
  offlineEvery: number,
): Promise<void> {
  const rows = groupIds.flatMap((g, gi) =>
    Array.from({ length: n }, (_, k) => [
      `${g}@@@AP${k}`,
      g,
      `AP${k}`,
      (gi * n + k) % offlineEvery === 0 ? 0 : 1,
    ]),
  );
  await db.query('INSERT INTO aps (client_id, group_id, device_id, online, disconnected_at) VALUES ?', [
    rows.map((r) => [...r, r[3] ? null : new Date()]),
  ]);
}

/** A running task with one item per label, half of them confirmed, the rest sent. */
export async function insertRunningTask(db: Queryable): Promise<string> {
  const [t] = (await db.query(
    "INSERT INTO tasks (state, source, created_by, deadline_at, dispatched_at) VALUES ('in_progress', 'ui', 'bench', NOW(3) + INTERVAL 30 MINUTE, NOW(3) - INTERVAL 60 SECOND)",
  )) as unknown as [{ insertId: number }];
  await db.query(
    `INSERT INTO task_items (task_id, label_id, store_id, group_id, product_id, sku, name, price, currency, content_hash,
       state, attempts, last_sent_at, next_retry_at, confirmed_at)
     SELECT ?, l.label_id, l.store_id, l.group_id, l.product_id, pr.sku, pr.name, p.price, 'CNY', SHA2(l.label_id, 256),
       IF(CRC32(l.label_id) % 2 = 0, 'confirmed', 'sent'), 1, NOW(3), NOW(3) + INTERVAL 15 SECOND,
       IF(CRC32(l.label_id) % 2 = 0, NOW(3), NULL)
     FROM labels l JOIN products pr ON pr.id = l.product_id JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id`,
    [t.insertId],
  );
  return String(t.insertId);
}

/** `n` finished tasks spread over the last 24 hours, with their outcome columns. */
export async function insertFinishedTasks(db: Queryable, n: number): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => {
    const at = new Date(Date.now() - Math.floor((i / n) * 24 * 3600_000));
    return ['completed', 'ui', 'bench', at, at, at, 100, 98, 2, 0, 1500 + (i % 700), 9000];
  });
  await db.query(
    `INSERT INTO tasks (state, source, created_by, created_at, deadline_at, finished_at, items_total, items_confirmed,
       items_timed_out, items_cancelled, confirm_avg_ms, confirm_max_ms) VALUES ?`,
    [rows],
  );
}

/** The reference: the cheapest full count of each table the dashboard reads. */
export async function referenceCounts(db: Queryable, taskId: string): Promise<void> {
  await db.query('SELECT COUNT(*) FROM labels');
  await db.query('SELECT COUNT(*) FROM task_items WHERE task_id = ?', [taskId]);
}

export async function referenceLabelCount(db: Queryable): Promise<void> {
  await db.query('SELECT COUNT(*) FROM labels');
}

export async function referenceItemCount(db: Queryable, taskId: string): Promise<void> {
  await db.query('SELECT COUNT(*) FROM task_items WHERE task_id = ?', [taskId]);
}

/**
 * Items for the finished tasks (100 each, over the labels of many stores, 98 confirmed and 2
 * timed out) and their per-store outcomes, as `recordOutcome` leaves them.
 */
export async function insertFinishedItems(db: Queryable): Promise<void> {
  await db.query(
    `INSERT INTO task_items (task_id, label_id, store_id, group_id, product_id, sku, name, price, currency, content_hash,
       state, attempts, confirmed_at)
     SELECT t.id, l.label_id, l.store_id, l.group_id, l.product_id, 'SKU', 'bench', '1.00', 'CNY', SHA2(l.label_id, 256),
       IF(l.k < 98, 'confirmed', 'timed_out'), 1, IF(l.k < 98, t.finished_at, NULL)
     FROM tasks t JOIN (
       SELECT label_id, store_id, group_id, product_id, ROW_NUMBER() OVER (ORDER BY CRC32(label_id)) - 1 AS k
       FROM labels ORDER BY CRC32(label_id) LIMIT 100
     ) l
     WHERE t.state = 'completed' AND t.created_by = 'bench'`,
  );
  await db.query(
    `INSERT INTO task_store_outcomes (task_id, store_id, finished_at, items_total, items_confirmed, items_timed_out,
       items_cancelled, confirm_sum_ms, confirm_max_ms)
     SELECT i.task_id, i.store_id, t.finished_at, COUNT(*), SUM(i.state = 'confirmed'), SUM(i.state = 'timed_out'),
       SUM(i.state = 'cancelled'), SUM(IF(i.state = 'confirmed', 1500, NULL)), MAX(IF(i.state = 'confirmed', 1500, NULL))
     FROM tasks t JOIN task_items i ON i.task_id = t.id
     WHERE t.state = 'completed' AND t.created_by = 'bench'
     GROUP BY i.task_id, i.store_id, t.finished_at`,
  );
}

/** The reference for a scoped reader's hourly outcomes: the former query (task rows, EXISTS over their items). */
export async function formerScopedHourly(db: Queryable, hours: number, scope: number[]): Promise<void> {
  await db.query(
    `SELECT FLOOR(TIMESTAMPDIFF(SECOND, finished_at, NOW(3)) / 3600) AS ago, COUNT(*) AS tasks,
       SUM(items_total) AS total, SUM(items_confirmed) AS confirmed, SUM(items_timed_out) AS timedOut,
       SUM(items_cancelled) AS cancelled,
       SUM(confirm_avg_ms * items_confirmed) / NULLIF(SUM(IF(confirm_avg_ms IS NULL, 0, items_confirmed)), 0) AS avgMs,
       MAX(confirm_max_ms) AS maxMs
     FROM tasks WHERE finished_at >= NOW(3) - INTERVAL ? HOUR AND items_total IS NOT NULL
       AND EXISTS (SELECT 1 FROM task_items ti WHERE ti.task_id = tasks.id AND ti.store_id IN (?))
     GROUP BY ago ORDER BY ago`,
    [hours, scope],
  );
}

/** The reference for ending a task: the former outcome statement (the task row only, one pass over its items). */
export async function formerTaskOutcome(db: Queryable, taskId: string): Promise<void> {
  await db.query(
    `UPDATE tasks t JOIN (
       SELECT COUNT(*) AS total, SUM(i.state = 'confirmed') AS confirmed, SUM(i.state = 'timed_out') AS timedOut,
         SUM(i.state = 'cancelled') AS cancelled,
         AVG(IF(i.state = 'confirmed', TIMESTAMPDIFF(MICROSECOND, t2.created_at, i.confirmed_at), NULL)) / 1000 AS avgMs,
         MAX(IF(i.state = 'confirmed', TIMESTAMPDIFF(MICROSECOND, t2.created_at, i.confirmed_at), NULL)) / 1000 AS maxMs
       FROM task_items i JOIN tasks t2 ON t2.id = i.task_id WHERE i.task_id = ?
     ) o
     SET t.items_total = o.total, t.items_confirmed = COALESCE(o.confirmed, 0), t.items_timed_out = COALESCE(o.timedOut, 0),
       t.items_cancelled = COALESCE(o.cancelled, 0), t.confirm_avg_ms = ROUND(o.avgMs), t.confirm_max_ms = ROUND(o.maxMs)
     WHERE t.id = ?`,
    [taskId, taskId],
  );
}
