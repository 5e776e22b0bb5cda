import type { Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { readers, str, writers } from './route-helpers.js';
import type { SchedulesService } from './schedules-service.js';
import type { StoresService } from './stores-service.js';
import { listQuery } from '../web/list-query.js';

export function schedulesRoutes(schedules: SchedulesService, stores: StoresService) {
  return (app: Router) => {
    app.get('/catalog/schedules', readers, async (req, res) => {
      const state = str(req.query.state);
      const q = listQuery(req);
      const result = await schedules.list(req.actor, { state, ...q });
      res.render('catalog/schedules', {
        title: req.t('schedules.title'),
        state,
        rows: result.rows,
        pager: result,
        query: req.query,
        stores: await stores.list(req.actor),
        storeId: result.storeId,
      });
    });

    app.post('/catalog/schedules/:id/cancel', writers, async (req, res) => {
      const id = String(req.params.id);
      if (!/^[0-9]{1,20}$/.test(id)) throw new ValidationError('Invalid id.');
      await schedules.cancel(req.actor, id);
      flashKey(req, 'ok', 'schedules.flash.cancelled', { id });
      res.redirect('/catalog/schedules');
    });
  };
}
