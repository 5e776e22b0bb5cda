// Task pages: the list (running tasks with what blocks them, live), one task with live progress,
// per-label rows and the diagnosis (server-sent events), cancel, re-send what did not confirm.
// Operators and admins act; auditors read.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flash } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { ITEM_STATES, TASK_STATES, parsePage, parseTaskId, type TaskService } from './task-service.js';
import {
  BLOCK_NAMES,
  ITEM_STATE_NAMES,
  TASK_STATE_NAMES,
  barSegments,
  blockSummary,
  liveJson,
  outcome,
} from './task-view.js';

const EVENT_INTERVAL_MS = 1000;
const ITEMS_PER_PAGE = 100;
const TASKS_PER_PAGE = 25;

const startOfUtcDay = (d = new Date()) =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

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
    form: { state: p.state ?? '', finished, stuck },
  };
}

export function taskRoutes(tasks: TaskService) {
  return (app: Router) => {
    const read = requireRole('admin', 'operator', 'auditor');
    const act = requireRole('admin', 'operator');
    const names = { TASK_STATE_NAMES, ITEM_STATE_NAMES, BLOCK_NAMES, outcome, barSegments, blockSummary };

    app.get('/tasks', read, async (req: Request, res: Response) => {
      const f = listFilter(req.query);
      const query = new URLSearchParams(f.form).toString();
      res.render('tasks/list', {
        title: 'Tasks',
        list: await tasks.list(f),
        page: f.page,
        form: f.form,
        query,
        pageSize: TASKS_PER_PAGE,
        states: TASK_STATES,
        ...names,
      });
    });

    // The task list's live part: every running task's progress and diagnosis (polled by tasks.js).
    app.get('/tasks/active.json', read, async (_req: Request, res: Response) => {
      const active = await tasks.active();
      res.set('cache-control', 'no-store');
      res.json({
        tasks: active.map((p) => ({
          id: p.task.id,
          ...liveJson(p, [], null),
          summary: blockSummary(p.diagnosis),
        })),
      });
    });

    app.get('/tasks/:id', read, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parsePage(
        { page: req.query.page, pageSize: ITEMS_PER_PAGE, state: req.query.state },
        ITEM_STATES,
      );
      const progress = await tasks.progress(id);
      res.render('tasks/show', {
        title: `Task ${id}`,
        p: progress,
        breakdown: await tasks.breakdown(id),
        items: await tasks.items(id, p),
        page: p.page,
        pageSize: ITEMS_PER_PAGE,
        state: p.state ?? '',
        itemStates: ITEM_STATES,
        canAct: req.user!.role !== 'auditor',
        ...names,
      });
    });

    // Live progress: one JSON event a second until the task is final (then one last event), with
    // the rows of the page the browser shows (same page and state filter).
    app.get('/tasks/:id/events', read, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parsePage(
        { page: req.query.page, pageSize: ITEMS_PER_PAGE, state: req.query.state },
        ITEM_STATES,
      );
      await tasks.progress(id); // 404 before the stream starts
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      const send = async () => {
        if (closed) return;
        try {
          const [progress, breakdown, items] = await Promise.all([
            tasks.progress(id),
            tasks.breakdown(id),
            tasks.items(id, p),
          ]);
          res.write(`event: progress\ndata: ${JSON.stringify(liveJson(progress, breakdown, items))}\n\n`);
          if (!progress.active) {
            res.end();
            closed = true;
            return;
          }
        } catch {
          res.write('event: error\ndata: {}\n\n');
        }
        timer = setTimeout(() => void send(), EVENT_INTERVAL_MS);
      };
      res.on('close', () => {
        closed = true;
        clearTimeout(timer);
      });
      await send();
    });

    app.post('/tasks/:id/cancel', act, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const r = await tasks.cancel(id, req.actor);
      flash(req, 'info', `Task ${id} cancelled; ${r.cancelled} label(s) will not be updated.`);
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
      flash(req, 'ok', `Re-sending ${r.items} label(s) of task ${id} as task ${r.taskId}.`);
      res.redirect(`/tasks/${r.taskId}`);
    });
  };
}
