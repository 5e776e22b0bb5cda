// What the rendering pages read besides the images themselves: the label page's facts and latest
// items, a task's items with their images, stores and products looked up for the editor's preview.
import type { Pool } from '../db/pool.js';
import { itemImage } from './item-images.js';
import * as repo from './render-page-repo.js';
import * as scope from './render-scope-repo.js';
import { ForbiddenError, NotFoundError } from '../core/errors.js';
import {
  assertStoreInScope,
  inStoreScope,
  outOfScopeMessage,
  scopeIds,
  type Actor,
} from '../core/identity.js';
import type { RenderService } from './render-service.js';

export class RenderPagesService {
  constructor(
    private readonly pool: Pool,
    private readonly render: RenderService,
  ) {}

  /** The stores (those the actor may see, when given). */
  async stores(actor?: Actor) {
    return (await repo.storeList(this.pool)).filter((s) => inStoreScope(actor, s.id));
  }

  /** Refuses (404 for reads, 403 for changes) a label of a store outside the actor's scope. */
  async assertLabel(actor: Actor, labelId: string, change: boolean) {
    if (!actor.stores) return;
    const s = await scope.labelStore(this.pool, labelId);
    if (!s) return;
    if (change) assertStoreInScope(actor, s);
    else if (!inStoreScope(actor, s.id)) throw new NotFoundError(`No label ${labelId.slice(0, 64)}.`);
  }

  /** A task item of a store outside the actor's scope is not found. */
  async assertItem(actor: Actor, itemId: string) {
    if (!actor.stores) return;
    const s = await scope.itemStore(this.pool, itemId);
    if (s && !inStoreScope(actor, s.id)) throw new NotFoundError('No such task item.');
  }

  /** A store outside the actor's scope: not found (reads) or refused (changes, naming it). */
  async assertStore(actor: Actor, storeId: number, change: boolean) {
    if (!actor.stores || inStoreScope(actor, storeId)) return;
    const s = await scope.storeById(this.pool, storeId);
    if (change && s) throw new ForbiddenError(outOfScopeMessage(s));
    throw new NotFoundError('No such product or store.');
  }

  /**
   * Changes shared by every store (templates, every-store assignments, a product's details that a
   * store outside the scope prices) are refused to a store-scoped actor.
   */
  async assertShared(actor: Actor, productId?: number) {
    const ids = scopeIds(actor);
    if (!ids) return;
    if (productId === undefined)
      throw new ForbiddenError('This setting is shared by every store: ask someone who sees every store.');
    const s = await scope.pricingStoreOutside(this.pool, productId, ids);
    if (s) throw new ForbiddenError(outOfScopeMessage(s));
  }

  productIdBySku(sku: string) {
    return repo.productIdBySku(this.pool, sku);
  }

  label(labelId: string) {
    return repo.labelPage(this.pool, labelId);
  }

  /** The label's latest task items, with the image rendered for each. */
  recentItems(labelId: string, limit = 10) {
    return repo.recentItems(this.pool, labelId, limit);
  }

  hasImage(hash: string) {
    return repo.hasImage(this.pool, hash);
  }

  imageByHash(hash: string) {
    return repo.imageByHash(this.pool, hash);
  }

  taskItems(taskId: string, limit: number, offset: number, actor?: Actor) {
    return repo.taskItemsPage(this.pool, taskId, limit, offset, scopeIds(actor));
  }

  /** One task item's image: the one recorded for it, or drawn now (and recorded). */
  itemImage(itemId: string) {
    return itemImage(this.pool, this.render, itemId);
  }
}
