// Parent topics and Group IDs (migrations/003_broker_registry.sql).
import type { Queryable } from '../../server/db/pool.js';
import { exec, rows } from './rows.js';

export interface ParentTopicRow {
  name: string;
  description: string;
  created_at: Date;
}
export interface GroupRow {
  group_id: string;
  description: string;
  created_at: Date;
}

export const listParentTopics = (db: Queryable) =>
  rows<ParentTopicRow>(db, 'SELECT name, description, created_at FROM mqtt_parent_topics ORDER BY name');

export const findParentTopic = async (db: Queryable, name: string) =>
  (
    await rows<ParentTopicRow>(
      db,
      'SELECT name, description, created_at FROM mqtt_parent_topics WHERE name = ? FOR UPDATE',
      [name],
    )
  )[0] ?? null;

export const insertParentTopic = (db: Queryable, name: string, description: string) =>
  exec(db, 'INSERT INTO mqtt_parent_topics (name, description) VALUES (?, ?)', [name, description]);

export const deleteParentTopic = (db: Queryable, name: string) =>
  exec(db, 'DELETE FROM mqtt_parent_topics WHERE name = ?', [name]);

/** Inserts the parent topic only when the table is empty (first start); true when it did. */
export async function insertFirstParentTopic(
  db: Queryable,
  name: string,
  description: string,
): Promise<boolean> {
  const r = await exec(
    db,
    `INSERT INTO mqtt_parent_topics (name, description)
       SELECT ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM mqtt_parent_topics)`,
    [name, description],
  );
  return r.affectedRows === 1;
}

export const listGroups = (db: Queryable) =>
  rows<GroupRow>(db, 'SELECT group_id, description, created_at FROM mqtt_groups ORDER BY group_id');

export const findGroup = async (db: Queryable, groupId: string) =>
  (
    await rows<GroupRow>(db, 'SELECT group_id, description, created_at FROM mqtt_groups WHERE group_id = ?', [
      groupId,
    ])
  )[0] ?? null;

export const insertGroup = (db: Queryable, groupId: string, description: string) =>
  exec(db, 'INSERT INTO mqtt_groups (group_id, description) VALUES (?, ?)', [groupId, description]);

export const deleteGroup = (db: Queryable, groupId: string) =>
  exec(db, 'DELETE FROM mqtt_groups WHERE group_id = ?', [groupId]);
