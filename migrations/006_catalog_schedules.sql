-- Catalog additions: what a scheduled change does (kind), why one failed, and
-- validated CSV imports waiting for the operator's confirmation.
-- price becomes NULL-able: a promotion start or end keeps the regular price as it is then.
ALTER TABLE price_schedules
  MODIFY price DECIMAL(12, 2) NULL,
  ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'price' AFTER id,
  ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'ui',
  ADD COLUMN note VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN error VARCHAR(255) NULL,
  ADD COLUMN applied_at DATETIME(3) NULL;

ALTER TABLE price_schedules DROP CONSTRAINT chk_sched_state;

ALTER TABLE price_schedules
  ADD CONSTRAINT chk_sched_state2 CHECK (state IN ('pending', 'applied', 'cancelled', 'failed')),
  ADD CONSTRAINT chk_sched_kind CHECK (kind IN ('price', 'promo_start', 'promo_end'));

CREATE INDEX ix_price_schedules_pair ON price_schedules (store_id, product_id, state);

-- A validated price list, kept server-side between preview and confirm so that the
-- confirm applies exactly what was previewed, once. rows_json holds normalised rows.
CREATE TABLE price_imports (
  id CHAR(32) NOT NULL PRIMARY KEY,
  content_hash CHAR(64) NOT NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'pending',
  file_name VARCHAR(255) NOT NULL DEFAULT '',
  row_count INT UNSIGNED NOT NULL,
  rows_json MEDIUMTEXT NOT NULL,
  task_id BIGINT UNSIGNED NULL,
  created_by VARCHAR(128) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  applied_at DATETIME(3) NULL,
  KEY ix_price_imports_created (created_at),
  CONSTRAINT chk_price_imports_state CHECK (state IN ('pending', 'applied'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
