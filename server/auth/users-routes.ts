import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { USER_ROLES } from './roles.js';
import { listQuery } from '../web/list-query.js';
import { DEFAULT_ROLE, type UsersService } from './users-service.js';

/** The store ids ticked in a form (`stores` checkboxes): none = every store. */
export const storeIdsOf = (raw: unknown): number[] =>
  (Array.isArray(raw) ? raw : raw !== undefined && raw !== '' ? [raw] : []).map(Number);

export function usersRoutes(users: UsersService) {
  return (app: Router) => {
    const admin = requireRole('admin');

    const page = async (res: Response, extra: Record<string, unknown> = {}) => {
      const req = res.req;
      const lq = listQuery(req, 50);
      const filter = {
        q: typeof req.query.q === 'string' ? req.query.q : '',
        role: typeof req.query.role === 'string' ? req.query.role : '',
      };
      const list = await users.list({ ...filter, page: lq.page, pageSize: lq.pageSize });
      return res.render('admin/users', {
        title: res.req.t('users.title'),
        users: list,
        pager: list,
        query: req.query,
        filter,
        stores: await users.storeChoices(),
        roles: USER_ROLES,
        defaultRole: DEFAULT_ROLE,
        created: null,
        reset: null,
        ...extra,
      });
    };

    app.get('/admin/users', admin, async (_req: Request, res: Response) => {
      await page(res);
    });

    app.post('/admin/users', admin, async (req: Request, res: Response) => {
      const values = { username: String(req.body.username ?? ''), role: String(req.body.role ?? '') };
      try {
        const { password } = await users.create(req.actor, {
          ...values,
          password: String(req.body.password ?? '') || undefined,
        });
        // The generated password is shown on this response only; it is never stored in clear.
        await page(res, { created: { username: values.username, password } });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await page(res, { errors: err.fields, values });
      }
    });

    const userId = (req: Request) => {
      const id = Number(req.params.id);
      if (!Number.isInteger(id) || id <= 0) throw new ValidationError('Invalid user id.');
      return id;
    };

    app.post('/admin/users/:id/reset-password', admin, async (req: Request, res: Response) => {
      // Shown on this response only, like a new user's generated password.
      await page(res, { reset: await users.resetPassword(req.actor, userId(req)) });
    });

    app.post('/admin/users/:id/unlock', admin, async (req: Request, res: Response) => {
      const { username } = await users.unlock(req.actor, userId(req));
      flashKey(req, 'ok', 'users.unlocked', { username });
      res.redirect('/admin/users');
    });

    app.post('/admin/users/:id/stores', admin, async (req: Request, res: Response) => {
      const { username } = await users.setStores(req.actor, userId(req), storeIdsOf(req.body.stores));
      flashKey(req, 'ok', 'scope.usersSaved', { username });
      res.redirect('/admin/users');
    });

    app.post('/admin/users/:id', admin, async (req: Request, res: Response) => {
      const id = userId(req);
      const patch: { role?: string; disabled?: boolean } = {};
      if (req.body.role !== undefined) patch.role = String(req.body.role);
      if (req.body.disabled !== undefined) patch.disabled = req.body.disabled === '1';
      await users.update(req.actor, id, patch);
      flashKey(req, 'ok', 'users.updated');
      res.redirect('/admin/users');
    });
  };
}
