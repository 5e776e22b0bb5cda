// /alerts: the list with acknowledge and resolve (admin, operator), the rules and their
// thresholds (admin). Every role that signs in reads the list.
import type { Request, Response, Router } from 'express';
import { AppError, ValidationError } from '../core/errors.js';
import { flash } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { RULES, type AlertsService } from './alerts-service.js';

export function alertsRoutes(alerts: AlertsService) {
  return (app: Router) => {
    const read = requireRole('admin', 'operator', 'auditor');
    const act = requireRole('admin', 'operator');
    const admin = requireRole('admin');

    const page = async (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
      res.render('alerts/list', {
        title: 'Alerts',
        alerts: await alerts.list(),
        rules: await alerts.listRules(),
        specs: RULES,
        canAct: req.user!.role !== 'auditor',
        canEditRules: req.user!.role === 'admin',
        formError: null,
        ...extra,
      });

    app.get('/alerts', read, async (req: Request, res: Response) => {
      await page(req, res);
    });

    const transition =
      (fn: (req: Request) => Promise<void>, done: string) => async (req: Request, res: Response) => {
        try {
          await fn(req);
          flash(req, 'ok', done);
          res.redirect('/alerts');
        } catch (err) {
          if (!(err instanceof AppError) || err.status >= 500) throw err;
          res.status(err.status);
          await page(req, res, { formError: err.message });
        }
      };

    app.post(
      '/alerts/:id/acknowledge',
      act,
      transition((req) => alerts.acknowledge(req.actor, String(req.params.id)), 'Alert acknowledged.'),
    );
    app.post(
      '/alerts/:id/resolve',
      act,
      transition((req) => alerts.resolve(req.actor, String(req.params.id)), 'Alert resolved.'),
    );

    app.post('/alerts/rules/:kind', admin, async (req: Request, res: Response) => {
      try {
        await alerts.updateRule(req.actor, String(req.params.kind), req.body ?? {});
        flash(req, 'ok', 'Alert rule saved.');
        res.redirect('/alerts');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await page(req, res, { errors: err.fields });
      }
    });
  };
}
