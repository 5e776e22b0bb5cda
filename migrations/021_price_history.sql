-- Price history (every price state a product had in a store, from when, by whom, from which
-- task or schedule), the lowest price of the 30 days before the running promotion (Omnibus),
-- quiet hours per store and the urgent flag of an item.

CREATE TABLE price_history (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  store_id INT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  valid_from DATETIME(3) NOT NULL,
  price DECIMAL(12, 2) NOT NULL,
  promo_price DECIMAL(12, 2) NULL,
  promo_from DATETIME(3) NULL,
  promo_to DATETIME(3) NULL,
  reason VARCHAR(16) NOT NULL,
  source VARCHAR(16) NOT NULL,
  task_id BIGINT UNSIGNED NULL,
  schedule_id BIGINT UNSIGNED NULL,
  actor VARCHAR(128) NOT NULL,
  KEY ix_price_history_pair (store_id, product_id, valid_from, id),
  KEY ix_price_history_product (product_id, valid_from),
  CONSTRAINT fk_price_history_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_price_history_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT chk_price_history_reason CHECK (reason IN ('initial', 'change', 'promo_start', 'promo_end'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- What the prices held before history was kept: one starting row per pair, from its last change.
INSERT INTO price_history (store_id, product_id, valid_from, price, promo_price, promo_from, promo_to, reason, source, actor)
  SELECT store_id, product_id, updated_at, price, promo_price, promo_from, promo_to, 'initial', 'initial', 'system'
    FROM prices;

-- The lowest price of the 30 days before the running promotion started (NULL: no promotion, or no price known then).
ALTER TABLE prices ADD COLUMN promo_prior_lowest DECIMAL(12, 2) NULL;

-- Quiet hours, in minutes after the store's local midnight: [quiet_from, quiet_to), crossing midnight when from > to.
ALTER TABLE stores
  ADD COLUMN quiet_from SMALLINT UNSIGNED NULL,
  ADD COLUMN quiet_to SMALLINT UNSIGNED NULL,
  ADD CONSTRAINT chk_stores_quiet CHECK (
    (quiet_from IS NULL AND quiet_to IS NULL)
    OR (quiet_from < 1440 AND quiet_to < 1440 AND quiet_from <> quiet_to)
  );

-- An urgent item goes out even during its store's quiet hours.
ALTER TABLE task_items ADD COLUMN urgent TINYINT(1) NOT NULL DEFAULT 0;

-- A scheduled change keeps its urgency until it is applied.
ALTER TABLE price_schedules ADD COLUMN urgent TINYINT(1) NOT NULL DEFAULT 0;
