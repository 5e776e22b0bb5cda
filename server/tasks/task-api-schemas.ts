// The queries of the task API's lists, checked by the routes and documented from the same schemas.
import { z } from 'zod';
import { listQuery } from '../core/list-page.js';
import { ITEM_STATES, TASK_SOURCES, TASK_STATES } from './states.js';

export const TaskListQuery = listQuery({
  state: z.enum(TASK_STATES, { error: `must be one of ${TASK_STATES.join(', ')}` }).optional(),
  source: z.enum(TASK_SOURCES, { error: `must be one of ${TASK_SOURCES.join(', ')}` }).optional(),
});

export const TaskItemListQuery = listQuery({
  state: z.enum(ITEM_STATES, { error: `must be one of ${ITEM_STATES.join(', ')}` }).optional(),
});
