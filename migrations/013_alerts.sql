-- Alerts: one rule per kind with its threshold, evaluated by the worker; the alerts it raises.
-- threshold: ap_offline, mismatch_old and task_deadline in minutes, label_battery_low in
-- millivolts, failure_rate in percent of the items finished in the last hour.
CREATE TABLE alert_rules (
  kind VARCHAR(32) NOT NULL PRIMARY KEY,
  threshold DECIMAL(12, 3) NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT chk_alert_rules_kind CHECK (kind IN ('ap_offline', 'label_battery_low', 'mismatch_old', 'failure_rate', 'task_deadline'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO alert_rules (kind, threshold) VALUES
  ('ap_offline', 10),
  ('label_battery_low', 2400),
  ('mismatch_old', 30),
  ('failure_rate', 20),
  ('task_deadline', 5);

-- state: pending (seen, not yet past its threshold: never shown), open, acknowledged, resolved.
-- active_key is kind:subject while the alert is not resolved, else NULL: at most one active
-- alert per kind and subject, across any number of workers.
CREATE TABLE alerts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(32) NOT NULL,
  subject VARCHAR(190) COLLATE utf8mb4_bin NOT NULL,
  state VARCHAR(16) NOT NULL,
  active_key VARCHAR(230) COLLATE utf8mb4_bin NULL,
  message VARCHAR(512) NOT NULL,
  since DATETIME(3) NOT NULL,
  opened_at DATETIME(3) NULL,
  acknowledged_at DATETIME(3) NULL,
  acknowledged_by VARCHAR(64) NULL,
  resolved_at DATETIME(3) NULL,
  resolved_by VARCHAR(64) NULL,
  UNIQUE KEY uq_alerts_active (active_key),
  KEY ix_alerts_state (state, opened_at),
  KEY ix_alerts_kind_state (kind, state),
  CONSTRAINT chk_alerts_state CHECK (state IN ('pending', 'open', 'acknowledged', 'resolved'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
