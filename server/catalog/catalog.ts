// Composes the catalog: services over one pool, the web and API routes, and the
// schedule worker for the worker role. The platform hands in the pipeline's TaskCreator.
import type { Router } from 'express';
import type { AppContext } from '../core/context.js';
import { ProductsService } from './products-service.js';
import { StoresService } from './stores-service.js';
import { LabelsService } from './labels-service.js';
import { PriceChangeService } from './price-change-service.js';
import { SchedulesService } from './schedules-service.js';
import { ScheduleWorker } from './schedule-worker.js';
import { productsRoutes } from './products-routes.js';
import { storesRoutes } from './stores-routes.js';
import { labelsRoutes } from './labels-routes.js';
import { schedulesRoutes } from './schedules-routes.js';
import { ImportService } from './import-service.js';
import { importRoutes } from './import-routes.js';
import { CatalogApiService } from './api-service.js';
import { catalogApiRoutes } from './api-routes.js';
import { CatalogBulkService } from './api-bulk-service.js';
import { openApiRoutes } from '../api/openapi.js';
import type { PriceTaskCreator } from './task-port.js';

export function createCatalog(ctx: AppContext, tasks: PriceTaskCreator) {
  const { pool } = ctx;
  const changes = new PriceChangeService(pool, tasks);
  const products = new ProductsService(pool, tasks);
  const routes: ((app: Router) => void)[] = [
    productsRoutes(pool, products, changes),
    storesRoutes(new StoresService(pool)),
    labelsRoutes(pool, new LabelsService(pool, tasks)),
    schedulesRoutes(new SchedulesService(pool)),
    importRoutes(new ImportService(pool, changes)),
    catalogApiRoutes(
      new CatalogApiService(pool, changes),
      new CatalogBulkService(pool, new StoresService(pool), tasks),
    ),
    openApiRoutes(),
  ];
  const scheduleWorker = new ScheduleWorker(
    pool,
    changes,
    tasks,
    ctx.log,
    ctx.config.CATALOG_SCHEDULE_INTERVAL_MS,
  );
  return { routes, scheduleWorker, changes };
}
