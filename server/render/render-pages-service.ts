// What the rendering pages read besides the images themselves: the label page's facts and latest
// items, a task's items with their images, stores and products looked up for the editor's preview.
import type { Pool } from '../db/pool.js';
import { itemImage } from './item-images.js';
import * as repo from './render-page-repo.js';
import type { RenderService } from './render-service.js';

export class RenderPagesService {
  constructor(
    private readonly pool: Pool,
    private readonly render: RenderService,
  ) {}

  stores() {
    return repo.storeList(this.pool);
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

  taskItems(taskId: string, limit: number, offset: number) {
    return repo.taskItemsPage(this.pool, taskId, limit, offset);
  }

  /** One task item's image: the one recorded for it, or drawn now (and recorded). */
  itemImage(itemId: string) {
    return itemImage(this.pool, this.render, itemId);
  }
}
