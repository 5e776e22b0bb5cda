// Task use cases for the pages and the API: read, cancel, retry what did not confirm.
import type { Actor } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../core/errors.js';
import { outOfScopeMessage, scopeIds } from '../core/identity.js';
import type { Pool } from '../db/pool.js';
import type { TaskCreator } from './task-creator.js';
import type { TaskFinisher } from './task-finisher.js';
import { apsOfGroups, openItemBuckets } from './diagnosis-repo.js';
import {
  classify,
  combine,
  storeParts,
  type BlockReason,
  type Diagnosis,
  type StorePart,
} from './task-diagnosis.js';
import {
  activeTasks,
  apBreakdown,
  countsFor,
  findTask,
  listItems,
  listTasks,
  storeChoices,
  taskStoreOutside,
  taskTouchesStores,
  unconfirmedLabels,
  type ItemRow,
  type TaskRow,
} from './task-query-repo.js';
import { ACTIVE_TASK_STATES, OPEN_ITEM_STATES } from './states.js';
import { withTxRetry } from '../db/tx-retry.js';

export { ITEM_STATES, TASK_STATES } from './states.js';
const ACTIVE = new Set<string>(ACTIVE_TASK_STATES);
const OPEN_ITEM = new Set<string>(OPEN_ITEM_STATES);

export interface TaskProgress {
  task: TaskRow;
  counts: Record<string, number>;
  total: number;
  /** items in a final state (confirmed, timed out, cancelled) */
  done: number;
  active: boolean;
  /** for a running task: what blocks its labels and the deadline forecast */
  diagnosis?: Diagnosis;
}

export type TaskItem = ItemRow & { blocked: BlockReason | null };

/** How many active tasks the stuck filter and the dashboard look at. */
const ACTIVE_SCAN = 200;
const DIAGNOSIS_TTL_MS = 2000;

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
  private readonly diagnoses = new Map<
    string,
    { until: number; value: Promise<{ parts: Map<number, StorePart> }> }
  >();

  constructor(
    private readonly pool: Pool,
    private readonly creator: TaskCreator,
    private readonly finisher: TaskFinisher,
  ) {}

  /** A page of tasks; running ones with their diagnosis. `stuck`: only running tasks that will miss labels. */
  /**
   * A page of the tasks the actor may see (those with a label in its stores; their counts, rows and
   * diagnosis only of those stores); running ones with their diagnosis. `stuck`: only running
   * tasks that will miss labels. `storeId`: tasks with a label in that store. `beforeId`: the
   * API's keyset page (tasks older than this one).
   */
  async list(
    f: {
      state?: string;
      finishedSince?: Date;
      stuck?: boolean;
      storeId?: number | null;
      limit: number;
      offset: number;
      beforeId?: string;
      source?: string;
    },
    actor?: Actor,
  ): Promise<TaskProgress[]> {
    const scope = scopeIds(actor);
    if (f.stuck) {
      const stuck = (await this.active(actor, f.storeId)).filter((p) => p.diagnosis!.forecast.willMiss > 0);
      return stuck.slice(f.offset, f.offset + f.limit);
    }
    const tasks = await listTasks(this.pool, { ...f, scope });
    return this.withProgress(tasks, scope);
  }

  /** Every running task the actor may see (up to ACTIVE_SCAN, newest first) with its progress and diagnosis. */
  async active(actor?: Actor, storeId?: number | null): Promise<TaskProgress[]> {
    const scope = scopeIds(actor);
    const rows = storeId
      ? await listTasks(this.pool, { state: undefined, scope, storeId, limit: ACTIVE_SCAN, offset: 0 })
      : await activeTasks(this.pool, ACTIVE_SCAN, scope);
    return this.withProgress(
      rows.filter((t) => ACTIVE.has(t.state)),
      scope,
    );
  }

  private async withProgress(tasks: TaskRow[], scope: number[] | null = null): Promise<TaskProgress[]> {
    const counts = await countsFor(
      this.pool,
      tasks.map((t) => t.id),
      scope,
    );
    const out = tasks.map((t) => this.progressOf(t, counts.get(t.id) ?? {}));
    for (const p of out) if (p.active) p.diagnosis = await this.scopedDiagnosis(p, scope);
    return out;
  }

  /** The stores the actor may filter the task list by. */
  storeChoices(actor?: Actor) {
    return storeChoices(this.pool, scopeIds(actor));
  }

  /** A task the actor may see: one without a label in its stores is not found. */
  private async visibleTask(id: string, actor?: Actor): Promise<TaskRow> {
    const task = await findTask(this.pool, id);
    const scope = scopeIds(actor);
    if (!task || (scope && !(await taskTouchesStores(this.pool, id, scope))))
      throw new NotFoundError(`No task ${id}.`);
    return task;
  }

  /** The task's row, if the actor may see the task (else not found): a primary-key read (and, for a store-scoped reader, whether the task touches its stores). */
  async row(id: string, actor?: Actor): Promise<TaskRow> {
    return this.visibleTask(id, actor);
  }

  async progress(id: string, actor?: Actor): Promise<TaskProgress> {
    const task = await this.visibleTask(id, actor);
    const scope = scopeIds(actor);
    const p = this.progressOf(task, (await countsFor(this.pool, [id], scope)).get(id) ?? {});
    if (p.active) p.diagnosis = await this.scopedDiagnosis(p, scope);
    return p;
  }

  /**
   * The diagnosis as a reader sees it: a scoped reader's counts only its stores' labels (their
   * blocked entries, open and blocked totals, and the pace of their confirmations, `p.counts`
   * being theirs), summed from the task's cached per-store parts without another query.
   */
  private async scopedDiagnosis(p: TaskProgress, scope: number[] | null): Promise<Diagnosis> {
    const { parts } = await this.diagnosisOf(p);
    const mine = scope ? [...parts.values()].filter((x) => scope.includes(x.storeId)) : parts.values();
    // The pace is `p.counts`' confirmations (read now) over the time up to now, not up to when the
    // cached parts were taken (up to a few seconds ago), which would overstate it.
    return combine({ parts: mine, task: p.task, confirmed: p.counts.confirmed ?? 0, now: new Date() });
  }

  /** Refuses a change to a task with labels of a store outside the actor's scope (403 naming it). */
  private async assertTaskInScope(id: string, actor: Actor, labels?: string[]) {
    const scope = scopeIds(actor);
    if (!scope) return;
    const outside = await taskStoreOutside(this.pool, id, scope, labels);
    if (outside) throw new ForbiddenError(`Task ${id}: ${outOfScopeMessage(outside)}`);
  }

  /**
   * A running task's diagnosis, computed once at a time and kept for DIAGNOSIS_TTL_MS or ten times
   * what it took, whichever is longer: every open task page streams it each second and the
   * dashboard asks for every running task, while it groups all of the task's open items (about
   * 0.4 s for 50,000 open items, `npm run bench:dashboard`). So it costs at most a tenth of the
   * database's time per running task, however many people watch. Kept store by store, so that
   * every store scope's diagnosis is a sum over the same parts.
   */
  private diagnosisOf(p: TaskProgress): Promise<{ parts: Map<number, StorePart> }> {
    const id = p.task.id;
    const had = this.diagnoses.get(id);
    if (had && Date.now() < had.until) return had.value;
    const t0 = Date.now();
    const value = (async () => {
      const buckets = await openItemBuckets(this.pool, id);
      const groups = await apsOfGroups(this.pool, [...new Set(buckets.map((b) => b.groupId))]);
      return { parts: storeParts({ buckets, groups, task: p.task, now: new Date() }) };
    })();
    const entry = { until: Number.POSITIVE_INFINITY, value };
    value.then(
      () => (entry.until = Date.now() + Math.max(DIAGNOSIS_TTL_MS, (Date.now() - t0) * 10)),
      () => this.diagnoses.delete(id),
    );
    this.diagnoses.set(id, entry);
    // forget tasks nobody asked about for a while
    if (this.diagnoses.size > 1000)
      for (const [k, v] of this.diagnoses) if (Date.now() > v.until) this.diagnoses.delete(k);
    return value;
  }

  private progressOf(task: TaskRow, counts: Record<string, number>): TaskProgress {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const done = (counts.confirmed ?? 0) + (counts.timed_out ?? 0) + (counts.cancelled ?? 0);
    return { task, counts, total, done, active: ACTIVE.has(task.state) };
  }

  async breakdown(id: string, actor?: Actor) {
    return apBreakdown(this.pool, id, scopeIds(actor));
  }

  /** A page of a task's items (of the actor's stores); each open one names what blocks it, if anything. */
  async items(
    id: string,
    f: { state?: string; limit: number; offset: number; afterId?: string },
    actor?: Actor,
  ): Promise<TaskItem[]> {
    await this.visibleTask(id, actor);
    const rows = await listItems(this.pool, id, { ...f, scope: scopeIds(actor) });
    const open = rows.filter((r) => OPEN_ITEM.has(r.state));
    const groups = await apsOfGroups(this.pool, [...new Set(open.map((r) => r.groupId))]);
    return rows.map((r) => ({
      ...r,
      blocked: OPEN_ITEM.has(r.state) ? (classify(r, groups.get(r.groupId))?.reason ?? null) : null,
    }));
  }

  async cancel(id: string, actor: Actor) {
    await this.progress(id, actor);
    // Cancelling stops every label of the task: a task reaching another store is not the actor's to stop.
    await this.assertTaskInScope(id, actor);
    const r = await this.finisher.cancel(id, actor);
    if (!r) throw new ConflictError(`Task ${id} has already finished.`);
    return r;
  }

  /**
   * A new task (source 'retry') for the labels that did not confirm (failed, timed out, or
   * cancelled but not superseded), with the prices in force now; `only` narrows it to some labels.
   */
  async retryFailed(id: string, actor: Actor, only?: string[]): Promise<{ taskId: string; items: number }> {
    const p = await this.progress(id, actor);
    await this.assertTaskInScope(id, actor, only);
    if (p.active)
      throw new ConflictError(`Task ${id} is still running; failed labels are retried until its deadline.`);
    const created = await withTxRetry(this.pool, async (c) => {
      const labels = await unconfirmedLabels(c, id, only);
      if (!labels.length)
        throw new ConflictError(
          only
            ? `Those labels of task ${id} were confirmed, superseded by a newer task, or are not in it.`
            : `Task ${id} has no unconfirmed labels to re-send.`,
        );
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
