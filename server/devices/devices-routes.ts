// Device pages: the price-mismatch list (and its JSON twin for the API).
import type { Request, Response, Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { ValidationError } from '../core/errors.js';
import type { Pool } from '../db/pool.js';
import { requireRole } from '../web/guards.js';
import { countMismatches, listMismatches } from './mismatch-repo.js';

const PAGE = 100;

function filters(q: Request['query']) {
  const page = q.page === undefined ? 1 : Number(q.page);
  const storeId = q.store === undefined || q.store === '' ? undefined : Number(q.store);
  const fields: Record<string, string> = {};
  if (!Number.isInteger(page) || page < 1 || page > 100_000) fields.page = 'must be a whole number from 1';
  if (storeId !== undefined && (!Number.isInteger(storeId) || storeId < 1)) fields.store = 'must be a store id';
  if (Object.keys(fields).length) throw new ValidationError('Invalid paging or filter.', fields);
  return { page, storeId, limit: PAGE, offset: (page - 1) * PAGE };
}

export function devicesRoutes(pool: Pool) {
  return (app: Router) => {
    app.get('/devices/mismatches', requireRole('admin', 'operator', 'auditor'), async (req: Request, res: Response) => {
      const f = filters(req.query);
      const [rows, total] = await Promise.all([listMismatches(pool, f), countMismatches(pool, f.storeId)]);
      res.render('devices/mismatches', { title: 'Price mismatches', rows, total, page: f.page, store: f.storeId ?? '', pageSize: PAGE });
    });

    app.get('/api/v1/labels/mismatches', requireScope('tasks:read'), async (req: Request, res: Response) => {
      const f = filters(req.query);
      const [rows, total] = await Promise.all([listMismatches(pool, f), countMismatches(pool, f.storeId)]);
      res.json({ total, page: f.page, pageSize: PAGE, labels: rows.map((r) => ({ ...r, lastStatusAt: r.lastStatusAt?.toISOString() ?? null })) });
    });
  };
}
