// Read-only SQL for the rendering pages: the label page, store and product look-ups.
import type { Queryable } from '../db/pool.js';
import { storeScopeSql } from '../db/store-scope.js';
import { queryOne, queryRows, querySingle } from '../db/query.js';

// A pending item at or below its (task, group) cursor went out in a task message: it reads as
// sent (server/tasks/README.md, "Writes per label").
const ITEM_STATE = "IF(ti.state = 'pending' AND ti.id <= tg.sent_to, 'sent', ti.state) AS state";

export async function storeList(db: Queryable) {
  return queryRows<{
    id: number;
    code: string;
    name: string;
  }>(db, 'SELECT id, code, name FROM stores ORDER BY code');
}

export async function productIdBySku(db: Queryable, sku: string) {
  const rows = await queryRows<{
    id: number;
  }>(db, 'SELECT id FROM products WHERE sku = ?', [sku]);
  return rows[0]?.id;
}

export async function labelPage(db: Queryable, labelId: string) {
  return queryOne<{
    label_id: string;
    group_id: string;
    model_code: string;
    product_id: number | null;
    bound_at: Date | null;
    last_ap_client_id: string | null;
    battery_mv: number | null;
    rssi: number | null;
    displayed_hash: string | null;
    last_status_at: Date | null;
    last_confirmed_at: Date | null;
    store_id: number;
    store_code: string;
    store_name: string;
    sku: string | null;
    product_name: string | null;
    model_name: string;
    width_px: number;
    height_px: number;
    colours: string;
    pages: number;
  }>(
    db,
    `SELECT l.label_id, l.group_id, l.model_code, l.product_id, l.bound_at, l.last_ap_client_id, l.battery_mv, l.rssi,
        l.displayed_hash, l.last_status_at, l.last_confirmed_at, s.id AS store_id, s.code AS store_code, s.name AS store_name,
        pr.sku, pr.name AS product_name, m.name AS model_name, m.width_px, m.height_px, m.colours, m.pages
       FROM labels l JOIN stores s ON s.id = l.store_id JOIN label_models m ON m.code = l.model_code
       LEFT JOIN products pr ON pr.id = l.product_id WHERE l.label_id = ?`,
    [labelId],
  );
}

/** The label's latest task items with the image the worker rendered for each. */
export async function recentItems(db: Queryable, labelId: string, limit: number) {
  return queryRows<{
    id: string;
    task_id: string;
    state: string;
    price: string;
    promo_price: string | null;
    content_hash: string;
    updated_at: Date;
    image_hash: string | null;
    render_error: string | null;
  }>(
    db,
    `SELECT ti.id, ti.task_id, ${ITEM_STATE}, ti.price, ti.promo_price, ti.content_hash, ti.updated_at, i.image_hash, i.error AS render_error
       FROM task_items ti LEFT JOIN task_item_images i ON i.item_id = ti.id
       LEFT JOIN task_groups tg ON tg.task_id = ti.task_id AND tg.group_id = ti.group_id
      WHERE ti.label_id = ? ORDER BY ti.id DESC LIMIT ?`,
    [labelId, limit],
  );
}

export async function hasImage(db: Queryable, hash: string) {
  const rows = await queryRows<object>(db, 'SELECT 1 FROM label_images WHERE image_hash = ? LIMIT 1', [hash]);
  return rows.length > 0;
}

export async function imageByHash(db: Queryable, hash: string) {
  const rows = await queryRows<{
    png: Buffer;
  }>(db, 'SELECT png FROM label_images WHERE image_hash = ? LIMIT 1', [hash]);
  return rows[0]?.png ?? null;
}

/** A page of a task's items with the image rendered for each, if any. */
export async function taskItemsPage(
  db: Queryable,
  taskId: string,
  limit: number,
  offset: number,
  scope: readonly number[] | null = null,
) {
  const sc = storeScopeSql('ti.store_id', scope);
  const rows = await queryRows<{
    id: string;
    label_id: string;
    state: string;
    sku: string;
    name: string;
    price: string;
    promo_price: string | null;
    image_hash: string | null;
    render_error: string | null;
  }>(
    db,
    `SELECT ti.id, ti.label_id, ${ITEM_STATE}, ti.sku, ti.name, ti.price, ti.promo_price, i.image_hash, i.error AS render_error
       FROM task_items ti LEFT JOIN task_item_images i ON i.item_id = ti.id
       LEFT JOIN task_groups tg ON tg.task_id = ti.task_id AND tg.group_id = ti.group_id
      WHERE ti.task_id = ?${sc.sql} ORDER BY ti.id LIMIT ? OFFSET ?`,
    [taskId, ...sc.params, limit, offset],
  );
  const c = await querySingle<{ n: string }>(
    db,
    `SELECT COUNT(*) AS n FROM task_items ti WHERE ti.task_id = ?${sc.sql}`,
    [taskId, ...sc.params],
  );
  return { rows, total: Number(c.n) };
}
