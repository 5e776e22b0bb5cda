// The states of tasks and their items, and where a task comes from: declared once here and
// used by the repos, the services, the pages, the API schemas and the OpenAPI document.
// The CHECK constraints of `tasks` and `task_items` hold the same lists (a test compares them).

/**
 * queued: committed, its dispatch not yet planned; in_progress: dispatching and collecting acks;
 * completed: every item confirmed (or superseded); timed_out: the deadline passed with items
 * unconfirmed; cancelled: by an operator.
 */
export const TASK_STATES = ['queued', 'in_progress', 'completed', 'timed_out', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** Not yet final: the sweeper, cancel and the finisher act only on these. */
export const ACTIVE_TASK_STATES = ['queued', 'in_progress'] as const satisfies readonly TaskState[];
export type FinalTaskState = Exclude<TaskState, (typeof ACTIVE_TASK_STATES)[number]>;

/**
 * pending: not sent yet; sent: published, waiting for an ack; failed: an AP reported it could not
 * show it (retried until the deadline); confirmed: an AP of its group confirmed it; timed_out:
 * unconfirmed at the deadline; cancelled: its task was cancelled or a later task superseded it.
 */
export const ITEM_STATES = ['pending', 'sent', 'confirmed', 'failed', 'timed_out', 'cancelled'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

/** Items still to be delivered: dispatched, retried, superseded, timed out or cancelled from here. */
export const OPEN_ITEM_STATES = ['pending', 'sent', 'failed'] as const satisfies readonly ItemState[];
/** Open items that were sent at least once and wait for their retry time. */
export const RETRY_ITEM_STATES = ['sent', 'failed'] as const satisfies readonly ItemState[];
/** Items that did not confirm: what "retry the unconfirmed" sends again. */
export const UNCONFIRMED_ITEM_STATES = [
  'timed_out',
  'failed',
  'cancelled',
] as const satisfies readonly ItemState[];

/** Who asked for a task: the web UI, the REST API, a CSV import, a schedule, a promotion, or a retry of one. */
export const TASK_SOURCES = ['ui', 'api', 'import', 'schedule', 'promotion', 'retry'] as const;
export type TaskSource = (typeof TASK_SOURCES)[number];
