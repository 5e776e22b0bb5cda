-- Stores, their Group IDs and APs, labels, products and prices.
CREATE TABLE stores (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  code VARCHAR(32) NOT NULL,
  name VARCHAR(128) NOT NULL,
  timezone VARCHAR(64) NOT NULL DEFAULT 'UTC',
  currency CHAR(3) NOT NULL DEFAULT 'CNY',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_stores_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A Group ID belongs to exactly one store (the APs that serve that store's labels).
CREATE TABLE store_groups (
  group_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  store_id INT UNSIGNED NOT NULL,
  KEY ix_store_groups_store (store_id),
  CONSTRAINT fk_store_groups_group FOREIGN KEY (group_id) REFERENCES mqtt_groups (group_id),
  CONSTRAINT fk_store_groups_store FOREIGN KEY (store_id) REFERENCES stores (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Smart APs. A row appears when an AP first connects (or is pre-registered); the broker's
-- connection events keep online/last_seen/ip current, status reports keep firmware current.
CREATE TABLE aps (
  client_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  group_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  device_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  online TINYINT(1) NOT NULL DEFAULT 0,
  ip VARCHAR(64) NULL,
  broker_node VARCHAR(64) NULL,
  connected_at DATETIME(3) NULL,
  disconnected_at DATETIME(3) NULL,
  disconnect_reason VARCHAR(32) NULL,
  last_seen_at DATETIME(3) NULL,
  takeovers INT UNSIGNED NOT NULL DEFAULT 0,
  firmware VARCHAR(64) NULL,
  last_status_at DATETIME(3) NULL,
  labels_reported INT UNSIGNED NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY ix_aps_group (group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE products (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sku VARCHAR(64) NOT NULL,
  name VARCHAR(200) NOT NULL,
  unit VARCHAR(32) NOT NULL DEFAULT 'pcs',
  currency CHAR(3) NOT NULL DEFAULT 'CNY',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_products_sku (sku),
  KEY ix_products_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The current price of a product in a store. Prices are exact decimals, never floats.
-- A promotion is promo_price within [promo_from, promo_to); it reverts by itself at promo_to.
CREATE TABLE prices (
  store_id INT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  price DECIMAL(12, 2) NOT NULL,
  promo_price DECIMAL(12, 2) NULL,
  promo_from DATETIME(3) NULL,
  promo_to DATETIME(3) NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (store_id, product_id),
  KEY ix_prices_product (product_id),
  KEY ix_prices_promo_to (promo_to),
  CONSTRAINT fk_prices_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_prices_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Price changes to apply later (scheduled changes and promotion starts/ends).
CREATE TABLE price_schedules (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  store_id INT UNSIGNED NOT NULL,
  product_id INT UNSIGNED NOT NULL,
  price DECIMAL(12, 2) NOT NULL,
  promo_price DECIMAL(12, 2) NULL,
  promo_from DATETIME(3) NULL,
  promo_to DATETIME(3) NULL,
  effective_at DATETIME(3) NOT NULL,
  state VARCHAR(16) NOT NULL DEFAULT 'pending',
  task_id BIGINT UNSIGNED NULL,
  created_by VARCHAR(128) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY ix_price_schedules_due (state, effective_at),
  CONSTRAINT fk_sched_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_sched_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT chk_sched_state CHECK (state IN ('pending', 'applied', 'cancelled'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- E-paper labels. product_id is the bound product (NULL = unbound). The status fields are
-- what the AP that last reported the label said; displayed_hash is what it shows.
CREATE TABLE labels (
  label_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  store_id INT UNSIGNED NOT NULL,
  group_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  product_id INT UNSIGNED NULL,
  bound_at DATETIME(3) NULL,
  last_ap_client_id VARCHAR(64) COLLATE utf8mb4_bin NULL,
  battery_mv INT NULL,
  rssi INT NULL,
  displayed_hash VARCHAR(128) NULL,
  last_status_at DATETIME(3) NULL,
  last_confirmed_at DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY ix_labels_store_product (store_id, product_id),
  KEY ix_labels_product (product_id),
  KEY ix_labels_group (group_id),
  CONSTRAINT fk_labels_store FOREIGN KEY (store_id) REFERENCES stores (id),
  CONSTRAINT fk_labels_product FOREIGN KEY (product_id) REFERENCES products (id),
  CONSTRAINT fk_labels_group FOREIGN KEY (group_id) REFERENCES store_groups (group_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
