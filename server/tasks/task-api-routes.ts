// REST for ERP/POS systems: task status and per-label results (tasks:read), cancel and
// retry (prices:write). Errors are JSON via the one error handler.
import type { Request, Response, Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { ITEM_STATES, parsePage, parseTaskId, type TaskService } from './task-service.js';
import { itemPageJson, taskJson } from './task-serializers.js';

export function taskApiRoutes(tasks: TaskService) {
  return (app: Router) => {
    app.get('/api/v1/tasks/:id', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = await tasks.progress(id, req.actor);
      res.json({ ...taskJson(p), byAp: await tasks.breakdown(id, req.actor) });
    });

    app.get('/api/v1/tasks/:id/items', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parsePage(req.query as Record<string, unknown>, ITEM_STATES, 1000);
      const items = await tasks.items(id, p, req.actor);
      res.json(itemPageJson(id, p, items));
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
