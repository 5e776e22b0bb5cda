// AccessKeys, device credentials and tokens. Secrets arrive sealed (secret-box.ts), tokens hashed.
import type { Queryable } from '../../server/db/pool.js';
import { execute, queryOne, queryRows } from '../../server/db/query.js';
import type { TokenPerms } from '../rules.js';

export interface AccessKeyRow {
  access_key_id: string;
  secret_sealed: string;
  description: string;
  group_ids: string | null;
  /** JSON access policies for general Group IDs (permissions.ts); null = none */
  permissions: string | null;
  created_at: Date;
  revoked_at: Date | null;
}
export interface DeviceCredentialRow {
  device_access_key_id: string;
  client_id: string;
  secret_sealed: string;
  created_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
}
export interface TokenRow {
  id: string;
  token_hash: string;
  access_key_id: string;
  perms: TokenPerms;
  /** space-separated topic filters for general Group IDs; null = none */
  topics: string | null;
  expires_at: Date;
  created_at: Date;
  revoked_at: Date | null;
}

export const insertAccessKey = (
  db: Queryable,
  k: {
    id: string;
    sealed: string;
    description: string;
    groupIds: string[] | null;
    permissions?: string | null;
  },
) =>
  execute(
    db,
    'INSERT INTO mqtt_access_keys (access_key_id, secret_sealed, description, group_ids, permissions) VALUES (?, ?, ?, ?, ?)',
    [k.id, k.sealed, k.description, k.groupIds ? k.groupIds.join(' ') : null, k.permissions ?? null],
  );

export const setAccessKeyPermissions = (db: Queryable, id: string, permissions: string | null) =>
  execute(db, 'UPDATE mqtt_access_keys SET permissions = ? WHERE access_key_id = ?', [permissions, id]);

export const findAccessKeyForUpdate = async (db: Queryable, id: string) =>
  queryOne<AccessKeyRow>(db, 'SELECT * FROM mqtt_access_keys WHERE access_key_id = ? FOR UPDATE', [id]);

export const findAccessKey = async (db: Queryable, id: string) =>
  queryOne<AccessKeyRow>(db, 'SELECT * FROM mqtt_access_keys WHERE access_key_id = ?', [id]);

export const listAccessKeys = (db: Queryable) =>
  queryRows<AccessKeyRow>(db, 'SELECT * FROM mqtt_access_keys ORDER BY created_at DESC');

export const revokeAccessKey = (db: Queryable, id: string) =>
  execute(
    db,
    'UPDATE mqtt_access_keys SET revoked_at = CURRENT_TIMESTAMP(3) WHERE access_key_id = ? AND revoked_at IS NULL',
    [id],
  );

export const insertDeviceCredential = (db: Queryable, c: { id: string; clientId: string; sealed: string }) =>
  execute(
    db,
    'INSERT INTO mqtt_device_credentials (device_access_key_id, client_id, secret_sealed) VALUES (?, ?, ?)',
    [c.id, c.clientId, c.sealed],
  );

export const findDeviceCredential = (db: Queryable, id: string) =>
  queryOne<DeviceCredentialRow>(db, 'SELECT * FROM mqtt_device_credentials WHERE device_access_key_id = ?', [
    id,
  ]);

export const findDeviceCredentialByClient = (db: Queryable, clientId: string) =>
  queryOne<DeviceCredentialRow>(db, 'SELECT * FROM mqtt_device_credentials WHERE client_id = ? FOR UPDATE', [
    clientId,
  ]);

export const listDeviceCredentials = (db: Queryable) =>
  queryRows<DeviceCredentialRow>(db, 'SELECT * FROM mqtt_device_credentials ORDER BY client_id');

export const rotateDeviceCredential = (db: Queryable, id: string, sealed: string) =>
  execute(
    db,
    'UPDATE mqtt_device_credentials SET secret_sealed = ?, rotated_at = CURRENT_TIMESTAMP(3), revoked_at = NULL WHERE device_access_key_id = ?',
    [sealed, id],
  );

export const revokeDeviceCredential = (db: Queryable, id: string) =>
  execute(
    db,
    'UPDATE mqtt_device_credentials SET revoked_at = CURRENT_TIMESTAMP(3) WHERE device_access_key_id = ? AND revoked_at IS NULL',
    [id],
  );

export const deleteDeviceCredential = (db: Queryable, id: string) =>
  execute(db, 'DELETE FROM mqtt_device_credentials WHERE device_access_key_id = ?', [id]);

export async function insertToken(
  db: Queryable,
  t: { hash: string; accessKeyId: string; perms: string; expiresAt: Date; topics?: string[] | null },
) {
  const r = await execute(
    db,
    'INSERT INTO mqtt_tokens (token_hash, access_key_id, perms, expires_at, topics) VALUES (?, ?, ?, ?, ?)',
    [t.hash, t.accessKeyId, t.perms, t.expiresAt, t.topics?.length ? t.topics.join(' ') : null],
  );
  return String(r.insertId);
}

export const findTokenByHash = async (db: Queryable, hash: string) =>
  queryOne<TokenRow>(db, 'SELECT * FROM mqtt_tokens WHERE token_hash = ?', [hash]);

export const findToken = async (db: Queryable, id: string) =>
  queryOne<TokenRow>(db, 'SELECT * FROM mqtt_tokens WHERE id = ?', [id]);

export const listTokens = (db: Queryable) =>
  queryRows<TokenRow>(
    db,
    'SELECT id, access_key_id, perms, topics, expires_at, created_at, revoked_at FROM mqtt_tokens ORDER BY id DESC LIMIT 500',
  );

export const revokeToken = (db: Queryable, id: string) =>
  execute(
    db,
    'UPDATE mqtt_tokens SET revoked_at = CURRENT_TIMESTAMP(3) WHERE id = ? AND revoked_at IS NULL',
    [id],
  );

/** The Client IDs that hold a device credential that is not revoked. */
export const credentialHolders = async (db: Queryable) =>
  (
    await queryRows<{ client_id: string }>(
      db,
      'SELECT client_id FROM mqtt_device_credentials WHERE revoked_at IS NULL',
    )
  ).map((r) => r.client_id);

/** Whether the Client ID holds a device credential that is not revoked. */
export const clientHasDeviceCredential = async (db: Queryable, clientId: string) =>
  (
    await queryRows<{ n: number }>(
      db,
      'SELECT 1 AS n FROM mqtt_device_credentials WHERE client_id = ? AND revoked_at IS NULL',
      [clientId],
    )
  ).length > 0;
