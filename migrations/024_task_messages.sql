-- In-flight state per task message instead of per item (server/tasks/README.md, "Writes per label").
-- A first send writes one task_messages row per message and moves its (task, group) cursor; the
-- items stay 'pending' in their rows until an answer (or a retry of their own) changes them, and
-- read as 'sent' while their id is at or below the cursor (task-query-repo.ts derives it).
-- task_groups: one row per (task, group) of an active task (deleted when the task ends): the id
-- range of its items and how far its first sends have gone.
CREATE TABLE task_groups (
  task_id BIGINT UNSIGNED NOT NULL,
  group_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  store_id INT UNSIGNED NOT NULL,
  items INT UNSIGNED NOT NULL,
  first_id BIGINT UNSIGNED NOT NULL,
  last_id BIGINT UNSIGNED NOT NULL,
  -- every pending item of the pair with id <= sent_to is in a sent task message
  sent_to BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (task_id, group_id),
  KEY ix_task_groups_group (group_id, task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per task message sent from the cursor: its items are the pending items of the
-- (task, group) with ids from_id..to_id. attempts / sent_at / msg_id / next_retry_at are theirs
-- while they are pending; answered_at is set once none of them is pending any more (or when the
-- task ends).
CREATE TABLE task_messages (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  task_id BIGINT UNSIGNED NOT NULL,
  group_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  from_id BIGINT UNSIGNED NOT NULL,
  to_id BIGINT UNSIGNED NOT NULL,
  msg_id CHAR(36) NOT NULL,
  attempts SMALLINT UNSIGNED NOT NULL DEFAULT 1,
  sent_at DATETIME(3) NOT NULL,
  next_retry_at DATETIME(3) NOT NULL,
  answered_at DATETIME(3) NULL,
  KEY ix_task_messages_item (task_id, group_id, from_id),
  -- the open ones (answered_at NULL) of a group, or of every group, by timeout
  KEY ix_task_messages_open (answered_at, group_id, next_retry_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The tasks running now keep going: their never-sent items get a cursor before their first id
-- (items already 'sent' or 'failed' keep their own retry state, as before).
INSERT INTO task_groups (task_id, group_id, store_id, items, first_id, last_id, sent_to)
SELECT i.task_id, i.group_id, MIN(i.store_id), COUNT(*), MIN(i.id), MAX(i.id), MIN(i.id) - 1
FROM task_items i JOIN tasks t ON t.id = i.task_id
WHERE t.state IN ('queued', 'in_progress')
GROUP BY i.task_id, i.group_id;

-- Each state change of an item rewrote its entries in three secondary indexes; now in one.
-- The dispatcher reaches a group's items of a running task through task_groups and
-- (task_id, state, group_id), whose ranges also hand them out in id order.
ALTER TABLE task_items
  ADD KEY ix_items_task_state_group (task_id, state, group_id),
  DROP INDEX ix_items_task_state,
  DROP INDEX ix_items_group_state,
  DROP INDEX ix_items_retry;
