// Alerts as the platform composes them: the rules and alerts over one pool, the evaluator
// (worker role), the /alerts pages (web role), and a port for the navigation's open count.
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { AlertsEvaluator } from './alerts-evaluator.js';
import { alertsRoutes } from './alerts-routes.js';
import { AlertsService } from './alerts-service.js';

export interface AlertsPorts {
  /** Open (unacknowledged) alerts: the number shown next to "Alerts" in the navigation. */
  openCount: () => Promise<number>;
}

export function createAlertsModule(ctx: AppContext, roles: ReadonlySet<Role>): DomainModule<AlertsPorts> {
  const alerts = new AlertsService(ctx.pool);
  return {
    name: 'alerts',
    services: roles.has('worker')
      ? [new AlertsEvaluator(alerts, ctx.log, ctx.config.ALERTS_EVALUATE_SECONDS * 1000)]
      : [],
    routes: [alertsRoutes(alerts)],
    ports: { openCount: () => alerts.countOpen() },
  };
}
