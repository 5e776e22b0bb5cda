// The catalog as the platform composes it: stores, products, prices, labels, imports and
// schedules over one pool, their pages and REST API (web role), and the schedule worker
// (worker role). Price changes become tasks through the pipeline's TaskCreator (a port).
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { DomainModule } from '../core/module.js';
import { catalogApiRoutes } from './api-routes.js';
import { CatalogApiService } from './api-service.js';
import { CatalogBulkService } from './api-bulk-service.js';
import { CatalogLabelsApiService } from './api-labels-service.js';
import { importRoutes } from './import-routes.js';
import { ImportService } from './import-service.js';
import { labelsRoutes } from './labels-routes.js';
import { LabelsService } from './labels-service.js';
import { PriceChangeService } from './price-change-service.js';
import { PriceEditService } from './price-edit-service.js';
import { productsRoutes } from './products-routes.js';
import { ProductsService } from './products-service.js';
import { ScheduleWorker } from './schedule-worker.js';
import { schedulesRoutes } from './schedules-routes.js';
import { SchedulesService } from './schedules-service.js';
import { storesRoutes } from './stores-routes.js';
import { StoresService } from './stores-service.js';
import type { PriceTaskCreator } from './task-port.js';

export interface CatalogPorts {
  changes: PriceChangeService;
}

export function createCatalogModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: { tasks: PriceTaskCreator },
): DomainModule<CatalogPorts> {
  const { pool, log, config } = ctx;
  const changes = new PriceChangeService(pool, deps.tasks);
  return {
    name: 'catalog',
    services: roles.has('worker')
      ? [new ScheduleWorker(pool, changes, deps.tasks, log, config.CATALOG_SCHEDULE_INTERVAL_MS)]
      : [],
    routes: [
      productsRoutes(new ProductsService(pool, deps.tasks), new PriceEditService(pool, changes)),
      storesRoutes(new StoresService(pool)),
      labelsRoutes(new LabelsService(pool, deps.tasks)),
      schedulesRoutes(new SchedulesService(pool)),
      importRoutes(new ImportService(pool, changes)),
      catalogApiRoutes(
        new CatalogApiService(pool, changes),
        new CatalogBulkService(pool, new StoresService(pool), deps.tasks),
        new CatalogLabelsApiService(pool, deps.tasks),
      ),
    ],
    ports: { changes },
  };
}
