// What the catalog needs from the price-change pipeline (server/tasks/task-creator.ts).
// Declared here structurally so the catalog depends on the shape, not on the module:
// the platform hands in the pipeline's TaskCreator, which satisfies it.
import type { Actor } from '../audit/audit-chain.js';
import type { Conn } from '../db/pool.js';

/** The sources the catalog creates tasks with: part of the pipeline's TASK_SOURCES (server/tasks/states.ts). */
export type TaskSource = 'ui' | 'api' | 'import' | 'schedule' | 'promotion';

export interface PriceTaskCreator {
  /** Writes a task and one item per label showing any of the targets, inside the caller's transaction. Null when no label is affected. */
  createInTx(
    conn: Conn,
    actor: Actor,
    targets: { storeId: number; productId: number; urgent?: boolean }[],
    opts: { source: TaskSource; note?: string; deadlineSeconds?: number },
  ): Promise<{ taskId: string; items: number } | null>;
  /** Queues the dispatch of a committed task. */
  enqueue(taskId: string): Promise<unknown>;
}
