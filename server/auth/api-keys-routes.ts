import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { API_SCOPES } from './roles.js';
import type { ApiKeysService } from './api-keys-service.js';
import { storeIdsOf } from './users-routes.js';
import type { UsersService } from './users-service.js';

export function apiKeysRoutes(keys: ApiKeysService, users: UsersService) {
  return (app: Router) => {
    const admin = requireRole('admin');
    const page = async (res: Response, extra: Record<string, unknown> = {}) =>
      res.render('admin/api-keys', {
        title: res.req.t('apiKeys.title'),
        keys: await keys.list(),
        stores: await users.storeChoices(),
        scopes: API_SCOPES,
        issued: null,
        ...extra,
      });

    app.get('/admin/api-keys', admin, async (_req: Request, res: Response) => {
      await page(res);
    });

    app.post('/admin/api-keys', admin, async (req: Request, res: Response) => {
      const raw = req.body.scopes;
      const scopes = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
      try {
        const issued = await keys.issue(req.actor, req.user!.id, {
          name: String(req.body.name ?? ''),
          scopes,
          stores: storeIdsOf(req.body.stores),
        });
        await page(res, { issued });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await page(res, {
          errors: err.fields,
          values: { name: req.body.name, scopes, stores: storeIdsOf(req.body.stores) },
        });
      }
    });

    app.post('/admin/api-keys/:id/stores', admin, async (req: Request, res: Response) => {
      const id = Number(req.params.id);
      if (!Number.isInteger(id) || id <= 0) throw new ValidationError('Invalid key id.');
      const { name } = await keys.setStores(req.actor, id, storeIdsOf(req.body.stores));
      flashKey(req, 'ok', 'scope.keySaved', { name });
      res.redirect('/admin/api-keys');
    });

    app.post('/admin/api-keys/:id/revoke', admin, async (req: Request, res: Response) => {
      const id = Number(req.params.id);
      if (!Number.isInteger(id) || id <= 0) throw new ValidationError('Invalid key id.');
      await keys.revoke(req.actor, id);
      flashKey(req, 'ok', 'apiKeys.revoked');
      res.redirect('/admin/api-keys');
    });
  };
}
