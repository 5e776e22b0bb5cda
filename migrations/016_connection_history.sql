-- Connection history: every connect, disconnect, take-over and resume after node loss of an AP,
-- written by the connection-events worker (one multi-row INSERT per batch of events), kept
-- CONNECTION_HISTORY_RETENTION_DAYS and pruned by the worker. The audit trail keeps only the
-- security events (take-overs, refused-CONNECT summaries); ordinary churn is counted per AP and
-- hour in ap_connection_churn, for the AP's page.
CREATE TABLE ap_connection_events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  at DATETIME(3) NOT NULL,
  client_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  group_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  -- connect, disconnect, takeover, resumed (server/devices/connection-history.ts)
  kind VARCHAR(16) NOT NULL,
  -- disconnect: clean, lost, takeover, kicked, node_lost; resumed: node_lost
  reason VARCHAR(16) NULL,
  broker_node VARCHAR(64) NOT NULL,
  -- resumed: the node the AP was connected to before it was lost
  previous_node VARCHAR(64) NULL,
  -- signature, device_credential, token (null: not known, e.g. a node's left-over clients)
  credential_kind VARCHAR(20) NULL,
  access_key_id VARCHAR(64) NULL,
  ip VARCHAR(45) NULL,
  clean_session TINYINT(1) NULL,
  KEY ix_ap_conn_events_client (client_id, at),
  KEY ix_ap_conn_events_at (at),
  KEY ix_ap_conn_events_key (access_key_id, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE ap_connection_churn (
  client_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  -- the hour (UTC) the counts belong to
  hour DATETIME NOT NULL,
  connects INT UNSIGNED NOT NULL DEFAULT 0,
  disconnects INT UNSIGNED NOT NULL DEFAULT 0,
  takeovers INT UNSIGNED NOT NULL DEFAULT 0,
  resumed INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (client_id, hour),
  KEY ix_ap_conn_churn_hour (hour)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
