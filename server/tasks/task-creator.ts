// Turns a price change into a task: inside the caller's transaction (prices already
// updated there) it writes the task, one item per affected label and the audit record;
// after the caller commits, enqueue() hands the task to the dispatcher. If the process
// dies in between, the recovery sweep (task-sweeper.ts) enqueues it.
import type { Config } from '../config.js';
import type { Actor } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { ValidationError } from '../core/errors.js';
import type { Conn, Pool } from '../db/pool.js';
import type { TaskSource } from './states.js';
import {
  deleteTask,
  insertItemsForLabels,
  insertItemsForStore,
  insertTask,
  insertTaskGroups,
  storeCounts,
  supersedeOpenItems,
  extendDeadline,
  markUrgent,
} from './task-create-repo.js';
import { quietOfTaskStores } from './quiet-hours-repo.js';
import { quietHoldUntil } from './quiet-hours.js';

export interface PriceChangeTarget {
  storeId: number;
  productId: number;
  /** its labels go at once, even during the store's quiet hours */
  urgent?: boolean;
}

export interface CreateTaskOptions {
  source: TaskSource;
  note?: string;
  deadlineSeconds?: number;
  /** the task whose failed items this one retries */
  parentTaskId?: string;
}

export interface CreatedTask {
  taskId: string;
  items: number;
}

// Products per INSERT ... SELECT: keeps each IN list to a size the optimiser turns into index ranges.
const TARGET_CHUNK = 1000;
const MAX_DEADLINE_SECONDS = 7 * 24 * 3600;

export class TaskCreator {
  constructor(
    // Part of the constructor the catalog codes against; every write here runs on the caller's connection.
    readonly pool: Pool,
    private readonly config: Pick<Config, 'TASK_DEFAULT_DEADLINE_SECONDS'>,
    private readonly enqueueFn: (taskId: string) => Promise<void>,
  ) {}

  /** One task, one item per label bound to an affected (store, product), the audit record; null when no label is affected. */
  async createInTx(
    conn: Conn,
    actor: Actor,
    targets: PriceChangeTarget[],
    opts: CreateTaskOptions,
  ): Promise<CreatedTask | null> {
    const byStore = productsByStore(targets);
    if (byStore.size === 0) return null;
    const taskId = await insertTask(conn, this.taskRow(actor, opts));
    let items = 0;
    let pairs = 0;
    for (const [storeId, products] of byStore) {
      pairs += products.length;
      for (let i = 0; i < products.length; i += TARGET_CHUNK) {
        items += await insertItemsForStore(conn, taskId, storeId, products.slice(i, i + TARGET_CHUNK));
      }
    }
    for (const [storeId, products] of productsByStore(targets.filter((t) => t.urgent)))
      for (let i = 0; i < products.length; i += TARGET_CHUNK)
        await markUrgent(conn, taskId, storeId, products.slice(i, i + TARGET_CHUNK));
    return this.finish(conn, actor, taskId, items, opts, { targets: pairs });
  }

  /** Same, for explicit labels (retrying a task's failed items with their current prices). */
  async createForLabelsInTx(
    conn: Conn,
    actor: Actor,
    labelIds: string[],
    opts: CreateTaskOptions,
  ): Promise<CreatedTask | null> {
    const ids = [...new Set(labelIds)];
    if (ids.length === 0) return null;
    const taskId = await insertTask(conn, this.taskRow(actor, opts));
    let items = 0;
    for (let i = 0; i < ids.length; i += TARGET_CHUNK)
      items += await insertItemsForLabels(conn, taskId, ids.slice(i, i + TARGET_CHUNK));
    return this.finish(conn, actor, taskId, items, opts, { labels: ids.length });
  }

  /** After commit. */
  async enqueue(taskId: string): Promise<void> {
    await this.enqueueFn(taskId);
  }

  private taskRow(actor: Actor, opts: CreateTaskOptions) {
    const deadlineSeconds = opts.deadlineSeconds ?? this.config.TASK_DEFAULT_DEADLINE_SECONDS;
    if (!Number.isInteger(deadlineSeconds) || deadlineSeconds < 1 || deadlineSeconds > MAX_DEADLINE_SECONDS) {
      throw new ValidationError(
        `The deadline must be a whole number of seconds between 1 and ${MAX_DEADLINE_SECONDS}.`,
        {
          deadlineSeconds: 'out of range',
        },
      );
    }
    return {
      source: opts.source,
      createdBy: actor.name,
      requestId: actor.requestId ?? null,
      note: opts.note ?? '',
      deadlineSeconds,
      parentTaskId: opts.parentTaskId ?? null,
    };
  }

  private async finish(
    conn: Conn,
    actor: Actor,
    taskId: string,
    items: number,
    opts: CreateTaskOptions,
    asked: Record<string, number>,
  ) {
    if (items === 0) {
      // Nothing to show on any shelf: no task at all (the id is simply skipped).
      await deleteTask(conn, taskId);
      return null;
    }
    await insertTaskGroups(conn, taskId);
    const superseded = await supersedeOpenItems(conn, taskId);
    // Items held by a store's quiet hours get their whole time to confirm after the window ends.
    const deadlineSeconds = opts.deadlineSeconds ?? this.config.TASK_DEFAULT_DEADLINE_SECONDS;
    const now = new Date();
    const holds = (await quietOfTaskStores(conn, taskId))
      .map((w) => quietHoldUntil(w, now, deadlineSeconds))
      .filter((d): d is Date => d !== null);
    if (holds.length)
      await extendDeadline(
        conn,
        taskId,
        new Date(Math.max(...holds.map((d) => d.getTime())) + deadlineSeconds * 1000),
      );
    const stores = await storeCounts(conn, taskId);
    await appendAudit(conn, actor, [
      {
        action: 'task.created',
        objectType: 'task',
        objectId: taskId,
        refs: { task: taskId, store: stores.map((s) => s.storeId), parent: opts.parentTaskId },
        summary: `task ${taskId}: ${items} label(s) in ${stores.length} store(s), source ${opts.source}`,
        after: { source: opts.source, note: opts.note ?? '', items, superseded, ...asked, stores },
      },
    ]);
    return { taskId, items };
  }
}

/** Distinct product ids per store, in store order; every target checked first. */
function productsByStore(targets: PriceChangeTarget[]): Map<number, number[]> {
  const sets = new Map<number, Set<number>>();
  for (const t of targets) {
    if (!Number.isInteger(t.storeId) || !Number.isInteger(t.productId) || t.storeId < 1 || t.productId < 1) {
      throw new ValidationError('A price-change target needs a positive integer storeId and productId.', {
        targets: 'invalid',
      });
    }
    (sets.get(t.storeId) ?? sets.set(t.storeId, new Set()).get(t.storeId)!).add(t.productId);
  }
  return new Map([...sets].sort((a, b) => a[0] - b[0]).map(([s, p]) => [s, [...p]]));
}
