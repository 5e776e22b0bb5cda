// The alerts domain: rules with thresholds, evaluated by the worker; alerts shown, acknowledged
// and resolved in the UI; every change audited.
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { TaskService } from '../tasks/task-service.js';
import { AlertEvaluator } from './alert-evaluator.js';
import { alertsRoutes } from './alerts-routes.js';
import { alertsApiRoutes } from './alerts-api-routes.js';
import { AlertsService } from './alerts-service.js';

export interface AlertsPorts {
  alerts: AlertsService;
  evaluator: AlertEvaluator;
}

export function createAlertsModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: { tasks: TaskService },
): DomainModule<AlertsPorts> {
  const alerts = new AlertsService(ctx.pool);
  const evaluator = new AlertEvaluator(ctx.pool, deps.tasks, ctx.log, ctx.config.ALERT_INTERVAL_MS);
  return {
    name: 'alerts',
    services: roles.has('worker') ? [evaluator] : [],
    routes: [alertsRoutes(alerts), alertsApiRoutes(alerts)],
    ports: { alerts, evaluator },
  };
}
