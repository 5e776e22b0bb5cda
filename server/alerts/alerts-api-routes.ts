// GET /api/v1/alerts: the alerts for a tasks:read key, newest first, cursor-paged.
import type { Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { parseList } from '../core/list-page.js';
import { AlertListQuery } from './alerts-api-schemas.js';
import type { AlertsService } from './alerts-service.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function alertsApiRoutes(alerts: AlertsService) {
  return (app: Router) => {
    app.get('/api/v1/alerts', requireScope('tasks:read'), async (req, res) => {
      const page = await alerts.page(parseList(AlertListQuery, req.query), req.actor);
      res.json({
        alerts: page.items.map((a) => ({
          ...a,
          openedAt: a.openedAt.toISOString(),
          acknowledgedAt: iso(a.acknowledgedAt),
          resolvedAt: iso(a.resolvedAt),
        })),
        nextCursor: page.nextCursor,
      });
    });
  };
}
