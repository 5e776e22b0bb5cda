// Parent topics and Group IDs (migrations/003_broker_registry.sql).
import type { Queryable } from '../../server/db/pool.js';
import { execute, queryOne, queryRows } from '../../server/db/query.js';
import type { ClientClass } from '../permissions.js';

export interface ParentTopicRow {
  name: string;
  description: string;
  created_at: Date;
}
export interface GroupRow {
  group_id: string;
  description: string;
  client_class: ClientClass;
  created_at: Date;
}

export const listParentTopics = (db: Queryable) =>
  queryRows<ParentTopicRow>(db, 'SELECT name, description, created_at FROM mqtt_parent_topics ORDER BY name');

export const findParentTopic = (db: Queryable, name: string) =>
  queryOne<ParentTopicRow>(
    db,
    'SELECT name, description, created_at FROM mqtt_parent_topics WHERE name = ? FOR UPDATE',
    [name],
  );

export const insertParentTopic = (db: Queryable, name: string, description: string) =>
  execute(db, 'INSERT INTO mqtt_parent_topics (name, description) VALUES (?, ?)', [name, description]);

export const deleteParentTopic = (db: Queryable, name: string) =>
  execute(db, 'DELETE FROM mqtt_parent_topics WHERE name = ?', [name]);

/** Inserts the parent topic only when the table is empty (first start); true when it did. */
export async function insertFirstParentTopic(
  db: Queryable,
  name: string,
  description: string,
): Promise<boolean> {
  const r = await execute(
    db,
    `INSERT INTO mqtt_parent_topics (name, description)
       SELECT ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM mqtt_parent_topics)`,
    [name, description],
  );
  return r.affectedRows === 1;
}

export const listGroups = (db: Queryable) =>
  queryRows<GroupRow>(
    db,
    'SELECT group_id, description, client_class, created_at FROM mqtt_groups ORDER BY group_id',
  );

export const findGroup = (db: Queryable, groupId: string) =>
  queryOne<GroupRow>(
    db,
    'SELECT group_id, description, client_class, created_at FROM mqtt_groups WHERE group_id = ?',
    [groupId],
  );

export const findGroupForUpdate = (db: Queryable, groupId: string) =>
  queryOne<GroupRow>(
    db,
    'SELECT group_id, description, client_class, created_at FROM mqtt_groups WHERE group_id = ? FOR UPDATE',
    [groupId],
  );

export const insertGroup = (
  db: Queryable,
  groupId: string,
  description: string,
  clientClass: ClientClass = 'ap',
) =>
  execute(db, 'INSERT INTO mqtt_groups (group_id, description, client_class) VALUES (?, ?, ?)', [
    groupId,
    description,
    clientClass,
  ]);

export const setGroupClass = (db: Queryable, groupId: string, clientClass: ClientClass) =>
  execute(db, 'UPDATE mqtt_groups SET client_class = ? WHERE group_id = ?', [clientClass, groupId]);

export const deleteGroup = (db: Queryable, groupId: string) =>
  execute(db, 'DELETE FROM mqtt_groups WHERE group_id = ?', [groupId]);
