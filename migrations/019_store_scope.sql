-- Store scopes: an operator, an auditor or an API key may be limited to some stores. A user or
-- key with no row here sees and changes every store; with rows, only those stores.
CREATE TABLE user_stores (
  user_id INT UNSIGNED NOT NULL,
  store_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id, store_id),
  KEY ix_user_stores_store (store_id),
  CONSTRAINT fk_user_stores_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT fk_user_stores_store FOREIGN KEY (store_id) REFERENCES stores (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE api_key_stores (
  api_key_id INT UNSIGNED NOT NULL,
  store_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (api_key_id, store_id),
  KEY ix_api_key_stores_store (store_id),
  CONSTRAINT fk_api_key_stores_key FOREIGN KEY (api_key_id) REFERENCES api_keys (id) ON DELETE CASCADE,
  CONSTRAINT fk_api_key_stores_store FOREIGN KEY (store_id) REFERENCES stores (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
