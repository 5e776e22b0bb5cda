// GET /api/v1/labels/{labelId}/image: the PNG the label must show now (or at `?at=`).
import type { Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { requireScope } from '../auth/api-auth.js';
import type { RenderService } from './render-service.js';
import { sendPng } from './render-routes.js';
import type { RenderPagesService } from './render-pages-service.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export function renderApiRoutes(render: RenderService, pages: RenderPagesService) {
  return (app: Router) => {
    app.get('/api/v1/labels/:labelId/image', requireScope('tasks:read'), async (req, res) => {
      const atRaw = typeof req.query.at === 'string' ? req.query.at : '';
      const at = atRaw ? new Date(atRaw) : undefined;
      if (atRaw && (!ISO.test(atRaw) || Number.isNaN(at!.getTime())))
        throw new ValidationError('Invalid query.', {
          at: 'an ISO-8601 time with its zone, e.g. 2026-12-01T08:00:00Z',
        });
      const pageRaw = typeof req.query.page === 'string' ? req.query.page : '';
      if (pageRaw && !/^\d{1,2}$/.test(pageRaw))
        throw new ValidationError('Invalid query.', { page: 'a page number' });
      await pages.assertLabel(req.actor, String(req.params.labelId), false);
      const r = await render.labelImage(String(req.params.labelId), {
        at,
        page: pageRaw ? Number(pageRaw) : undefined,
      });
      sendPng(res, r.png, r.imageHash);
    });
  };
}
