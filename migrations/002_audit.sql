-- The audit trail and its outbox in one table. Rows are written in the same
-- transaction as the change they describe; ids are handed out under the lock
-- on audit_chain_head, so they are gapless and in commit order, and each row
-- carries the hash of the one before (tamper evidence).
CREATE TABLE audit_chain_head (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  last_id BIGINT UNSIGNED NOT NULL,
  last_hash CHAR(64) NOT NULL
) ENGINE=InnoDB;

INSERT INTO audit_chain_head (id, last_id, last_hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
  id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  ts DATETIME(3) NOT NULL,
  actor VARCHAR(128) NOT NULL,
  actor_role VARCHAR(32) NOT NULL,
  action VARCHAR(64) NOT NULL,
  object_type VARCHAR(32) NOT NULL,
  object_id VARCHAR(190) NOT NULL,
  refs TEXT NOT NULL,
  summary VARCHAR(1024) NOT NULL DEFAULT '',
  before_json MEDIUMTEXT NULL,
  after_json MEDIUMTEXT NULL,
  request_id VARCHAR(64) NULL,
  ip VARCHAR(64) NULL,
  prev_hash CHAR(64) NOT NULL,
  hash CHAR(64) NOT NULL,
  KEY ix_audit_ts (ts),
  KEY ix_audit_actor (actor, ts),
  KEY ix_audit_action (action, ts),
  KEY ix_audit_object (object_type, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- How far the shipper has sent the trail to SLS.
CREATE TABLE audit_ship_state (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  shipped_id BIGINT UNSIGNED NOT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  last_error VARCHAR(1024) NULL,
  last_error_at DATETIME(3) NULL
) ENGINE=InnoDB;

INSERT INTO audit_ship_state (id, shipped_id) VALUES (1, 0);
