-- The seed's registries: parent topics and Group IDs must be created by an admin
-- before any client may use them. (The broker issue extends this file until it lands.)
CREATE TABLE mqtt_parent_topics (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  description VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE mqtt_groups (
  group_id VARCHAR(64) NOT NULL PRIMARY KEY,
  description VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The instance: one row, shared by every broker node (so all nodes present the same InstanceId).
CREATE TABLE mqtt_instance (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  instance_id VARCHAR(64) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT chk_mqtt_instance_one CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- AccessKeys for Signature and Token auth. HMAC-SHA1 verification needs the secret itself,
-- so it cannot be hashed: it is sealed with AES-256-GCM under a key that lives outside the
-- database (MQTT_SECRET_KEY or DATA_DIR/broker/secret.key). A database dump alone reveals nothing.
-- group_ids: NULL = every group, else space-separated Group IDs the key may act for.
CREATE TABLE mqtt_access_keys (
  access_key_id VARCHAR(32) NOT NULL PRIMARY KEY,
  secret_sealed VARCHAR(255) NOT NULL,
  description VARCHAR(255) NOT NULL DEFAULT '',
  group_ids TEXT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at DATETIME(3) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One credential per Client ID (the seed's DeviceCredential); rotating replaces the secret.
CREATE TABLE mqtt_device_credentials (
  device_access_key_id VARCHAR(32) NOT NULL PRIMARY KEY,
  client_id VARCHAR(64) NOT NULL,
  secret_sealed VARCHAR(255) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  rotated_at DATETIME(3) NULL,
  revoked_at DATETIME(3) NULL,
  UNIQUE KEY uq_mqtt_device_credentials_client (client_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Tokens issued under an AccessKey. The token is presented as-is, so only its SHA-256 is kept.
CREATE TABLE mqtt_tokens (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  token_hash CHAR(64) NOT NULL,
  access_key_id VARCHAR(32) NOT NULL,
  perms VARCHAR(2) NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at DATETIME(3) NULL,
  UNIQUE KEY uq_mqtt_tokens_hash (token_hash),
  KEY ix_mqtt_tokens_key (access_key_id),
  CONSTRAINT fk_mqtt_tokens_key FOREIGN KEY (access_key_id) REFERENCES mqtt_access_keys (access_key_id),
  CONSTRAINT chk_mqtt_tokens_perms CHECK (perms IN ('R', 'W', 'RW'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
