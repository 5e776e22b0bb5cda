-- Task states as the code uses them (server/tasks/states.ts): 'dispatching' and 'failed' were
-- never set by any code and go. A row in either (written by hand) is mapped first, so the new
-- constraint can be added: 'dispatching' meant dispatch had begun (in_progress), 'failed' is
-- taken as an ended task that did not complete (cancelled).
-- The task's source gets its constraint too: the same list as TASK_SOURCES.
UPDATE tasks SET state = 'in_progress' WHERE state = 'dispatching';
UPDATE tasks SET state = 'cancelled', finished_at = COALESCE(finished_at, CURRENT_TIMESTAMP(3)) WHERE state = 'failed';

ALTER TABLE tasks DROP CONSTRAINT chk_tasks_state;

ALTER TABLE tasks
  ADD CONSTRAINT chk_tasks_state2 CHECK (state IN ('queued', 'in_progress', 'completed', 'timed_out', 'cancelled')),
  ADD CONSTRAINT chk_tasks_source CHECK (source IN ('ui', 'api', 'import', 'schedule', 'promotion', 'retry'));
