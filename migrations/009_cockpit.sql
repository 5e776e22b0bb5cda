-- The operations cockpit. A task's outcome is kept on its row when it ends (written once, in the
-- transaction that ends it), so the dashboard's success rate and time-to-confirm over time read a
-- few rows by finished_at instead of counting every item of every recent task per request.
ALTER TABLE tasks
  ADD COLUMN items_total INT UNSIGNED NULL,
  ADD COLUMN items_confirmed INT UNSIGNED NULL,
  ADD COLUMN items_timed_out INT UNSIGNED NULL,
  ADD COLUMN items_cancelled INT UNSIGNED NULL,
  ADD COLUMN confirm_avg_ms BIGINT UNSIGNED NULL,
  ADD COLUMN confirm_max_ms BIGINT UNSIGNED NULL;

CREATE INDEX ix_tasks_finished ON tasks (finished_at);
