-- Webhooks: endpoints an admin registers, the events they subscribe to, an outbox of events
-- (written in the same transaction as the state change that causes them), one delivery per
-- subscribed endpoint and event, and a log of every attempt with its status and latency.
CREATE TABLE webhook_endpoints (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  url VARCHAR(2048) NOT NULL,
  -- the signing secret, sealed with AES-256-GCM under MQTT_SECRET_KEY (it must be read back to sign)
  secret_sealed VARCHAR(512) NOT NULL,
  enabled TINYINT(1) NOT NULL DEFAULT 1,
  -- set when WEBHOOK_PAUSE_AFTER_FAILURES attempts in a row failed; cleared by an admin (resume)
  paused_at DATETIME(3) NULL,
  pause_reason VARCHAR(255) NULL,
  consecutive_failures INT UNSIGNED NOT NULL DEFAULT 0,
  created_by VARCHAR(128) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE webhook_subscriptions (
  endpoint_id INT UNSIGNED NOT NULL,
  event_type VARCHAR(64) NOT NULL,
  PRIMARY KEY (endpoint_id, event_type),
  KEY ix_webhook_subscriptions_type (event_type),
  CONSTRAINT fk_webhook_subscriptions_endpoint FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The outbox. body is the exact JSON posted ({ id, type, createdAt, data }), the same bytes on every attempt.
CREATE TABLE webhook_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid CHAR(36) NOT NULL,
  type VARCHAR(64) NOT NULL,
  body MEDIUMTEXT NOT NULL,
  created_at DATETIME(3) NOT NULL,
  UNIQUE KEY ux_webhook_events_uid (uid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- state: pending (waiting to be queued, or held while its endpoint is paused), queued (a BullMQ
-- job exists; generation numbers the jobs made for it), succeeded, failed (every attempt of the
-- last round failed; an admin may redeliver).
CREATE TABLE webhook_deliveries (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid CHAR(36) NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  endpoint_id INT UNSIGNED NOT NULL,
  state VARCHAR(12) NOT NULL DEFAULT 'pending',
  generation INT UNSIGNED NOT NULL DEFAULT 0,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  last_status SMALLINT UNSIGNED NULL,
  last_latency_ms INT UNSIGNED NULL,
  last_error VARCHAR(255) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  queued_at DATETIME(3) NULL,
  finished_at DATETIME(3) NULL,
  UNIQUE KEY ux_webhook_deliveries_uid (uid),
  KEY ix_webhook_deliveries_state (state, id),
  KEY ix_webhook_deliveries_endpoint (endpoint_id, id),
  CONSTRAINT fk_webhook_deliveries_event FOREIGN KEY (event_id) REFERENCES webhook_events (id),
  CONSTRAINT fk_webhook_deliveries_endpoint FOREIGN KEY (endpoint_id) REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  CONSTRAINT chk_webhook_deliveries_state CHECK (state IN ('pending', 'queued', 'succeeded', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE webhook_attempts (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  delivery_id BIGINT UNSIGNED NOT NULL,
  attempt INT UNSIGNED NOT NULL,
  started_at DATETIME(3) NOT NULL,
  status_code SMALLINT UNSIGNED NULL,
  latency_ms INT UNSIGNED NOT NULL,
  error VARCHAR(255) NULL,
  response_snippet VARCHAR(255) NULL,
  KEY ix_webhook_attempts_delivery (delivery_id, id),
  CONSTRAINT fk_webhook_attempts_delivery FOREIGN KEY (delivery_id) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
