// /api/v1 for ERP and POS systems. Authentication (API key or session) is the app's;
// each route names the scope it needs. Errors are JSON through the one error handler.
import type { NextFunction, Request, Response, Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { ValidationError } from '../core/errors.js';
import { parseList } from '../core/list-page.js';
import { PriceHistoryQuery, ProductListQuery, StoreListQuery } from './api-schemas.js';
import type { CatalogLabelsApiService } from './api-labels-service.js';
import type { PriceHistoryService } from './price-history-service.js';
import { historyJson } from './price-history-serializers.js';
import type { CatalogApiService } from './api-service.js';
import type { CatalogBulkService } from './api-bulk-service.js';

/** Reading the catalog: any key or user that may read tasks or write prices. */
function canReadCatalog(req: Request, res: Response, next: NextFunction) {
  requireScope('tasks:read')(req, res, (err?: unknown) =>
    err ? requireScope('prices:write')(req, res, next) : next(),
  );
}

export function catalogApiRoutes(
  api: CatalogApiService,
  bulk: CatalogBulkService,
  history: PriceHistoryService,
  labels: CatalogLabelsApiService,
) {
  return (app: Router) => {
    app.post('/api/v1/stores', requireScope('admin'), async (req, res) => {
      res.status(201).json(await bulk.createStore(req.actor, req.body));
    });

    app.post('/api/v1/stores/:code/groups', requireScope('admin'), async (req, res) => {
      res.json(await bulk.assignGroup(req.actor, String(req.params.code), req.body));
    });

    app.put('/api/v1/stores/:code/quiet-hours', requireScope('admin'), async (req, res) => {
      res.json(await bulk.setQuietHours(req.actor, String(req.params.code), req.body));
    });

    app.post('/api/v1/products', requireScope('prices:write'), async (req, res) => {
      res.json(await bulk.upsertProducts(req.actor, req.body));
    });

    app.post('/api/v1/labels', requireScope('prices:write'), async (req, res) => {
      res.json(await bulk.createLabels(req.actor, req.body));
    });

    app.post('/api/v1/price-changes', requireScope('prices:write'), async (req, res) => {
      res.status(201).json(await api.priceChanges(req.actor, req.body));
    });

    app.get('/api/v1/stores', canReadCatalog, async (req, res) => {
      res.json(await api.stores(parseList(StoreListQuery, req.query), req.actor));
    });

    app.get('/api/v1/products', canReadCatalog, async (req, res) => {
      res.json(await api.products(parseList(ProductListQuery, req.query), req.actor));
    });

    app.get('/api/v1/products/:sku/price-history', canReadCatalog, async (req, res) => {
      const r = PriceHistoryQuery.safeParse(req.query);
      if (!r.success)
        throw new ValidationError(
          'Invalid filter.',
          Object.fromEntries(r.error.issues.map((i) => [String(i.path[0] ?? 'query'), i.message])),
        );
      res.json(historyJson(await history.ofSku(String(req.params.sku), r.data, req.actor)));
    });

    app.post('/api/v1/labels/unbind', requireScope('prices:write'), async (req, res) => {
      res.json(await labels.unbind(req.actor, req.body));
    });

    app.post('/api/v1/labels/move', requireScope('prices:write'), async (req, res) => {
      res.json(await labels.move(req.actor, req.body));
    });
  };
}
