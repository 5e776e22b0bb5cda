-- The operations cockpit. A task's outcome is kept on its row when it ends (written once, in the
-- transaction that ends it), so the dashboard's success rate and time-to-confirm over time read a
-- few rows by finished_at instead of counting every item of every recent task per request.
ALTER TABLE tasks
  ADD COLUMN items_total INT UNSIGNED NULL,
  ADD COLUMN items_confirmed INT UNSIGNED NULL,
  ADD COLUMN items_timed_out INT UNSIGNED NULL,
  ADD COLUMN items_cancelled INT UNSIGNED NULL,
  ADD COLUMN confirm_avg_ms BIGINT UNSIGNED NULL,
  ADD COLUMN confirm_max_ms BIGINT UNSIGNED NULL;

CREATE INDEX ix_tasks_finished ON tasks (finished_at);

-- An AP's status over time for its health page: one sample per AP at most every 5 minutes
-- (firmware, labels reported, the weakest and average battery and signal of its labels),
-- kept 30 days. Written by the status applier in the report's own transaction.
CREATE TABLE ap_status_log (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  client_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  at DATETIME(3) NOT NULL,
  firmware VARCHAR(64) NULL,
  labels_reported INT UNSIGNED NOT NULL,
  battery_min INT NULL,
  battery_avg INT NULL,
  rssi_min INT NULL,
  rssi_avg INT NULL,
  KEY ix_ap_status_log_client (client_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
