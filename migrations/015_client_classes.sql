-- Client classes per Group ID, permissions on AccessKeys and tokens, server-side applications.
-- client_class: 'ap' (the device contract of docs/ap-protocol.md, the default: every existing
-- Group ID keeps its rules) or 'general' (publish and subscribe under registered parent topics
-- as the credential's permissions allow).
ALTER TABLE mqtt_groups
  ADD COLUMN client_class VARCHAR(16) NOT NULL DEFAULT 'ap',
  ADD CONSTRAINT chk_mqtt_groups_client_class CHECK (client_class IN ('ap', 'general'));

-- An AccessKey's access policies for 'general' Group IDs: JSON
-- [{"actions":["publish","subscribe"],"topics":["esl/sensors/#"]}]. NULL = none: the key keeps
-- working for 'ap' Group IDs exactly as before and grants nothing on 'general' ones.
ALTER TABLE mqtt_access_keys ADD COLUMN permissions TEXT NULL;

-- The topic filters a token's R/W rights apply to on 'general' Group IDs (space separated);
-- NULL = none (tokens of 'ap' Group IDs keep the device contract's topics).
ALTER TABLE mqtt_tokens ADD COLUMN topics TEXT NULL;

-- Server-side applications (the counterpart of a server SDK): they publish to task and P2P
-- topics and subscribe to uplink (ack/status) topics. The secret is sealed like an AccessKey's
-- (HMAC verification needs it). The platform's own identity is the built-in row 'platform':
-- its secret is PLATFORM_MQTT_SECRET (or DATA_DIR/broker/platform.secret), never stored here.
CREATE TABLE mqtt_applications (
  app_id VARCHAR(32) NOT NULL PRIMARY KEY,
  secret_sealed VARCHAR(255) NULL,
  description VARCHAR(255) NOT NULL DEFAULT '',
  builtin TINYINT(1) NOT NULL DEFAULT 0,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  revoked_at DATETIME(3) NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO mqtt_applications (app_id, description, builtin)
  VALUES ('platform', 'the platform itself (Platform|<InstanceId>, PLATFORM_MQTT_SECRET)', 1);
