// Task pages: list, one task with live progress (server-sent events), cancel, retry failed.
// Operators and admins act; auditors read.
import type { Request, Response, Router } from 'express';
import { flash } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { ITEM_STATES, TASK_STATES, parsePage, parseTaskId, type TaskService } from './task-service.js';
import { progressEventJson } from './task-serializers.js';

const EVENT_INTERVAL_MS = 1000;

export function taskRoutes(tasks: TaskService) {
  return (app: Router) => {
    const read = requireRole('admin', 'operator', 'auditor');
    const act = requireRole('admin', 'operator');

    app.get('/tasks', read, async (req: Request, res: Response) => {
      const p = parsePage({ page: req.query.page, pageSize: 25, state: req.query.state }, TASK_STATES);
      res.render('tasks/list', {
        title: 'Tasks',
        list: await tasks.list(p),
        page: p.page,
        state: p.state ?? '',
        states: TASK_STATES,
      });
    });

    app.get('/tasks/:id', read, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parsePage({ page: req.query.page, pageSize: 100, state: req.query.state }, ITEM_STATES);
      const progress = await tasks.progress(id);
      res.render('tasks/show', {
        title: `Task ${id}`,
        p: progress,
        breakdown: await tasks.breakdown(id),
        items: await tasks.items(id, p),
        page: p.page,
        state: p.state ?? '',
        itemStates: ITEM_STATES,
        canAct: req.user!.role !== 'auditor',
      });
    });

    // Live progress: one JSON event a second until the task is final (then one last event).
    app.get('/tasks/:id/events', read, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
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
          const [p, breakdown] = await Promise.all([tasks.progress(id), tasks.breakdown(id)]);
          res.write(`event: progress\ndata: ${JSON.stringify(progressEventJson(p, breakdown))}\n\n`);
          if (!p.active) {
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
      flash(req, 'ok', `Task ${id} cancelled; ${r.cancelled} label(s) will not be updated.`);
      res.redirect(`/tasks/${id}`);
    });

    app.post('/tasks/:id/retry', act, async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const r = await tasks.retryFailed(id, req.actor);
      flash(req, 'ok', `Retrying ${r.items} label(s) of task ${id} as task ${r.taskId}.`);
      res.redirect(`/tasks/${r.taskId}`);
    });
  };
}
