// Task pages: the list (running tasks with what blocks them, live), one task with live progress,
// per-label rows and the diagnosis (server-sent events), cancel, re-send what did not confirm.
// Operators and admins act; auditors read.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import type { LiveHub } from '../core/live-hub.js';
import { scopeIds, type Actor } from '../core/identity.js';
import {
  ITEM_STATES,
  TASK_STATES,
  parsePage,
  parseTaskId,
  type TaskItem,
  type TaskProgress,
  type TaskService,
} from './task-service.js';
import { barSegments, blockSummary, liveJson, outcome, stateNames } from './task-view.js';

const EVENT_INTERVAL_MS = 1000;
const ITEMS_PER_PAGE = 100;
/** How old a shared live snapshot a task page may be rendered from (its stream then updates it). */
const SHARED_PAGE_MS = 10_000;
const TASKS_PER_PAGE = 25;

const startOfUtcDay = (d = new Date()) =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/** The task list's store filter (a store id), or null. */
const storeFilter = (req: Request) =>
  typeof req.query.store === 'string' && /^[0-9]{1,9}$/.test(req.query.store)
    ? Number(req.query.store)
    : null;

function listFilter(q: Request['query']) {
  const p = parsePage({ page: q.page, pageSize: TASKS_PER_PAGE, state: q.state }, TASK_STATES);
  const finished = typeof q.finished === 'string' ? q.finished : '';
  const stuck = typeof q.stuck === 'string' ? q.stuck : '';
  const fields: Record<string, string> = {};
  if (finished !== '' && finished !== 'today') fields.finished = 'must be today or empty';
  if (stuck !== '' && stuck !== '1') fields.stuck = 'must be 1 or empty';
  if (Object.keys(fields).length) throw new ValidationError('Invalid filter.', fields);
  return {
    ...p,
    finishedSince: finished ? startOfUtcDay() : undefined,
    stuck: stuck === '1',
    form: { state: p.state ?? '', finished, stuck, store: typeof q.store === 'string' ? q.store : '' },
  };
}

/** Whether a snapshot's task row is the current one: the fields an action or the task's end changes. */
const sameTaskRow = (a: TaskProgress['task'], b: TaskProgress['task']) =>
  a.state === b.state &&
  +a.deadlineAt === +b.deadlineAt &&
  +(a.dispatchedAt ?? 0) === +(b.dispatchedAt ?? 0) &&
  +(a.finishedAt ?? 0) === +(b.finishedAt ?? 0);

/** What a task page's live event is made of: computed once per tick for all its viewers. */
interface LiveSnapshot {
  progress: TaskProgress;
  breakdown: Awaited<ReturnType<TaskService['breakdown']>>;
  items: TaskItem[];
}

export function taskRoutes(tasks: TaskService, live: LiveHub) {
  const formatted = new WeakMap<LiveSnapshot, Map<string, Buffer>>();
  // One topic per task, page, filter and store scope: a scoped viewer's snapshot counts and lists
  // its stores only (and is refused for a task outside them), so it is never shared with another scope.
  const topicOf = (id: string, p: { page: number; state?: string }, actor?: Actor) => {
    const scope = scopeIds(actor);
    return `task:${id}:${p.page}:${p.state ?? ''}:${scope ? [...scope].sort((a, b) => a - b).join(',') : '*'}`;
  };
  const liveTopic = (id: string, p: Parameters<TaskService['items']>[1], actor?: Actor) => ({
    intervalMs: EVENT_INTERVAL_MS,
    compute: async (): Promise<LiveSnapshot> => {
      const [progress, breakdown, items] = await Promise.all([
        tasks.progress(id, actor),
        tasks.breakdown(id, actor),
        tasks.items(id, p, actor),
      ]);
      return { progress, breakdown, items };
    },
    final: (s: LiveSnapshot) => !s.progress.active,
  });
  return (app: Router) => {
    const read = requireRole('admin', 'operator', 'auditor');
    const act = requireRole('admin', 'operator');
    const names = (req: Request) => ({
      names: stateNames(req.t),
      outcome: (p: Parameters<typeof outcome>[0]) => outcome(p, req.t),
      blockSummary: (d: Parameters<typeof blockSummary>[0]) => blockSummary(d, req.t),
      barSegments,
    });
    // The live events write times and money as the page does (res.locals: the reader's language and zone).
    const fmt = (res: Response) => ({
      time: (d: Date, zone?: string) => (res.locals.fmtTime as (d: Date, z?: string) => string)(d, zone),
      money: (amount: string, currency: string) =>
        (res.locals.fmtMoney as (a: string, c: string) => string)(amount, currency),
    });

    app.get('/tasks', read, async (req: Request, res: Response) => {
      const f = listFilter(req.query);
      const query = new URLSearchParams(f.form).toString();
      res.render('tasks/list', {
        title: req.t('tasks.title'),
        list: await tasks.list({ ...f, storeId: storeFilter(req) }, req.actor),
        page: f.page,
        form: f.form,
        query,
        pageSize: TASKS_PER_PAGE,
        states: TASK_STATES,
        stores: await tasks.storeChoices(req.actor),
        ...names(req),
      });
    });

    // The task list's live part: every running task's progress and diagnosis (polled by tasks.js).
    app.get('/tasks/active.json', read, async (req: Request, res: Response) => {
      const active = await tasks.active(req.actor);
      res.set('cache-control', 'no-store');
      res.json({
        tasks: active.map((p) => ({
          id: p.task.id,
          ...liveJson(p, [], null, req.t, fmt(res)),
          summary: blockSummary(p.diagnosis, req.t),
        })),
      });
    });

    app.get('/tasks/:id', read, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parsePage(
        { page: req.query.page, pageSize: ITEMS_PER_PAGE, state: req.query.state },
        ITEM_STATES,
      );
      // The snapshot this page's live viewers share, while it is recent (SHARED_PAGE_MS) and its
      // task row is still the database's, else the topic's current one (computed once for every
      // request and viewer waiting on it) with the same check; when the row changed (an action or
      // the task's end: a page read right after a cancel must show it), one computed for this
      // request. With viewers open, a page view costs a read of the task row (and the scope check)
      // instead of the aggregates over the task's items, and never waits for a computation that a
      // loaded database makes slow: the page's own stream brings the next snapshot within a tick.
      const topic = topicOf(id, p, req.actor);
      // (the topic's current one may come from a computation begun before an action committed:
      // its task row is checked the same way)
      const shared =
        live.fresh<LiveSnapshot>(topic, SHARED_PAGE_MS) ??
        (await live.current<LiveSnapshot>(topic, liveTopic(id, p, req.actor)));
      const snap = sameTaskRow(shared.progress.task, await tasks.row(id, req.actor))
        ? shared
        : await liveTopic(id, p, req.actor).compute();
      res.render('tasks/show', {
        title: req.t('tasks.show.title', { id }),
        p: snap.progress,
        breakdown: snap.breakdown,
        items: snap.items,
        page: p.page,
        pageSize: ITEMS_PER_PAGE,
        state: p.state ?? '',
        itemStates: ITEM_STATES,
        canAct: req.user!.role !== 'auditor',
        ...names(req),
      });
    });

    // Live progress: one JSON event a second until the task is final (then one last event), with
    // the rows of the page the browser shows (same page and state filter), pushed from the shared snapshot.
    app.get('/tasks/:id/events', read, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parsePage(
        { page: req.query.page, pageSize: ITEMS_PER_PAGE, state: req.query.state },
        ITEM_STATES,
      );
      await live.current(topicOf(id, p, req.actor), liveTopic(id, p, req.actor)); // 404 before the stream starts
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // One snapshot per task, page and filter and tick for every viewer of every process
      // (server/core/live-hub.ts); each viewer only formats it for its reader.
      let closed = false;
      const unwatch = live.watch<LiveSnapshot>(
        topicOf(id, p, req.actor),
        liveTopic(id, p, req.actor),
        (s) => {
          if (closed) return;
          // viewers reading in the same language and zone share one formatted event per snapshot
          const perReader = formatted.get(s) ?? formatted.set(s, new Map()).get(s)!;
          const reader = `${req.locale}|${req.timeZone}`;
          // A viewer whose connection has not taken the last event yet skips this one (but never
          // the final one): a stalled reader never piles snapshots up in this process.
          if (res.writableNeedDrain && s.progress.active) return;
          let event = perReader.get(reader);
          if (event === undefined) {
            // encoded once: every viewer of the group is written the same bytes
            event = Buffer.from(
              `event: progress\ndata: ${JSON.stringify(liveJson(s.progress, s.breakdown, s.items, req.t, fmt(res)))}\n\n`,
            );
            perReader.set(reader, event);
          }
          res.write(event);
          if (!s.progress.active) {
            closed = true;
            res.end();
            queueMicrotask(unwatch);
          }
        },
        () => {
          if (!closed) res.write('event: error\ndata: {}\n\n');
        },
      );
      res.on('close', () => {
        closed = true;
        unwatch();
      });
    });

    app.post('/tasks/:id/cancel', act, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const r = await tasks.cancel(id, req.actor);
      flashKey(req, 'info', 'tasks.flash.cancelled', { id, n: r.cancelled });
      res.redirect(`/tasks/${id}`);
    });

    // Re-send every label that did not confirm, or one (labelId in the form).
    app.post('/tasks/:id/retry', act, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const one =
        typeof req.body?.labelId === 'string' && req.body.labelId
          ? [req.body.labelId.slice(0, 64)]
          : undefined;
      const r = await tasks.retryFailed(id, req.actor, one);
      flashKey(req, 'ok', 'tasks.flash.resent', { id, n: r.items, taskId: r.taskId });
      res.redirect(`/tasks/${r.taskId}`);
    });
  };
}
