// The JSON of the task API (task-api-routes.ts): times as ISO strings. Described for the
// OpenAPI document in server/api/openapi-tasks.ts; keep the two in step.
import type { TaskProgress, TaskService } from './task-service.js';
import { diagnosisJson } from './task-view.js';

type TaskItem = Awaited<ReturnType<TaskService['items']>>[number];

export const taskJson = (p: TaskProgress) => ({
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

export const itemJson = (i: TaskItem) => ({
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
});

export function itemPageJson(
  taskId: string,
  state: string | undefined,
  page: { items: TaskItem[]; nextCursor: string | null },
) {
  return {
    taskId,
    state: state ?? null,
    items: page.items.map(itemJson),
    nextCursor: page.nextCursor,
  };
}
