// What the alert rules measure, read from the devices', catalog's and pipeline's tables (read
// only). Each query returns the subjects for which a rule's condition holds now.
import type { Queryable } from '../db/pool.js';
import { CONTENT_HASH_SQL } from '../tasks/content-hash-repo.js';

export interface Finding {
  subject: string;
  message: string;
  /** since when the condition holds, when the data says; else the evaluator tracks it */
  since: Date | null;
}

/** APs offline now, each since its last disconnect. */
export async function offlineAps(db: Queryable): Promise<Finding[]> {
  const [rows] = (await db.query(
    `SELECT client_id AS clientId, disconnected_at AS since FROM aps
      WHERE online = 0 AND disconnected_at IS NOT NULL ORDER BY client_id`,
  )) as unknown as [{ clientId: string; since: Date }[]];
  return rows.map((r) => ({
    subject: r.clientId,
    since: r.since,
    message: `AP ${r.clientId} is offline`,
  }));
}

/** Labels whose last reported battery is below `mv` millivolts. */
export async function lowBatteryLabels(db: Queryable, mv: number): Promise<Finding[]> {
  const [rows] = (await db.query(
    `SELECT l.label_id AS labelId, l.battery_mv AS mv, s.code AS store FROM labels l JOIN stores s ON s.id = l.store_id
      WHERE l.battery_mv IS NOT NULL AND l.battery_mv < ? ORDER BY l.label_id LIMIT 1000`,
    [mv],
  )) as unknown as [{ labelId: string; mv: number; store: string }[]];
  return rows.map((r) => ({
    subject: r.labelId,
    since: null,
    message: `Label ${r.labelId} (store ${r.store}) reports ${r.mv} mV, below ${mv} mV`,
  }));
}

/** Per store, the labels that show something else than the price in force. */
export async function mismatchesByStore(db: Queryable): Promise<Finding[]> {
  const [rows] = (await db.query(
    `SELECT s.code AS store, COUNT(*) AS n FROM labels l
       JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id
       JOIN products pr ON pr.id = l.product_id
       JOIN stores s ON s.id = l.store_id
      WHERE l.displayed_hash IS NOT NULL AND l.displayed_hash <> ${CONTENT_HASH_SQL}
      GROUP BY s.code ORDER BY s.code`,
  )) as unknown as [{ store: string; n: number | string }[]];
  return rows.map((r) => ({
    subject: `store:${r.store}`,
    since: null,
    message: `${Number(r.n)} label(s) of store ${r.store} show another price than the one in force`,
  }));
}

/** Items finished (confirmed or failed) in the last hour, and how many of them failed. */
export async function lastHourOutcomes(db: Queryable): Promise<{ finished: number; failed: number }> {
  const [[r]] = (await db.query(
    `SELECT COUNT(*) AS finished, COALESCE(SUM(state = 'failed'), 0) AS failed FROM task_items
      WHERE state IN ('confirmed', 'failed') AND updated_at >= NOW(3) - INTERVAL 1 HOUR`,
  )) as unknown as [[{ finished: number | string; failed: number | string }]];
  return { finished: Number(r.finished), failed: Number(r.failed) };
}

/**
 * Running tasks with labels that cannot be delivered: their Group ID has no AP online. If
 * nothing changes, those labels miss the task's deadline.
 */
export async function blockedTasks(db: Queryable): Promise<Finding[]> {
  const [rows] = (await db.query(
    `SELECT t.id, t.deadline_at AS deadline, COUNT(*) AS n, GROUP_CONCAT(DISTINCT i.group_id ORDER BY i.group_id) AS grp
       FROM tasks t JOIN task_items i ON i.task_id = t.id
      WHERE t.state IN ('queued', 'dispatching', 'in_progress') AND i.state IN ('pending', 'sent', 'failed')
        AND NOT EXISTS (SELECT 1 FROM aps a WHERE a.group_id = i.group_id AND a.online = 1)
      GROUP BY t.id, t.deadline_at ORDER BY t.id LIMIT 1000`,
  )) as unknown as [{ id: number | string; deadline: Date; n: number | string; grp: string }[]];
  return rows.map((r) => ({
    subject: `task:${r.id}`,
    since: null,
    message: `Task ${r.id} will miss its deadline (${r.deadline.toISOString()}) if nothing changes: ${Number(r.n)} label(s) wait for ${r.grp.split(',').join(', ')}, with no AP online`,
  }));
}
