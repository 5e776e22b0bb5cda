// Products (SKU, name, unit, currency). A rename changes what labels show, so it
// also creates a task for every store that prices the product.
import type { Pool } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import { withTx } from '../db/pool.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../core/errors.js';
import { inStoreScope, outOfScopeMessage, scopeIds } from '../core/identity.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import { currencySchema, nameSchema, parseFields, skuSchema, unitSchema } from './schemas.js';
import * as repo from './products-repo.js';
import * as prices from './prices-repo.js';
import { listSchedules } from './schedules-repo.js';
import { listStores } from './stores-repo.js';
import type { PriceTaskCreator } from './task-port.js';

export const PAGE_SIZE = 25;

export class ProductsService {
  constructor(
    private readonly pool: Pool,
    private readonly tasks: PriceTaskCreator | null,
  ) {}

  /**
   * A page of products for the actor (its stores' products, and products priced nowhere yet),
   * each with its current price in each store it may see; `storeId` keeps one store's products.
   */
  async search(actor: Actor, q: string, page: number, storeId: number | null = null, pageSize = PAGE_SIZE) {
    const size = Math.max(10, Math.min(pageSize || PAGE_SIZE, 200));
    const p = Math.max(1, Math.min(page || 1, 100_000));
    const scope = scopeIds(actor);
    const store = storeId && inStoreScope(actor, storeId) ? storeId : null;
    const { rows, total } = await repo.searchProducts(
      this.pool,
      q.trim().slice(0, 100),
      size,
      (p - 1) * size,
      {
        scope,
        storeId: store,
      },
    );
    const all = await prices.pricesForProducts(
      this.pool,
      rows.map((r) => r.id),
      store ? [store] : scope,
    );
    return {
      rows: rows.map((r) => ({ ...r, prices: all.filter((x) => x.product_id === r.id) })),
      total,
      page: p,
      pageSize: size,
      storeId: store,
      pages: Math.max(1, Math.ceil(total / size)),
    };
  }

  /** A product; with an actor, one priced only in stores outside its scope is not found. */
  async get(id: number, actor?: Actor) {
    const p = await repo.findProduct(this.pool, id);
    if (!p) throw new NotFoundError('No such product.');
    const scope = scopeIds(actor);
    if (scope) {
      const outside = await prices.storesPricingOutside(this.pool, id, scope);
      const pricing = await prices.storesPricing(this.pool, id);
      if (pricing.length && outside.length === pricing.length) throw new NotFoundError('No such product.');
    }
    return p;
  }

  /** The product page: the product, its price in each store the actor sees, those stores, its schedules there. */
  async page(id: number, actor?: Actor) {
    const product = await this.get(id, actor);
    const scope = scopeIds(actor);
    const [storePrices, stores, schedules] = await Promise.all([
      prices.pricesByStore(this.pool, id, scope),
      listStores(this.pool, scope),
      listSchedules(this.pool, { productId: id, limit: 50, scope }),
    ]);
    return { product, prices: storePrices, stores, schedules };
  }

  async bySku(sku: string) {
    return repo.findProductBySku(this.pool, sku);
  }

  async create(actor: Actor, input: Record<string, unknown>) {
    const v = parseFields(
      { sku: skuSchema, name: nameSchema, unit: unitSchema, currency: currencySchema },
      input,
    );
    try {
      return await withTx(this.pool, async (c) => {
        const id = await repo.insertProduct(c, v);
        await appendAudit(c, actor, [
          {
            action: 'product.created',
            objectType: 'product',
            objectId: v.sku,
            refs: { sku: v.sku },
            after: v,
          },
        ]);
        return id;
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') {
        throw new ValidationError('Please correct the highlighted fields.', {
          sku: 'a product with this SKU exists',
        });
      }
      throw err;
    }
  }

  async update(actor: Actor, id: number, input: Record<string, unknown>) {
    const v = parseFields({ name: nameSchema, unit: unitSchema, currency: currencySchema }, input);
    const scope = scopeIds(actor);
    const task = await withTxRetry(this.pool, async (c) => {
      const before = await repo.findProduct(c, id);
      if (!before) throw new NotFoundError('No such product.');
      // A product is shared by every store that prices it: its edit changes their labels too.
      if (scope) {
        const outside = await prices.storesPricingOutside(c, id, scope);
        if (outside.length) throw new ForbiddenError(outOfScopeMessage(outside[0]));
      }
      await repo.updateProduct(c, id, v);
      const stores = await prices.storesPricing(c, id);
      const t =
        this.tasks && stores.length
          ? await this.tasks.createInTx(
              c,
              actor,
              stores.map((storeId) => ({ storeId, productId: id })),
              { source: 'ui', note: `product ${before.sku} edited` },
            )
          : null;
      await appendAudit(c, actor, [
        {
          action: 'product.updated',
          objectType: 'product',
          objectId: before.sku,
          refs: { sku: before.sku, task: t?.taskId },
          before: { name: before.name, unit: before.unit, currency: before.currency },
          after: v,
        },
      ]);
      return t;
    });
    if (task) await this.tasks!.enqueue(task.taskId);
    return task;
  }
}
