// Instance-wide broker options (migrations/008_broker.sql), one row.
import type { Queryable } from '../../server/db/pool.js';
import { execute, queryRows } from '../../server/db/query.js';

export interface BrokerSettings {
  /** refuse a Signature AccessKey for a Client ID that holds its own live device credential */
  deviceCredentialsWin: boolean;
}

export const DEFAULT_SETTINGS: BrokerSettings = { deviceCredentialsWin: true };

export async function readSettings(db: Queryable, lock = false): Promise<BrokerSettings> {
  const [row] = await queryRows<{ device_credentials_win: number }>(
    db,
    `SELECT device_credentials_win FROM mqtt_settings WHERE id = 1${lock ? ' FOR UPDATE' : ''}`,
  );
  return row ? { deviceCredentialsWin: Number(row.device_credentials_win) === 1 } : DEFAULT_SETTINGS;
}

export const writeSettings = (db: Queryable, s: BrokerSettings) =>
  execute(
    db,
    'INSERT INTO mqtt_settings (id, device_credentials_win) VALUES (1, ?) ON DUPLICATE KEY UPDATE device_credentials_win = VALUES(device_credentials_win)',
    [s.deviceCredentialsWin ? 1 : 0],
  );
