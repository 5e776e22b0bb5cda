-- Price-change tasks and their items: one item per affected label.
-- Task progress is derived from the items' states (no counters to drift).
CREATE TABLE tasks (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  kind VARCHAR(32) NOT NULL DEFAULT 'price.update',
  state VARCHAR(16) NOT NULL DEFAULT 'queued',
  source VARCHAR(16) NOT NULL,
  created_by VARCHAR(128) NOT NULL,
  request_id VARCHAR(64) NULL,
  note VARCHAR(255) NOT NULL DEFAULT '',
  parent_task_id BIGINT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  deadline_at DATETIME(3) NOT NULL,
  dispatched_at DATETIME(3) NULL,
  finished_at DATETIME(3) NULL,
  KEY ix_tasks_state (state, created_at),
  CONSTRAINT chk_tasks_state CHECK (state IN ('queued', 'dispatching', 'in_progress', 'completed', 'failed', 'timed_out', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE task_items (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  task_id BIGINT UNSIGNED NOT NULL,
  label_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  store_id INT UNSIGNED NOT NULL,
  group_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  sku VARCHAR(64) NOT NULL,
  name VARCHAR(200) NOT NULL,
  price DECIMAL(12, 2) NOT NULL,
  promo_price DECIMAL(12, 2) NULL,
  currency CHAR(3) NOT NULL,
  content_hash CHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'pending',
  attempts SMALLINT UNSIGNED NOT NULL DEFAULT 0,
  last_msg_id CHAR(36) NULL,
  last_sent_at DATETIME(3) NULL,
  next_retry_at DATETIME(3) NULL,
  confirmed_by VARCHAR(64) COLLATE utf8mb4_bin NULL,
  confirmed_at DATETIME(3) NULL,
  error VARCHAR(255) NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY ix_items_task_state (task_id, state),
  KEY ix_items_group_state (group_id, state),
  KEY ix_items_label (label_id),
  KEY ix_items_retry (state, next_retry_at),
  CONSTRAINT fk_items_task FOREIGN KEY (task_id) REFERENCES tasks (id),
  CONSTRAINT chk_items_state CHECK (state IN ('pending', 'sent', 'confirmed', 'failed', 'timed_out', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
