import { scopeIds } from '../core/identity.js';
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { positiveId, readers, str, writers } from './route-helpers.js';
import { flash, flashKey } from '../web/flash.js';
import type { PriceEditService, PriceForm } from './price-edit-service.js';
import type { ProductsService } from './products-service.js';
import type { PriceHistoryService } from './price-history-service.js';
import type { StoresService } from './stores-service.js';
import { listQuery } from '../web/list-query.js';
import { PriceConfirmationError } from './price-sanity.js';

const list = (v: unknown) => (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);

export function productsRoutes(
  products: ProductsService,
  prices: PriceEditService,
  history: PriceHistoryService,
  stores: StoresService,
) {
  return (app: Router) => {
    const listPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}) => {
      const q = str(req.query.q);
      const lq = listQuery(req, 25);
      const result = await products.search(req.actor, q, lq.page, lq.storeId, lq.pageSize);
      res.render('catalog/products', {
        title: req.t('products.title'),
        q,
        result,
        pager: result,
        query: req.query,
        stores: await stores.list(req.actor),
        storeId: result.storeId,
        ...extra,
      });
    };
    const productPage = async (res: Response, id: number, extra: Record<string, unknown> = {}) => {
      const [page, priceHistory] = await Promise.all([
        products.page(id, res.req.actor),
        history.ofProduct(id, { scope: scopeIds(res.req.actor) }),
      ]);
      res.render('catalog/product', {
        title: res.locals.t('product.titleOf', { sku: page.product.sku }),
        ...page,
        priceHistory,
        priceValues: {},
        priceWarnings: [],
        ...extra,
      });
    };

    app.get('/catalog/products', readers, (req, res) => listPage(req, res));

    app.post('/catalog/products', writers, async (req, res) => {
      try {
        const id = await products.create(req.actor, req.body);
        flashKey(req, 'ok', 'products.flash.created');
        res.redirect(`/catalog/products/${id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await listPage(req, res, { errors: err.fields, values: req.body });
      }
    });

    app.get('/catalog/products/:id', readers, (req, res) => productPage(res, positiveId(req.params.id)));

    app.post('/catalog/products/:id', writers, async (req, res) => {
      const id = positiveId(req.params.id);
      try {
        const task = await products.update(req.actor, id, req.body);
        if (task) flashKey(req, 'ok', 'product.flash.savedTask', { task: task.taskId, n: task.items });
        else flashKey(req, 'ok', 'product.flash.saved');
        res.redirect(`/catalog/products/${id}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await productPage(res, id, { errors: err.fields, values: req.body });
      }
    });

    app.post('/catalog/products/:id/prices', writers, async (req, res) => {
      const id = positiveId(req.params.id);
      const product = await products.get(id, req.actor);
      const b = req.body as Record<string, unknown>;
      const form: PriceForm = {
        price: str(b.price),
        promoPrice: str(b.promoPrice),
        promoFrom: str(b.promoFrom),
        promoTo: str(b.promoTo),
        effectiveAt: str(b.effectiveAt),
        stores: list(b.stores),
        allStores: b.allStores === '1',
        urgent: b.urgent === '1',
        confirm: b.confirm === '1',
      };
      try {
        const r = await prices.edit(req.actor, product.sku, form);
        const t = req.t;
        const parts = [
          r.applied ? t('product.flash.changed', { n: r.applied }) : '',
          r.taskId
            ? t('product.flash.task', { task: r.taskId, n: r.items })
            : r.applied
              ? t('product.flash.noLabels')
              : '',
          r.scheduled.length ? t('product.flash.scheduled', { n: r.scheduled.length }) : '',
        ].filter(Boolean);
        // Composed in the reader's language now: the parts vary with what happened.
        flash(req, 'ok', parts.join(t('product.flash.sep')) + t('product.flash.end'));
        // Straight to the task, so the operator watches the labels confirm.
        res.redirect(r.taskId ? `/tasks/${r.taskId}` : `/catalog/products/${id}`);
      } catch (err) {
        // Warnings: the same form again, filled in, with the warnings and a confirm step.
        if (err instanceof PriceConfirmationError) {
          res.status(422);
          return productPage(res, id, { priceWarnings: err.warnings, priceValues: form });
        }
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await productPage(res, id, { errors: err.fields, priceValues: form });
      }
    });
  };
}
