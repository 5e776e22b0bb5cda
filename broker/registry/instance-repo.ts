// The instance id, one row shared by every broker node.
import type { Queryable } from '../../server/db/pool.js';
import { execute, querySingle } from '../../server/db/query.js';

/** The stored instance id; the first caller's candidate wins, every later caller reads it. */
export async function ensureInstanceId(db: Queryable, candidate: string): Promise<string> {
  await execute(db, 'INSERT IGNORE INTO mqtt_instance (id, instance_id) VALUES (1, ?)', [candidate]);
  const row = await querySingle<{ instance_id: string }>(
    db,
    'SELECT instance_id FROM mqtt_instance WHERE id = 1',
  );
  return row.instance_id;
}

/** INSTANCE_ID from the config replaces the stored one (a deployment renamed on purpose). */
export const setInstanceId = (db: Queryable, id: string) =>
  execute(
    db,
    'INSERT INTO mqtt_instance (id, instance_id) VALUES (1, ?) ON DUPLICATE KEY UPDATE instance_id = VALUES(instance_id)',
    [id],
  );
