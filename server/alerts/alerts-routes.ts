// Alert pages: the list (everyone), acknowledge and resolve (operators and admins), the rules'
// thresholds (admins change, others read).
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { requireRole } from '../web/guards.js';
import { ALERT_KINDS, ALERT_KIND_INFO, ALERT_STATES } from './alert-kinds.js';
import type { AlertsService } from './alerts-service.js';
import { listQuery } from '../web/list-query.js';

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
      const lq = listQuery(req, 100);
      const page = lq.page;
      const kind =
        typeof req.query.kind === 'string' && (ALERT_KINDS as readonly string[]).includes(req.query.kind)
          ? req.query.kind
          : undefined;
      const states = state === 'all' ? [...ALERT_STATES] : state ? [state] : ['open', 'acknowledged'];
      const list = await alerts.list({ states, kind, page, pageSize: lq.pageSize }, req.actor);
      res.render('alerts/index', {
        title: req.t('alerts.title'),
        list,
        pager: { page, pages: list.pages, total: list.total, pageSize: list.pageSize },
        query: req.query,
        kind: kind ?? '',
        kinds: ALERT_KINDS,
        state,
        page,
        states: ALERT_STATES,
        info: ALERT_KIND_INFO,
        canAct: req.user!.role !== 'auditor',
      });
    });

    app.post('/alerts/:id/acknowledge', act, async (req: Request, res: Response) => {
      await alerts.acknowledge(req.actor, String(req.params.id));
      flashKey(req, 'info', 'alerts.flash.acknowledged', { id: req.params.id });
      res.redirect('/alerts');
    });

    app.post('/alerts/:id/resolve', act, async (req: Request, res: Response) => {
      await alerts.resolve(req.actor, String(req.params.id));
      flashKey(req, 'info', 'alerts.flash.resolved', { id: req.params.id });
      res.redirect('/alerts');
    });

    const rulesPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}) =>
      res.render('alerts/rules', {
        title: req.t('alerts.rules.title'),
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
      flashKey(req, 'ok', 'alerts.flash.rulesSaved');
      res.redirect('/alerts/rules');
    });
  };
}
