// Ends tasks: when nothing is left open (completed, or timed out if any item timed out),
// when the deadline passes (open items time out with the reason), or when cancelled.
// Each end is one transaction with its audit record, serialised on the task's row.
import type { Actor } from '../audit/audit-chain.js';
import { SYSTEM_ACTOR } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Pool } from '../db/pool.js';
import { hasOpenItems } from './ack-repo.js';
import { cancelItems, finishTask, itemCounts, lockActiveTask, timeOutItems } from './task-state-repo.js';
import type { FinalTaskState } from './states.js';
import { withTxRetry } from '../db/tx-retry.js';
import { recordEvent } from '../webhooks/events.js';

export type FinalState = FinalTaskState;

export class TaskFinisher {
  constructor(private readonly pool: Pool) {}

  /** Finishes the task if no item is open; returns its final state, or null. */
  async completeIfDrained(taskId: string): Promise<FinalState | null> {
    // Checked first without the task's row lock: after most ack batches the task still has open
    // items, and concurrent batches would otherwise queue on that lock just to learn so.
    if (await hasOpenItems(this.pool, taskId)) return null;
    return withTxRetry(this.pool, async (c) => {
      if (!(await lockActiveTask(c, taskId))) return null;
      if (await hasOpenItems(c, taskId)) return null;
      const counts = await itemCounts(c, taskId);
      const state: FinalState = counts.timed_out ? 'timed_out' : 'completed';
      await finishTask(c, taskId, state);
      await recordEvent(c, `task.${state}`, { taskId, state, items: counts });
      await appendAudit(c, SYSTEM_ACTOR, [
        {
          action: state === 'completed' ? 'task.completed' : 'task.timed_out',
          objectType: 'task',
          objectId: taskId,
          refs: { task: taskId },
          summary: `task ${taskId} ${state}`,
          after: counts,
        },
      ]);
      return state;
    });
  }

  /** Deadline passed: every open item times out with the reason. */
  async timeOut(taskId: string): Promise<boolean> {
    return withTxRetry(this.pool, async (c) => {
      if (!(await lockActiveTask(c, taskId))) return false;
      const timedOut = await timeOutItems(c, taskId);
      const counts = await itemCounts(c, taskId);
      const state: FinalState = timedOut || counts.timed_out ? 'timed_out' : 'completed';
      await finishTask(c, taskId, state);
      await recordEvent(c, `task.${state}`, { taskId, state, items: counts });
      await appendAudit(c, SYSTEM_ACTOR, [
        {
          action: state === 'completed' ? 'task.completed' : 'task.timed_out',
          objectType: 'task',
          objectId: taskId,
          refs: { task: taskId },
          summary:
            state === 'completed'
              ? `task ${taskId} completed`
              : `task ${taskId} timed out: ${timedOut} label(s) unconfirmed at the deadline`,
          after: counts,
        },
      ]);
      return true;
    });
  }

  /** Stops a task: open items end cancelled (labels already updated stay as they are). */
  async cancel(taskId: string, actor: Actor): Promise<{ cancelled: number } | null> {
    return withTxRetry(this.pool, async (c) => {
      if (!(await lockActiveTask(c, taskId))) return null;
      const cancelled = await cancelItems(c, taskId, `cancelled by ${actor.name}`);
      await finishTask(c, taskId, 'cancelled');
      const counts = await itemCounts(c, taskId);
      await appendAudit(c, actor, [
        {
          action: 'task.cancelled',
          objectType: 'task',
          objectId: taskId,
          refs: { task: taskId },
          summary: `task ${taskId} cancelled: ${cancelled} open label(s) stopped`,
          after: counts,
        },
      ]);
      return { cancelled };
    });
  }
}
