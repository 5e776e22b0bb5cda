// REST for ERP/POS systems: task status and per-label results (tasks:read), cancel and
// retry (prices:write). Errors are JSON via the one error handler.
import type { Request, Response, Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { pageOf, parseList } from '../core/list-page.js';
import { TaskItemListQuery, TaskListQuery } from './task-api-schemas.js';
import { parseTaskId, type TaskService } from './task-service.js';
import { itemPageJson, taskJson } from './task-serializers.js';

export function taskApiRoutes(tasks: TaskService) {
  return (app: Router) => {
    app.get('/api/v1/tasks/:id', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = await tasks.progress(id, req.actor);
      res.json({ ...taskJson(p), byAp: await tasks.breakdown(id, req.actor) });
    });

    app.get('/api/v1/tasks', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const p = parseList(TaskListQuery, req.query);
      const list = await tasks.list(
        {
          ...p.filters,
          beforeId: p.after ? String(p.after[0]) : undefined,
          limit: p.limit + 1,
          offset: 0,
        },
        req.actor,
      );
      const page = pageOf(list, p.limit, (t) => [t.task.id]);
      res.json({ tasks: page.items.map(taskJson), nextCursor: page.nextCursor });
    });

    app.get('/api/v1/tasks/:id/items', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parseList(TaskItemListQuery, req.query);
      const items = await tasks.items(
        id,
        {
          state: p.filters.state,
          afterId: p.after ? String(p.after[0]) : undefined,
          limit: p.limit + 1,
          offset: 0,
        },
        req.actor,
      );
      res.json(
        itemPageJson(
          id,
          p.filters.state,
          pageOf(items, p.limit, (i) => [i.id]),
        ),
      );
    });

    app.post(
      '/api/v1/tasks/:id/cancel',
      requireScope('prices:write'),
      async (req: Request, res: Response) => {
        const id = parseTaskId(req.params.id);
        res.json({ taskId: id, ...(await tasks.cancel(id, req.actor)) });
      },
    );

    app.post('/api/v1/tasks/:id/retry', requireScope('prices:write'), async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      res.status(201).json({ parentTaskId: id, ...(await tasks.retryFailed(id, req.actor)) });
    });
  };
}
