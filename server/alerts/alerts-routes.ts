// Alert pages: the list (everyone), acknowledge and resolve (operators and admins), the rules'
// thresholds (admins change, others read).
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flash } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { ALERT_KINDS, ALERT_KIND_INFO, ALERT_STATES } from './alert-kinds.js';
import type { AlertsService } from './alerts-service.js';

export function alertsRoutes(alerts: AlertsService) {
  return (app: Router) => {
    const read = requireRole('admin', 'operator', 'auditor');
    const act = requireRole('admin', 'operator');

    app.get('/alerts', read, async (req: Request, res: Response) => {
      const state = typeof req.query.state === 'string' ? req.query.state : '';
      if (state && state !== 'all' && !(ALERT_STATES as readonly string[]).includes(state))
        throw new ValidationError('Invalid filter.', {
          state: `must be all or one of ${ALERT_STATES.join(', ')}`,
        });
      const page = Math.max(1, Math.min(100_000, Number(req.query.page) || 1));
      const states = state === 'all' ? [...ALERT_STATES] : state ? [state] : ['open', 'acknowledged'];
      res.render('alerts/index', {
        title: 'Alerts',
        list: await alerts.list({ states, page }),
        state,
        page,
        states: ALERT_STATES,
        info: ALERT_KIND_INFO,
        canAct: req.user!.role !== 'auditor',
      });
    });

    app.post('/alerts/:id/acknowledge', act, async (req: Request, res: Response) => {
      await alerts.acknowledge(req.actor, String(req.params.id));
      flash(req, 'info', `Alert ${req.params.id} acknowledged.`);
      res.redirect('/alerts');
    });

    app.post('/alerts/:id/resolve', act, async (req: Request, res: Response) => {
      await alerts.resolve(req.actor, String(req.params.id));
      flash(req, 'info', `Alert ${req.params.id} resolved; it opens again if its condition still holds.`);
      res.redirect('/alerts');
    });

    const rulesPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
      res.render('alerts/rules', {
        title: 'Alert rules',
        rules: await alerts.rules(),
        kinds: ALERT_KINDS,
        info: ALERT_KIND_INFO,
        canEdit: req.user!.role === 'admin',
        ...extra,
      });

    app.get('/alerts/rules', read, (req, res) => rulesPage(req, res));

    app.post('/alerts/rules', requireRole('admin'), async (req: Request, res: Response) => {
      try {
        await alerts.updateRules(req.actor, req.body ?? {});
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        return rulesPage(req, res, { errors: err.fields, values: req.body });
      }
      flash(req, 'ok', 'Alert rules saved; the next evaluation uses them.');
      res.redirect('/alerts/rules');
    });
  };
}
