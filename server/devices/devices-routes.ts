// Device pages: the AP list and the price-mismatch list (and their JSON twins for the API).
import type { Request, Response, Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { ValidationError } from '../core/errors.js';
import { requireRole } from '../web/guards.js';
import { parseList } from '../core/list-page.js';
import { ApListQuery, LabelListQuery, MismatchListQuery } from './devices-api-schemas.js';
import { apPageJson, labelHealthPageJson, mismatchPageJson } from './devices-serializers.js';
import type { DevicesService } from './devices-service.js';

const PAGE = 100;

function filters(q: Request['query']) {
  const page = q.page === undefined ? 1 : Number(q.page);
  const storeId = q.store === undefined || q.store === '' ? undefined : Number(q.store);
  const fields: Record<string, string> = {};
  if (!Number.isInteger(page) || page < 1 || page > 100_000) fields.page = 'must be a whole number from 1';
  if (storeId !== undefined && (!Number.isInteger(storeId) || storeId < 1))
    fields.store = 'must be a store id';
  if (Object.keys(fields).length) throw new ValidationError('Invalid paging or filter.', fields);
  return { page, storeId, limit: PAGE, offset: (page - 1) * PAGE };
}

const ONLINE = { '': undefined, yes: true, no: false } as const;

function apFilters(q: Request['query']) {
  const { page, storeId, limit, offset } = filters(q);
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const online = str(q.online);
  const groupId = str(q.group);
  const text = str(q.q);
  const fields: Record<string, string> = {};
  if (!Object.hasOwn(ONLINE, online)) fields.online = 'must be yes, no or empty';
  if (groupId.length > 64) fields.group = 'a Group ID has at most 64 characters';
  if (text.length > 64) fields.q = 'at most 64 characters';
  if (Object.keys(fields).length) throw new ValidationError('Invalid filter.', fields);
  return {
    page,
    limit,
    offset,
    storeId,
    online: ONLINE[online as keyof typeof ONLINE],
    groupId: groupId || undefined,
    q: text || undefined,
    // what the form shows again
    form: { store: storeId ?? '', online, group: groupId, q: text },
  };
}

export function devicesRoutes(devices: DevicesService) {
  return (app: Router) => {
    app.get(
      '/devices/aps',
      requireRole('admin', 'operator', 'auditor'),
      async (req: Request, res: Response) => {
        const f = apFilters(req.query);
        const { rows, counts } = await devices.aps(f, req.actor);
        const query = new URLSearchParams(Object.entries(f.form).map(([k, v]) => [k, String(v)]));
        res.render('devices/aps', {
          title: req.t('aps.title'),
          rows,
          counts,
          page: f.page,
          form: f.form,
          query: query.toString(),
          pageSize: PAGE,
          stores: await devices.storeChoices(req.actor),
        });
      },
    );

    app.get('/api/v1/aps', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const p = parseList(ApListQuery, req.query);
      const { online, q, group, store } = p.filters;
      const { page, counts } = await devices.apPage(
        { storeId: store, groupId: group, q, online: online === undefined ? undefined : online === 'yes' },
        p,
        req.actor,
      );
      res.json(apPageJson(page, counts));
    });

    app.get('/api/v1/labels', requireScope('tasks:read'), async (req: Request, res: Response) => {
      res.json(labelHealthPageJson(await devices.labels(parseList(LabelListQuery, req.query), req.actor)));
    });

    app.get(
      '/devices/mismatches',
      requireRole('admin', 'operator', 'auditor'),
      async (req: Request, res: Response) => {
        const f = filters(req.query);
        const { rows, total } = await devices.mismatches(f, req.actor);
        res.render('devices/mismatches', {
          title: req.t('mismatches.title'),
          rows,
          total,
          page: f.page,
          store: f.storeId ?? '',
          pageSize: PAGE,
          stores: await devices.storeChoices(req.actor),
        });
      },
    );

    app.get('/api/v1/labels/mismatches', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const p = parseList(MismatchListQuery, req.query);
      res.json(mismatchPageJson(await devices.mismatchPage(p.filters.store, p, req.actor)));
    });
  };
}
