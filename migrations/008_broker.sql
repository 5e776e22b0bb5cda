-- Instance-wide broker options, one row.
-- device_credentials_win: a Signature AccessKey (valid for every Device ID of its Group IDs) is
-- refused for a Client ID that holds its own live device credential, so the shared key can
-- neither impersonate that device nor wipe its persistent session. On by default.
CREATE TABLE mqtt_settings (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  device_credentials_win TINYINT(1) NOT NULL DEFAULT 1,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  CONSTRAINT chk_mqtt_settings_one CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO mqtt_settings (id, device_credentials_win) VALUES (1, 1);
