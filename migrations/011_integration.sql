-- Idempotent POSTs under /api/v1: one row per (caller, Idempotency-Key). The first request
-- claims the key (state 'pending', locked until locked_until); its response (status and JSON
-- body) is stored when it is sent, and replayed to any request with the same key and the same
-- request hash until expires_at (24 h). A different request under the same key is refused.
-- scope names the caller: 'key:<api_keys.id>' or 'user:<users.id>'.
CREATE TABLE idempotency_keys (
  scope VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
  idem_key VARCHAR(255) COLLATE utf8mb4_bin NOT NULL,
  request_hash CHAR(64) NOT NULL,
  method VARCHAR(8) NOT NULL,
  path VARCHAR(255) NOT NULL,
  state VARCHAR(8) NOT NULL DEFAULT 'pending',
  status SMALLINT UNSIGNED NULL,
  response MEDIUMTEXT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  locked_until DATETIME(3) NOT NULL,
  completed_at DATETIME(3) NULL,
  expires_at DATETIME(3) NOT NULL,
  PRIMARY KEY (scope, idem_key),
  KEY ix_idempotency_expires (expires_at),
  CONSTRAINT chk_idempotency_state CHECK (state IN ('pending', 'done'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
