import type { Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flash } from '../web/flash.js';
import { readers, str, writers } from './route-helpers.js';
import type { SchedulesService } from './schedules-service.js';

export function schedulesRoutes(schedules: SchedulesService) {
  return (app: Router) => {
    app.get('/catalog/schedules', readers, async (req, res) => {
      const state = str(req.query.state);
      res.render('catalog/schedules', {
        title: 'Scheduled changes',
        state,
        rows: await schedules.list(state),
      });
    });

    app.post('/catalog/schedules/:id/cancel', writers, async (req, res) => {
      const id = String(req.params.id);
      if (!/^[0-9]{1,20}$/.test(id)) throw new ValidationError('Invalid id.');
      await schedules.cancel(req.actor, id);
      flash(req, 'ok', `Scheduled change ${id} cancelled.`);
      res.redirect('/catalog/schedules');
    });
  };
}
