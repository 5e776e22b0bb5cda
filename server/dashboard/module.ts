// The dashboard domain: the home page of every role and the label health list.
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import type { TaskService } from '../tasks/task-service.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { HealthService } from './health-service.js';
import { DashboardService } from './dashboard-service.js';

export interface DashboardPorts {
  dashboard: DashboardService;
}

export function createDashboardModule(
  ctx: AppContext,
  deps: { tasks: TaskService },
): DomainModule<DashboardPorts> {
  const dashboard = new DashboardService(ctx.pool, deps.tasks, ctx.config.sls !== null);
  return {
    name: 'dashboard',
    services: [],
    routes: [dashboardRoutes(dashboard, new HealthService(ctx.pool))],
    ports: { dashboard },
  };
}
