-- A finished task's outcome per store (written in the transaction that ends it, beside the
-- task row's own outcome columns of 009_cockpit.sql), so that the dashboard's per-hour success
-- rate and time to confirm of a store-scoped reader count its stores' labels only, reading a few
-- rows by (store_id, finished_at) instead of every recent task's items.
-- confirm_sum_ms: the sum of the confirmed labels' times from the task's creation, so that the
-- average over several stores and tasks is exact. A confirmation stamped a few ms before the
-- creation (the broker's clock against the database's) counts as 0, never as a negative time. The store index carries the figures, so a
-- scoped reader's hourly query reads that index alone (bench/README.md, bench:dashboard).
CREATE TABLE IF NOT EXISTS task_store_outcomes (
  task_id BIGINT UNSIGNED NOT NULL,
  store_id INT UNSIGNED NOT NULL,
  finished_at DATETIME(3) NOT NULL,
  items_total INT UNSIGNED NOT NULL,
  items_confirmed INT UNSIGNED NOT NULL,
  items_timed_out INT UNSIGNED NOT NULL,
  items_cancelled INT UNSIGNED NOT NULL,
  confirm_sum_ms BIGINT UNSIGNED NULL,
  confirm_max_ms BIGINT UNSIGNED NULL,
  PRIMARY KEY (task_id, store_id),
  KEY ix_task_store_outcomes_store (store_id, finished_at, items_total, items_confirmed, items_timed_out, items_cancelled,
    confirm_sum_ms, confirm_max_ms),
  CONSTRAINT fk_task_store_outcomes_task FOREIGN KEY (task_id) REFERENCES tasks (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The tasks of the last 25 hours (the dashboard shows 24) get theirs now; IGNORE and IF NOT EXISTS
-- let the file run again after a failure half-way.
INSERT IGNORE INTO task_store_outcomes (task_id, store_id, finished_at, items_total, items_confirmed, items_timed_out,
  items_cancelled, confirm_sum_ms, confirm_max_ms)
SELECT i.task_id, i.store_id, t.finished_at, COUNT(*), SUM(i.state = 'confirmed'), SUM(i.state = 'timed_out'),
  SUM(i.state = 'cancelled'),
  ROUND(SUM(IF(i.state = 'confirmed', GREATEST(0, TIMESTAMPDIFF(MICROSECOND, t.created_at, i.confirmed_at)), NULL)) / 1000),
  ROUND(MAX(IF(i.state = 'confirmed', GREATEST(0, TIMESTAMPDIFF(MICROSECOND, t.created_at, i.confirmed_at)), NULL)) / 1000)
FROM tasks t JOIN task_items i ON i.task_id = t.id
WHERE t.finished_at >= NOW(3) - INTERVAL 25 HOUR AND t.items_total IS NOT NULL
GROUP BY i.task_id, i.store_id, t.finished_at;
