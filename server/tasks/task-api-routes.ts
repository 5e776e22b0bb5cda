// REST for ERP/POS systems: task status and per-label results (tasks:read), cancel and
// retry (prices:write). Errors are JSON via the one error handler.
import type { Request, Response, Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { ITEM_STATES, parsePage, parseTaskId, type TaskService, type TaskProgress } from './task-service.js';
import { diagnosisJson } from './task-view.js';

const taskJson = (p: TaskProgress) => ({
  id: p.task.id,
  state: p.task.state,
  source: p.task.source,
  createdBy: p.task.createdBy,
  note: p.task.note,
  parentTaskId: p.task.parentTaskId,
  createdAt: p.task.createdAt.toISOString(),
  deadlineAt: p.task.deadlineAt.toISOString(),
  dispatchedAt: p.task.dispatchedAt?.toISOString() ?? null,
  finishedAt: p.task.finishedAt?.toISOString() ?? null,
  items: { total: p.total, done: p.done, byState: p.counts },
  ...diagnosisJson(p.diagnosis),
});

export function taskApiRoutes(tasks: TaskService) {
  return (app: Router) => {
    app.get('/api/v1/tasks/:id', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = await tasks.progress(id);
      res.json({ ...taskJson(p), byAp: await tasks.breakdown(id) });
    });

    app.get('/api/v1/tasks/:id/items', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const id = parseTaskId(req.params.id);
      const p = parsePage(req.query as Record<string, unknown>, ITEM_STATES, 1000);
      const items = await tasks.items(id, p);
      res.json({
        taskId: id,
        page: p.page,
        pageSize: p.pageSize,
        state: p.state ?? null,
        items: items.map((i) => ({
          itemId: i.id,
          labelId: i.labelId,
          storeId: i.storeId,
          groupId: i.groupId,
          sku: i.sku,
          name: i.name,
          price: i.price,
          promoPrice: i.promoPrice,
          currency: i.currency,
          contentHash: i.contentHash,
          state: i.state,
          attempts: i.attempts,
          lastSentAt: i.lastSentAt?.toISOString() ?? null,
          nextRetryAt: i.nextRetryAt?.toISOString() ?? null,
          blocked: i.blocked,
          confirmedBy: i.confirmedBy,
          confirmedAt: i.confirmedAt?.toISOString() ?? null,
          error: i.error,
        })),
      });
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
