// Server-side applications (migrations/015_client_classes.sql). Secrets arrive sealed
// (secret-box.ts); the built-in 'platform' row has none (its secret is PLATFORM_MQTT_SECRET).
import type { Queryable } from '../../server/db/pool.js';
import { execute, queryOne, queryRows } from '../../server/db/query.js';

export interface ApplicationRow {
  app_id: string;
  secret_sealed: string | null;
  description: string;
  builtin: number;
  created_at: Date;
  revoked_at: Date | null;
}

export const listApplications = (db: Queryable) =>
  queryRows<ApplicationRow>(db, 'SELECT * FROM mqtt_applications ORDER BY builtin DESC, created_at DESC');

export const findApplication = (db: Queryable, id: string) =>
  queryOne<ApplicationRow>(db, 'SELECT * FROM mqtt_applications WHERE app_id = ?', [id]);

export const findApplicationForUpdate = (db: Queryable, id: string) =>
  queryOne<ApplicationRow>(db, 'SELECT * FROM mqtt_applications WHERE app_id = ? FOR UPDATE', [id]);

export const insertApplication = (db: Queryable, a: { id: string; sealed: string; description: string }) =>
  execute(db, 'INSERT INTO mqtt_applications (app_id, secret_sealed, description) VALUES (?, ?, ?)', [
    a.id,
    a.sealed,
    a.description,
  ]);

export const revokeApplication = (db: Queryable, id: string) =>
  execute(
    db,
    'UPDATE mqtt_applications SET revoked_at = CURRENT_TIMESTAMP(3) WHERE app_id = ? AND builtin = 0 AND revoked_at IS NULL',
    [id],
  );
