// The aisle page as the platform composes it: web role only, given the catalog's labels service
// (binding) and the label commands service (flash, find) as ports.
import type { LabelsService } from '../catalog/labels-service.js';
import type { LabelCommandsService } from '../commands/commands-service.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { aisleRoutes } from './aisle-routes.js';
import { AisleService } from './aisle-service.js';

export function createAisleModule(
  ctx: AppContext,
  deps: { labels: LabelsService; commands: LabelCommandsService },
): DomainModule {
  return {
    name: 'aisle',
    services: [],
    routes: [aisleRoutes(new AisleService(ctx.pool, deps.labels, deps.commands))],
    ports: {},
  };
}
