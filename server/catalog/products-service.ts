// Products (SKU, name, unit, currency). A rename changes what labels show, so it
// also creates a task for every store that prices the product.
import type { Pool } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import { withTx } from '../db/pool.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
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

  async search(q: string, page: number) {
    const p = Math.max(1, Math.min(page || 1, 100_000));
    const { rows, total } = await repo.searchProducts(
      this.pool,
      q.trim().slice(0, 100),
      PAGE_SIZE,
      (p - 1) * PAGE_SIZE,
    );
    return { rows, total, page: p, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
  }

  async get(id: number) {
    const p = await repo.findProduct(this.pool, id);
    if (!p) throw new NotFoundError('No such product.');
    return p;
  }

  /** The product page: the product, its price in each store, every store, its schedules. */
  async page(id: number) {
    const product = await this.get(id);
    const [storePrices, stores, schedules] = await Promise.all([
      prices.pricesByStore(this.pool, id),
      listStores(this.pool),
      listSchedules(this.pool, { productId: id, limit: 50 }),
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
    const task = await withTxRetry(this.pool, async (c) => {
      const before = await repo.findProduct(c, id);
      if (!before) throw new NotFoundError('No such product.');
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
