// The admin pages of webhooks: /admin/webhooks (the endpoints, register one), an endpoint's
// page (edit, enable/disable, resume, rotate the secret, send a test event, recent deliveries
// and redelivery), a delivery's attempts, and a confirmation page before deleting.
import type { Request, Response, Router } from 'express';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { flash, flashKey } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { EVENT_TYPES } from './events.js';
import { listQuery } from '../web/list-query.js';
import { DELIVERY_FILTER_EVENTS, DELIVERY_FILTER_STATES, type WebhookService } from './webhook-service.js';

/** The page's translator (res.locals.t, set per request by the locale middleware). */
type TFn = (key: string, values?: Record<string, unknown>) => string;

const list = (raw: unknown) => (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
const endpointId = (raw: unknown) => {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0 || id > 2 ** 31) throw new NotFoundError('No such webhook endpoint.');
  return id;
};

export function webhookRoutes(hooks: WebhookService) {
  return (app: Router) => {
    const admin = requireRole('admin');

    const listPage = async (res: Response, extra: Record<string, unknown> = {}) =>
      res.render('webhooks/list', {
        title: (res.locals.t as TFn)('webhooks.title'),
        endpoints: await hooks.list(),
        stats: await hooks.stats(),
        eventTypes: EVENT_TYPES,
        ...extra,
      });

    // An endpoint's page with a page of its deliveries: the one the query string asks for on a
    // GET (state and event filters, page, page size), the first one when a form re-renders it.
    const showPage = async (
      res: Response,
      id: number,
      extra: Record<string, unknown> = {},
      req?: Request,
    ) => {
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      const lq = req ? listQuery(req, 50) : { page: 1, pageSize: 50 };
      const filter = { state: str(req?.query.state), eventType: str(req?.query.event) };
      const endpoint = await hooks.get(id);
      const page = await hooks.deliveriesPage(id, { ...filter, page: lq.page, pageSize: lq.pageSize });
      res.render('webhooks/show', {
        title: (res.locals.t as TFn)('webhooks.show.title'),
        endpoint,
        deliveries: page.rows,
        pager: { page: lq.page, pages: page.pages, total: page.total, pageSize: lq.pageSize },
        query: req ? req.query : {},
        filter,
        deliveryStates: DELIVERY_FILTER_STATES,
        deliveryEvents: DELIVERY_FILTER_EVENTS,
        eventTypes: EVENT_TYPES,
        secret: null,
        ...extra,
      });
    };

    app.get('/admin/webhooks', admin, async (_req: Request, res: Response) => {
      await listPage(res);
    });

    app.post('/admin/webhooks', admin, async (req: Request, res: Response) => {
      const input = {
        name: String(req.body.name ?? ''),
        url: String(req.body.url ?? ''),
        events: list(req.body.events),
        secret: String(req.body.secret ?? ''),
        enabled: true,
      };
      try {
        const { endpoint, secret } = await hooks.create(req.actor, input);
        await showPage(res.status(201).set('Cache-Control', 'no-store'), endpoint.id, { secret });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await listPage(res, { errors: err.fields, values: { ...input, secret: '' } });
      }
    });

    app.get('/admin/webhooks/:id', admin, async (req: Request, res: Response) => {
      await showPage(res, endpointId(req.params.id), {}, req);
    });

    app.post('/admin/webhooks/:id', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      const patch = {
        name: String(req.body.name ?? ''),
        url: String(req.body.url ?? ''),
        events: list(req.body.events),
        enabled: req.body.enabled === 'on' || req.body.enabled === '1',
      };
      try {
        await hooks.update(req.actor, id, patch);
        flashKey(req, 'ok', 'webhooks.flash.saved');
        res.redirect(`/admin/webhooks/${id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await showPage(res, id, { errors: err.fields, values: patch });
      }
    });

    app.post('/admin/webhooks/:id/enabled', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      const enabled = req.body.enabled === '1';
      await hooks.update(req.actor, id, { enabled });
      flashKey(req, 'ok', enabled ? 'webhooks.flash.enabled' : 'webhooks.flash.disabled');
      res.redirect(`/admin/webhooks/${id}`);
    });

    app.post('/admin/webhooks/:id/resume', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      await hooks.resume(req.actor, id);
      flashKey(req, 'ok', 'webhooks.flash.resumed');
      res.redirect(`/admin/webhooks/${id}`);
    });

    app.post('/admin/webhooks/:id/test', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      try {
        const eventId = await hooks.sendTest(req.actor, id);
        const paused = !!(await hooks.get(id)).paused_at;
        flashKey(req, 'ok', paused ? 'webhooks.flash.testHeld' : 'webhooks.flash.testQueued', {
          id: eventId,
        });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        flash(req, 'error', err.message);
      }
      res.redirect(`/admin/webhooks/${id}`);
    });

    app.post('/admin/webhooks/:id/rotate-secret', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      try {
        const secret = await hooks.rotateSecret(req.actor, id, String(req.body.secret ?? ''));
        await showPage(res.set('Cache-Control', 'no-store'), id, { secret });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await showPage(res, id, { errors: err.fields });
      }
    });

    app.get('/admin/webhooks/:id/delete', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      res.render('webhooks/delete', { title: req.t('webhooks.delete.title'), endpoint: await hooks.get(id) });
    });

    app.post('/admin/webhooks/:id/delete', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      await hooks.remove(req.actor, id);
      flashKey(req, 'ok', 'webhooks.flash.deleted');
      res.redirect('/admin/webhooks');
    });

    app.get('/admin/webhooks/:id/deliveries/:uid', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      const d = await hooks.deliveryByUid(id, String(req.params.uid));
      const { attempts } = await hooks.delivery(id, d.id);
      res.render('webhooks/delivery', {
        title: req.t('webhooks.delivery.title'),
        endpoint: await hooks.get(id),
        delivery: d,
        attempts,
      });
    });

    app.post('/admin/webhooks/:id/deliveries/:uid/redeliver', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      const d = await hooks.deliveryByUid(id, String(req.params.uid));
      await hooks.redeliver(req.actor, id, d.id);
      flashKey(req, 'ok', 'webhooks.flash.redelivered');
      res.redirect(`/admin/webhooks/${id}`);
    });
  };
}
