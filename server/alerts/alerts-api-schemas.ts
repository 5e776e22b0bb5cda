// GET /api/v1/alerts: its query and answer as zod schemas (the route checks with them, the
// OpenAPI document is generated from them).
import { z } from 'zod';
import { listQuery } from '../core/list-page.js';
import { ALERT_KINDS, ALERT_STATES } from './alert-kinds.js';

const ts = z.string().meta({ format: 'date-time' });

export const AlertListQuery = listQuery({
  state: z.enum(ALERT_STATES, { error: `must be one of ${ALERT_STATES.join(', ')}` }).optional(),
  kind: z.enum(ALERT_KINDS, { error: `must be one of ${ALERT_KINDS.join(', ')}` }).optional(),
});

export const Alert = z
  .object({
    id: z.string(),
    kind: z.enum(ALERT_KINDS),
    subject: z.string().meta({ description: 'What it is about: a store, an AP, a task' }),
    state: z.enum(ALERT_STATES),
    summary: z.string(),
    openedAt: ts,
    acknowledgedAt: ts.nullable(),
    acknowledgedBy: z.string().nullable(),
    resolvedAt: ts.nullable(),
    resolvedBy: z.string().nullable(),
  })
  .meta({ id: 'Alert' });

export const AlertPage = z
  .object({
    alerts: z.array(Alert).meta({ description: 'Newest first' }),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'AlertPage' });
