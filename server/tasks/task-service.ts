// Task use cases for the pages and the API: read, cancel, retry what did not confirm.
import type { Actor } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Pool } from '../db/pool.js';
import type { TaskCreator } from './task-creator.js';
import type { TaskFinisher } from './task-finisher.js';
import {
  apBreakdown,
  countsFor,
  findTask,
  listItems,
  listTasks,
  unconfirmedLabels,
  type TaskRow,
} from './task-query-repo.js';
import { ACTIVE_TASK_STATES } from './states.js';
import { withTxRetry } from '../db/tx-retry.js';

export { ITEM_STATES, TASK_STATES } from './states.js';
const ACTIVE = new Set<string>(ACTIVE_TASK_STATES);

export interface TaskProgress {
  task: TaskRow;
  counts: Record<string, number>;
  total: number;
  done: number;
  active: boolean;
}

export function parseTaskId(raw: unknown): string {
  const s = String(raw ?? '');
  if (!/^[1-9][0-9]{0,18}$/.test(s)) throw new NotFoundError('No such task.');
  return s;
}

export function parsePage(
  raw: { page?: unknown; pageSize?: unknown; state?: unknown },
  states: readonly string[],
  maxSize = 500,
) {
  const page = raw.page === undefined ? 1 : Number(raw.page);
  const pageSize = raw.pageSize === undefined ? 100 : Number(raw.pageSize);
  const fields: Record<string, string> = {};
  if (!Number.isInteger(page) || page < 1 || page > 100_000) fields.page = 'must be a whole number from 1';
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > maxSize)
    fields.pageSize = `must be a whole number from 1 to ${maxSize}`;
  const state = raw.state === undefined || raw.state === '' ? undefined : String(raw.state);
  if (state !== undefined && !states.includes(state)) fields.state = `must be one of ${states.join(', ')}`;
  if (Object.keys(fields).length) throw new ValidationError('Invalid paging or filter.', fields);
  return { page, pageSize, state, limit: pageSize, offset: (page - 1) * pageSize };
}

export class TaskService {
  constructor(
    private readonly pool: Pool,
    private readonly creator: TaskCreator,
    private readonly finisher: TaskFinisher,
  ) {}

  async list(f: { state?: string; limit: number; offset: number }) {
    const tasks = await listTasks(this.pool, f);
    const counts = await countsFor(
      this.pool,
      tasks.map((t) => t.id),
    );
    return tasks.map((t) => this.progressOf(t, counts.get(t.id) ?? {}));
  }

  async progress(id: string): Promise<TaskProgress> {
    const task = await findTask(this.pool, id);
    if (!task) throw new NotFoundError(`No task ${id}.`);
    return this.progressOf(task, (await countsFor(this.pool, [id])).get(id) ?? {});
  }

  private progressOf(task: TaskRow, counts: Record<string, number>): TaskProgress {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const done = (counts.confirmed ?? 0) + (counts.timed_out ?? 0) + (counts.cancelled ?? 0);
    return { task, counts, total, done, active: ACTIVE.has(task.state) };
  }

  async breakdown(id: string) {
    return apBreakdown(this.pool, id);
  }

  async items(id: string, f: { state?: string; limit: number; offset: number }) {
    await this.progress(id);
    return listItems(this.pool, id, f);
  }

  async cancel(id: string, actor: Actor) {
    await this.progress(id);
    const r = await this.finisher.cancel(id, actor);
    if (!r) throw new ConflictError(`Task ${id} has already finished.`);
    return r;
  }

  /** A new task (source 'retry') for the labels that did not confirm, with the prices in force now. */
  async retryFailed(id: string, actor: Actor): Promise<{ taskId: string; items: number }> {
    const p = await this.progress(id);
    if (p.active)
      throw new ConflictError(`Task ${id} is still running; failed labels are retried until its deadline.`);
    const created = await withTxRetry(this.pool, async (c) => {
      const labels = await unconfirmedLabels(c, id);
      if (!labels.length) throw new ConflictError(`Task ${id} has no failed or timed-out labels to retry.`);
      const t = await this.creator.createForLabelsInTx(c, actor, labels, {
        source: 'retry',
        parentTaskId: id,
        note: `retry of task ${id}`,
      });
      if (!t) throw new ConflictError('None of those labels is still bound to a priced product.');
      await appendAudit(c, actor, [
        {
          action: 'task.retried',
          objectType: 'task',
          objectId: id,
          refs: { task: [id, t.taskId] },
          summary: `task ${id}: ${t.items} label(s) retried as task ${t.taskId}`,
          after: { retryTask: t.taskId, items: t.items },
        },
      ]);
      return t;
    });
    await this.creator.enqueue(created.taskId);
    return created;
  }
}
