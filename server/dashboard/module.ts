// The dashboard domain: the home page of every role and the label health list.
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { LiveHub } from '../core/live-hub.js';
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
  // the dashboard's live snapshot, computed once per tick for every viewer (server/core/live-hub.ts)
  const live = new LiveHub(
    ctx.redis,
    ctx.config.REDIS_PREFIX,
    ctx.log.child({ module: 'dashboard-live' }),
    'dashboard-live',
  );
  return {
    name: 'dashboard',
    services: [live],
    routes: [dashboardRoutes(dashboard, new HealthService(ctx.pool), live)],
    ports: { dashboard },
  };
}
