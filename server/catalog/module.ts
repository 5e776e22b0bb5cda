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
import { PriceHistoryService, priorLowest } from './price-history-service.js';
import type { HistoryState } from './price-history.js';
import { productsRoutes } from './products-routes.js';
import { ProductsService } from './products-service.js';
import { ScheduleWorker } from './schedule-worker.js';
import { schedulesRoutes } from './schedules-routes.js';
import { SchedulesService } from './schedules-service.js';
import { storesRoutes } from './stores-routes.js';
import { StoresService } from './stores-service.js';
import type { PriceTaskCreator } from './task-port.js';
import type { Pair } from './prices-repo.js';

export interface CatalogPorts {
  changes: PriceChangeService;
  /** Labels: binding (the aisle page). */
  labels: LabelsService;
  /**
   * The Omnibus lowest price of the 30 days before a promotion starting at `start`, from the
   * history known now and the `planned` states pending schedules put in force before it (label previews).
   */
  omnibus: (pair: Pair, start: Date, planned?: HistoryState[]) => Promise<string | null>;
}

export function createCatalogModule(
  ctx: AppContext,
  roles: ReadonlySet<Role>,
  deps: { tasks: PriceTaskCreator },
): DomainModule<CatalogPorts> {
  const { pool, log, config } = ctx;
  const changes = new PriceChangeService(pool, deps.tasks, config.PRICE_CONFIRM_CHANGE_PERCENT);
  const labels = new LabelsService(pool, deps.tasks);
  const history = new PriceHistoryService(pool);
  const stores = new StoresService(pool);
  return {
    name: 'catalog',
    services: roles.has('worker')
      ? [new ScheduleWorker(pool, changes, deps.tasks, log, config.CATALOG_SCHEDULE_INTERVAL_MS)]
      : [],
    routes: [
      productsRoutes(
        new ProductsService(pool, deps.tasks),
        new PriceEditService(pool, changes),
        history,
        stores,
      ),
      storesRoutes(stores),
      labelsRoutes(labels),
      schedulesRoutes(new SchedulesService(pool), stores),
      importRoutes(new ImportService(pool, changes)),
      catalogApiRoutes(
        new CatalogApiService(pool, changes),
        new CatalogBulkService(pool, stores, deps.tasks),
        history,
        new CatalogLabelsApiService(pool, deps.tasks),
      ),
    ],
    ports: { changes, labels, omnibus: (pair, start, planned) => priorLowest(pool, pair, start, planned) },
  };
}
