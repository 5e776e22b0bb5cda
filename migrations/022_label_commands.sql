-- Label commands (docs/ap-protocol.md section 12): LED flash, find and page switch, sent over P2P
-- to the AP that last reported the label, acked by it on its ack topic. One row per command
-- and label; a bulk command of a product's labels shares a batch_uid. The lists of the CHECK
-- constraints are those of server/commands/states.ts.
CREATE TABLE label_commands (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  -- the command's id on the wire (cmdId)
  uid CHAR(36) COLLATE utf8mb4_bin NOT NULL,
  batch_uid CHAR(36) COLLATE utf8mb4_bin NULL,
  label_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  store_id INT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NULL,
  kind VARCHAR(8) NOT NULL,
  colour VARCHAR(8) NULL,
  pattern VARCHAR(8) NULL,
  duration_s SMALLINT UNSIGNED NULL,
  page TINYINT UNSIGNED NULL,
  state VARCHAR(12) NOT NULL DEFAULT 'queued',
  reason VARCHAR(16) NULL,
  -- the AP's error text of a failed ack, as sent (at most 255 characters)
  ap_error VARCHAR(255) NULL,
  -- the AP the command went to (the label's serving AP when it was asked for)
  ap_client_id VARCHAR(64) COLLATE utf8mb4_bin NULL,
  -- what the AP reported doing (JSON: page shown, LED until), from its ack
  ap_result VARCHAR(255) NULL,
  requested_by VARCHAR(128) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  sent_at DATETIME(3) NULL,
  -- no ack by then: timed_out (set when sent)
  deadline_at DATETIME(3) NULL,
  finished_at DATETIME(3) NULL,
  UNIQUE KEY ux_label_commands_uid (uid),
  KEY ix_label_commands_label (label_id, id),
  KEY ix_label_commands_state (state, deadline_at),
  KEY ix_label_commands_batch (batch_uid, id),
  KEY ix_label_commands_product (product_id, id),
  CONSTRAINT fk_label_commands_label FOREIGN KEY (label_id) REFERENCES labels (label_id) ON DELETE CASCADE,
  CONSTRAINT chk_label_commands_kind CHECK (kind IN ('flash', 'find', 'page')),
  CONSTRAINT chk_label_commands_state CHECK (state IN ('queued', 'sent', 'acked', 'failed', 'refused', 'timed_out')),
  CONSTRAINT chk_label_commands_colour CHECK (colour IN ('red', 'green', 'blue', 'yellow', 'cyan', 'magenta', 'white')),
  CONSTRAINT chk_label_commands_pattern CHECK (pattern IN ('solid', 'blink', 'fast', 'locate')),
  CONSTRAINT chk_label_commands_reason CHECK (reason IN ('no_serving_ap', 'ap_offline', 'not_supported', 'no_ack', 'publish_failed', 'ap_error'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
