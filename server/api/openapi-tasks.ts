// Shapes of the pipeline's task API (server/tasks/task-api-routes.ts), described here for
// the OpenAPI document only. Keep in step with server/tasks/task-serializers.ts.
import { z } from 'zod';
import { ITEM_STATES, TASK_SOURCES, TASK_STATES } from '../tasks/states.js';

const ts = z.string().meta({ format: 'date-time' });

export const Task = z.object({
  id: z.string(),
  state: z.enum(TASK_STATES),
  source: z.enum(TASK_SOURCES),
  createdBy: z.string(),
  note: z.string(),
  parentTaskId: z.string().nullable(),
  createdAt: ts,
  deadlineAt: ts,
  dispatchedAt: ts.nullable(),
  finishedAt: ts.nullable(),
  items: z.object({
    total: z.number().int(),
    done: z.number().int().meta({ description: 'Items in a final state' }),
    byState: z
      .record(z.string(), z.number().int())
      .meta({ description: 'Item counts per state', examples: [{ confirmed: 98, failed: 2 }] }),
  }),
  byAp: z
    .array(
      z.object({ groupId: z.string(), ap: z.string().nullable(), state: z.string(), n: z.number().int() }),
    )
    .meta({ description: 'Per Group ID and confirming AP' }),
});

export const TaskItem = z.object({
  itemId: z.string(),
  labelId: z.string(),
  storeId: z.number().int(),
  groupId: z.string(),
  sku: z.string(),
  name: z.string(),
  price: z.string(),
  promoPrice: z.string().nullable(),
  currency: z.string(),
  contentHash: z.string(),
  state: z.enum(ITEM_STATES),
  attempts: z.number().int(),
  lastSentAt: ts.nullable(),
  confirmedBy: z
    .string()
    .nullable()
    .meta({ description: 'Client ID of the AP whose ack confirmed the label' }),
  confirmedAt: ts.nullable(),
  error: z.string().nullable(),
});

export const TaskItemPage = z.object({
  taskId: z.string(),
  page: z.number().int(),
  pageSize: z.number().int(),
  state: z.enum(ITEM_STATES).nullable(),
  items: z.array(TaskItem),
});

export const ITEM_STATE_VALUES = ITEM_STATES;
