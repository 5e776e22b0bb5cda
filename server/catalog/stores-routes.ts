// Stores and their Group IDs are set up by admins (product.md); operators and auditors may look.
import type { Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { positiveId, readers, str } from './route-helpers.js';
import type { StoresService } from './stores-service.js';

/** The page's translator (res.locals.t, set per request by the locale middleware). */
type TFn = (key: string, values?: Record<string, unknown>) => string;

export function storesRoutes(stores: StoresService) {
  return (app: Router) => {
    const admin = requireRole('admin');
    const listPage = async (res: Response, extra: Record<string, unknown> = {}) =>
      res.render('catalog/stores', {
        title: (res.locals.t as TFn)('stores.title'),
        stores: await stores.list(res.req.actor),
        ...extra,
      });
    const storePage = async (res: Response, id: number, extra: Record<string, unknown> = {}) => {
      const store = await stores.get(id, res.req.actor);
      res.render('catalog/store', {
        title: (res.locals.t as TFn)('stores.show.title', { code: store.code }),
        store,
        groups: await stores.listGroups(),
        ...extra,
      });
    };

    app.get('/catalog/stores', readers, (_req, res) => listPage(res));
    app.post('/catalog/stores', admin, async (req, res) => {
      try {
        const id = await stores.create(req.actor, req.body);
        flashKey(req, 'ok', 'stores.flash.created');
        res.redirect(`/catalog/stores/${id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await listPage(res, { errors: err.fields, values: req.body });
      }
    });
    app.get('/catalog/stores/:id', readers, (req, res) => storePage(res, positiveId(req.params.id)));
    app.post('/catalog/stores/:id', admin, async (req, res) => {
      const id = positiveId(req.params.id);
      try {
        await stores.update(req.actor, id, req.body);
        flashKey(req, 'ok', 'stores.flash.saved');
        res.redirect(`/catalog/stores/${id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await storePage(res, id, { errors: err.fields, values: req.body });
      }
    });
    app.post('/catalog/stores/:id/quiet-hours', admin, async (req, res) => {
      const id = positiveId(req.params.id);
      const b = req.body as Record<string, unknown>;
      try {
        const s = await stores.setQuietHours(req.actor, id, { from: str(b.quietFrom), to: str(b.quietTo) });
        flashKey(req, 'ok', s.quiet_from === null ? 'quiet.flash.off' : 'quiet.flash.saved');
        res.redirect(`/catalog/stores/${id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await storePage(res, id, { errors: err.fields, values: req.body });
      }
    });
    app.post('/catalog/stores/:id/groups', admin, async (req, res) => {
      const id = positiveId(req.params.id);
      try {
        await stores.assignGroup(req.actor, id, str(req.body.groupId));
        flashKey(req, 'ok', 'stores.flash.assigned');
        res.redirect(`/catalog/stores/${id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await storePage(res, id, { errors: err.fields });
      }
    });
    app.post('/catalog/stores/:id/groups/remove', admin, async (req, res) => {
      const id = positiveId(req.params.id);
      await stores.unassignGroup(req.actor, id, str(req.body.groupId));
      flashKey(req, 'ok', 'stores.flash.removed');
      res.redirect(`/catalog/stores/${id}`);
    });
  };
}
