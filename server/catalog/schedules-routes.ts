import type { Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { readers, str, writers } from './route-helpers.js';
import type { SchedulesService } from './schedules-service.js';

export function schedulesRoutes(schedules: SchedulesService) {
  return (app: Router) => {
    app.get('/catalog/schedules', readers, async (req, res) => {
      const state = str(req.query.state);
      res.render('catalog/schedules', {
        title: req.t('schedules.title'),
        state,
        rows: await schedules.list(state),
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
