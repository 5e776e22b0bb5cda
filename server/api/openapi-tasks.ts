// Shapes of the pipeline's task API (server/tasks/task-api-routes.ts), described here for
// the OpenAPI document only. Keep in step with server/tasks/task-serializers.ts.
import { z } from 'zod';
import { BLOCK_REASONS } from '../tasks/task-diagnosis.js';
import { ITEM_STATES, TASK_SOURCES, TASK_STATES } from '../tasks/states.js';

const ts = z.string().meta({ format: 'date-time' });
const blockReason = z.enum(BLOCK_REASONS).meta({
  description:
    'no_ap: the Group ID has no AP at all; quiet_hours: the store is in its quiet hours and the labels wait until `until` (urgent changes go at once); ap_offline: the AP serving the label is disconnected; label_unreported: no AP has ever reported the label; label_unreachable: the serving AP answered it cannot reach the label; ap_error: the serving AP answered `failed` for another reason',
});

export const Blocked = z.object({
  reason: blockReason,
  groupId: z.string(),
  clientId: z
    .string()
    .optional()
    .meta({ description: 'The AP concerned (ap_offline, label_unreachable, ap_error)' }),
  labels: z.number().int().meta({ description: 'Open labels of the task held up by this' }),
  since: ts.meta({ description: "The AP's disconnect, the first failure, or the task's dispatch" }),
  error: z.string().optional().meta({ description: "The AP's error text (label_unreachable, ap_error)" }),
  until: ts.optional().meta({ description: 'quiet_hours: when the quiet hours end and the labels go' }),
});

export const Forecast = z.object({
  open: z.number().int().meta({ description: 'Labels not yet in a final state' }),
  blocked: z.number().int(),
  willMiss: z.number().int().meta({
    description:
      'Labels that will miss the deadline if nothing changes: the blocked ones, and those the confirmation pace so far cannot reach in time',
  }),
  onTrack: z.number().int(),
  deadlineAt: ts,
  ratePerMinute: z
    .number()
    .nullable()
    .meta({ description: 'Confirmations per minute so far; null before the first' }),
  quietHours: z.number().int().meta({
    description:
      "Labels waiting for their store's quiet hours to end (part of blocked; they miss the deadline only if the window ends after it)",
  }),
});

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
  blocked: z.array(Blocked).meta({
    description:
      'For a running task: what holds up its open labels, per Group ID and AP; empty when nothing does or the task has ended',
  }),
  forecast: Forecast.nullable().meta({ description: 'For a running task; null once it has ended' }),
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
  nextRetryAt: ts.nullable().meta({ description: 'When an open item is sent again if still unanswered' }),
  blocked: blockReason.nullable().meta({ description: 'What holds up this open item, if anything' }),
  confirmedBy: z
    .string()
    .nullable()
    .meta({ description: 'Client ID of the AP whose ack confirmed the label' }),
  confirmedAt: ts.nullable(),
  error: z.string().nullable(),
});

export const TaskItemPage = z.object({
  taskId: z.string(),
  state: z.enum(ITEM_STATES).nullable(),
  items: z.array(TaskItem).meta({ description: 'In item id order' }),
  nextCursor: z.string().nullable(),
});

export const TaskPage = z.object({
  tasks: z.array(Task.omit({ byAp: true })).meta({ description: 'Newest first' }),
  nextCursor: z.string().nullable(),
});

export const TaskCancelResult = z.object({
  taskId: z.string(),
  cancelled: z.number().int().meta({ description: 'Items cancelled (those not yet in a final state)' }),
});

export const TaskRetryResult = z.object({
  parentTaskId: z.string().meta({ description: 'The task retried' }),
  taskId: z.string().meta({ description: 'The new task (source retry)' }),
  items: z.number().int().meta({ description: 'Labels it sends again, with the prices in force now' }),
});

export const ITEM_STATE_VALUES = ITEM_STATES;
