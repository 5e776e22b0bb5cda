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

-- Alert rules (one row per kind; thresholds set by admins) and the alerts they raise. An alert is
-- open, then acknowledged by someone, and resolved when its condition clears (or by hand).
-- active_key is kind|subject while the alert is not resolved and NULL after: at most one
-- unresolved alert per condition and subject.
CREATE TABLE alert_rules (
  kind VARCHAR(32) NOT NULL PRIMARY KEY,
  threshold DECIMAL(12, 2) NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO alert_rules (kind, threshold) VALUES
  ('ap_offline_minutes', 5), ('battery_below_mv', 2500), ('task_will_miss_labels', 1),
  ('mismatch_minutes', 30), ('failure_rate_percent', 5);

CREATE TABLE alerts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(32) NOT NULL,
  subject VARCHAR(190) NOT NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'open',
  summary VARCHAR(512) NOT NULL,
  opened_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  acknowledged_at DATETIME(3) NULL,
  acknowledged_by VARCHAR(128) NULL,
  resolved_at DATETIME(3) NULL,
  resolved_by VARCHAR(128) NULL,
  active_key VARCHAR(230) NULL,
  UNIQUE KEY uq_alerts_active (active_key),
  KEY ix_alerts_state (state, opened_at),
  CONSTRAINT chk_alerts_state CHECK (state IN ('open', 'acknowledged', 'resolved'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
