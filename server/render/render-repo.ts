// The SQL of rendering: models, templates and their assignments, the facts a label prints,
// the image cache and the worker's per-task progress.
import type { Queryable } from '../db/pool.js';
import { execute, queryOne, queryRows, querySingle } from '../db/query.js';
import type { ColourSet, LabelModel } from './label-model.js';
import type { LabelFacts } from './label-content.js';
import type { RenderProgressState } from './states.js';

interface ModelRow {
  code: string;
  name: string;
  width_px: number;
  height_px: number;
  colours: ColourSet;
  pages: number;
}
const toModel = (r: ModelRow): LabelModel => ({
  code: r.code,
  name: r.name,
  width: r.width_px,
  height: r.height_px,
  colours: r.colours,
  pages: r.pages,
});

export async function listModels(db: Queryable): Promise<LabelModel[]> {
  const rows = await queryRows<ModelRow>(db, 'SELECT * FROM label_models ORDER BY code');
  return rows.map(toModel);
}

export async function findModel(db: Queryable, code: string): Promise<LabelModel | null> {
  const rows = await queryRows<ModelRow>(db, 'SELECT * FROM label_models WHERE code = ?', [code]);
  return rows[0] ? toModel(rows[0]) : null;
}

export interface TemplateRow {
  id: number;
  model_code: string;
  name: string;
  body: string;
  version: number;
  updated_by: string;
  updated_at: Date;
}

export async function listTemplates(db: Queryable): Promise<TemplateRow[]> {
  return queryRows<TemplateRow>(db, 'SELECT * FROM label_templates ORDER BY model_code, name');
}

export async function findTemplate(db: Queryable, id: number, lock = false): Promise<TemplateRow | null> {
  return queryOne<TemplateRow>(db, `SELECT * FROM label_templates WHERE id = ?${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
}

export async function templateNameTaken(db: Queryable, model: string, name: string, exceptId = 0) {
  const rows = await queryRows<{ id: number }>(
    db,
    'SELECT id FROM label_templates WHERE model_code = ? AND name = ? AND id <> ?',
    [model, name, exceptId],
  );
  return rows.length > 0;
}

export async function insertTemplate(
  db: Queryable,
  t: { model: string; name: string; body: string; by: string },
) {
  const r = await execute(
    db,
    'INSERT INTO label_templates (model_code, name, body, updated_by) VALUES (?, ?, ?, ?)',
    [t.model, t.name, t.body, t.by],
  );
  return r.insertId;
}

export async function updateTemplate(
  db: Queryable,
  id: number,
  t: { name: string; body: string; by: string },
) {
  await execute(
    db,
    'UPDATE label_templates SET name = ?, body = ?, updated_by = ?, version = version + 1 WHERE id = ?',
    [t.name, t.body, t.by, id],
  );
}

export interface AssignmentRow {
  model_code: string;
  store_id: number;
  category: string;
  template_id: number;
  template_name: string;
  store_code: string | null;
}

export async function listAssignments(db: Queryable): Promise<AssignmentRow[]> {
  return queryRows<AssignmentRow>(
    db,
    `SELECT a.model_code, a.store_id, a.category, a.template_id, t.name AS template_name, s.code AS store_code
       FROM label_template_assignments a JOIN label_templates t ON t.id = a.template_id
       LEFT JOIN stores s ON s.id = a.store_id ORDER BY a.model_code, a.store_id, a.category`,
  );
}

export async function findAssignment(db: Queryable, model: string, storeId: number, category: string) {
  const rows = await queryRows<{ template_id: number }>(
    db,
    'SELECT template_id FROM label_template_assignments WHERE model_code = ? AND store_id = ? AND category = ? FOR UPDATE',
    [model, storeId, category],
  );
  return rows[0]?.template_id ?? null;
}

export async function upsertAssignment(
  db: Queryable,
  a: { model: string; storeId: number; category: string; templateId: number; by: string },
) {
  await execute(
    db,
    `INSERT INTO label_template_assignments (model_code, store_id, category, template_id, updated_by) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE template_id = VALUES(template_id), updated_by = VALUES(updated_by)`,
    [a.model, a.storeId, a.category, a.templateId, a.by],
  );
}

export async function deleteAssignment(db: Queryable, model: string, storeId: number, category: string) {
  await execute(
    db,
    'DELETE FROM label_template_assignments WHERE model_code = ? AND store_id = ? AND category = ?',
    [model, storeId, category],
  );
}

/** Every assignment of the models asked for, for resolving many labels at once. */
export async function assignmentsOf(db: Queryable, models: string[]) {
  if (!models.length) return [];
  return queryRows<{
    model_code: string;
    store_id: number;
    category: string;
    id: number;
    body: string;
    version: number;
  }>(
    db,
    `SELECT a.model_code, a.store_id, a.category, t.id, t.body, t.version FROM label_template_assignments a
       JOIN label_templates t ON t.id = a.template_id WHERE a.model_code IN (?)`,
    [models],
  );
}

interface FactsRow {
  label_id: string;
  model_code: string;
  store_id: number;
  store_name: string;
  timezone: string;
  product_id: number | null;
  sku: string | null;
  name: string | null;
  name_latin: string | null;
  category: string | null;
  unit: string | null;
  currency: string | null;
  origin: string | null;
  spec: string | null;
  net_quantity: string | null;
  net_unit: string | null;
  price: string | null;
  promo_price: string | null;
  promo_from: Date | null;
  promo_to: Date | null;
  promo_prior_lowest: string | null;
}

export interface LabelRecord {
  labelId: string;
  modelCode: string;
  storeId: number;
  productId: number | null;
  category: string | null;
  /** null when the label is unbound or its product has no price in the store */
  facts: LabelFacts | null;
}

const FACTS_SQL = `SELECT l.label_id, l.model_code, l.store_id, s.name AS store_name, s.timezone, l.product_id,
    pr.sku, pr.name, pr.name_latin, pr.category, pr.unit, pr.currency, pr.origin, pr.spec, pr.net_quantity, pr.net_unit,
    p.price, p.promo_price, p.promo_from, p.promo_to, p.promo_prior_lowest
  FROM labels l JOIN stores s ON s.id = l.store_id
  LEFT JOIN products pr ON pr.id = l.product_id
  LEFT JOIN prices p ON p.store_id = l.store_id AND p.product_id = l.product_id`;

const toFacts = (r: FactsRow): LabelFacts | null =>
  r.sku === null || r.price === null
    ? null
    : {
        labelId: r.label_id,
        sku: r.sku,
        name: r.name!,
        nameLatin: r.name_latin,
        unit: r.unit!,
        currency: r.currency!,
        origin: r.origin,
        spec: r.spec,
        netQuantity: r.net_quantity,
        netUnit: r.net_unit,
        storeName: r.store_name,
        storeTimezone: r.timezone,
        price: {
          price: r.price,
          promoPrice: r.promo_price,
          promoFrom: r.promo_from,
          promoTo: r.promo_to,
          priorLowest: r.promo_prior_lowest,
        },
      };

export async function labelRecord(db: Queryable, labelId: string): Promise<LabelRecord | null> {
  const rows = await queryRows<FactsRow>(db, `${FACTS_SQL} WHERE l.label_id = ?`, [labelId]);
  const r = rows[0];
  if (!r) return null;
  return {
    labelId: r.label_id,
    modelCode: r.model_code,
    storeId: r.store_id,
    productId: r.product_id,
    category: r.category,
    facts: toFacts(r),
  };
}

/** The facts of a product in a store as a label there would print them (no label needed). */
export async function productFacts(db: Queryable, productId: number, storeId: number) {
  const rows = await queryRows<FactsRow>(
    db,
    `SELECT '' AS label_id, s.name AS store_name, s.timezone, pr.sku, pr.name, pr.name_latin, pr.category, pr.unit,
        pr.currency, pr.origin, pr.spec, pr.net_quantity, pr.net_unit, p.price, p.promo_price, p.promo_from, p.promo_to,
        p.promo_prior_lowest
       FROM products pr JOIN stores s ON s.id = ? LEFT JOIN prices p ON p.store_id = s.id AND p.product_id = pr.id
      WHERE pr.id = ?`,
    [storeId, productId],
  );
  const r = rows[0];
  return r ? { facts: toFacts(r), category: r.category } : null;
}

/** Pending scheduled changes of a pair due by `at`, in the order they will apply. */
export async function pendingSchedules(db: Queryable, storeId: number, productId: number, at: Date) {
  return queryRows<{
    kind: 'price' | 'promo_start' | 'promo_end';
    price: string | null;
    promo_price: string | null;
    promo_from: Date | null;
    promo_to: Date | null;
    effective_at: Date;
  }>(
    db,
    `SELECT kind, price, promo_price, promo_from, promo_to, effective_at FROM price_schedules
      WHERE store_id = ? AND product_id = ? AND state = 'pending' AND effective_at <= ? ORDER BY effective_at, id`,
    [storeId, productId, at],
  );
}

// ---- image cache

export async function imagesByKeys(db: Queryable, keys: string[]) {
  if (!keys.length) return new Map<string, string>();
  const rows = await queryRows<{ content_key: string; image_hash: string }>(
    db,
    'SELECT content_key, image_hash FROM label_images WHERE content_key IN (?)',
    [keys],
  );
  return new Map(rows.map((r) => [r.content_key, r.image_hash]));
}

export async function imagePng(db: Queryable, key: string) {
  return queryOne<{ image_hash: string; png: Buffer }>(
    db,
    'SELECT image_hash, png FROM label_images WHERE content_key = ?',
    [key],
  );
}

export async function insertImages(
  db: Queryable,
  rows: { key: string; hash: string; width: number; height: number; png: Buffer }[],
) {
  if (!rows.length) return;
  await execute(
    db,
    'INSERT IGNORE INTO label_images (content_key, image_hash, width_px, height_px, png) VALUES ?',
    [rows.map((r) => [r.key, r.hash, r.width, r.height, r.png])],
  );
}

// ---- labels and products

export async function lockLabelModel(db: Queryable, labelId: string) {
  const rows = await queryRows<{ model_code: string }>(
    db,
    'SELECT model_code FROM labels WHERE label_id = ? FOR UPDATE',
    [labelId],
  );
  return rows[0]?.model_code ?? null;
}

export async function setLabelModel(db: Queryable, labelId: string, model: string) {
  await execute(db, 'UPDATE labels SET model_code = ? WHERE label_id = ?', [model, labelId]);
}

export interface ProductDetails {
  nameLatin: string | null;
  category: string | null;
  netQuantity: string | null;
  netUnit: string | null;
  origin: string | null;
  spec: string | null;
}

export async function lockProductDetails(db: Queryable, productId: number) {
  const rows = await queryRows<{
    sku: string;
    name_latin: string | null;
    category: string | null;
    net_quantity: string | null;
    net_unit: string | null;
    origin: string | null;
    spec: string | null;
  }>(
    db,
    'SELECT sku, name_latin, category, net_quantity, net_unit, origin, spec FROM products WHERE id = ? FOR UPDATE',
    [productId],
  );
  const r = rows[0];
  return r
    ? {
        sku: r.sku,
        details: {
          nameLatin: r.name_latin,
          category: r.category,
          netQuantity: r.net_quantity,
          netUnit: r.net_unit,
          origin: r.origin,
          spec: r.spec,
        } satisfies ProductDetails,
      }
    : null;
}

/** The stores where the product has a price (its labels there show something). */
export async function storesPricing(db: Queryable, productId: number): Promise<number[]> {
  const rows = await queryRows<{ store_id: number }>(db, 'SELECT store_id FROM prices WHERE product_id = ?', [
    productId,
  ]);
  return rows.map((r) => r.store_id);
}

export async function setProductDetails(db: Queryable, productId: number, d: ProductDetails) {
  await execute(
    db,
    'UPDATE products SET name_latin = ?, category = ?, net_quantity = ?, net_unit = ?, origin = ?, spec = ? WHERE id = ?',
    [d.nameLatin, d.category, d.netQuantity, d.netUnit, d.origin, d.spec, productId],
  );
}

// ---- the worker's task rendering

/**
 * Registers tasks created since the last one seen: open ones to render, finished ones skipped.
 * It looks back a little below the newest registered id: a transaction that committed after a
 * later one has a lower id.
 */
export async function registerNewTasks(db: Queryable, limit: number) {
  const w = await querySingle<{ m: string }>(
    db,
    'SELECT COALESCE(MAX(task_id), 0) AS m FROM render_task_progress',
  );
  await execute(
    db,
    `INSERT IGNORE INTO render_task_progress (task_id, state)
       SELECT t.id, IF(t.state IN ('queued', 'dispatching', 'in_progress'), 'pending', 'skipped') FROM tasks t
        WHERE t.id > ? AND NOT EXISTS (SELECT 1 FROM render_task_progress r WHERE r.task_id = t.id)
        ORDER BY t.id LIMIT ?`,
    [Math.max(0, Number(w.m) - 200), limit],
  );
}

export async function nextPendingTask(db: Queryable) {
  return queryOne<{ task_id: string; last_item_id: string }>(
    db,
    `SELECT task_id, last_item_id FROM render_task_progress WHERE state = 'pending' ORDER BY task_id LIMIT 1 FOR UPDATE SKIP LOCKED`,
  );
}

export interface ItemFactsRow extends FactsRow {
  item_id: string;
  task_id: string;
  task_created_at: Date;
  item_price: string;
  item_promo_price: string | null;
  item_sku: string;
  item_name: string;
  item_currency: string;
}

const ITEM_SQL = `SELECT ti.id AS item_id, ti.task_id, t.created_at AS task_created_at, ti.price AS item_price, ti.promo_price AS item_promo_price,
        ti.sku AS item_sku, ti.name AS item_name, ti.currency AS item_currency,
        l.label_id, l.model_code, l.store_id, s.name AS store_name, s.timezone, ti.product_id,
        pr.sku, pr.name, pr.name_latin, pr.category, pr.unit, pr.currency, pr.origin, pr.spec, pr.net_quantity, pr.net_unit,
        p.price, p.promo_price, p.promo_from, p.promo_to, p.promo_prior_lowest
       FROM task_items ti JOIN tasks t ON t.id = ti.task_id
       JOIN labels l ON l.label_id = ti.label_id JOIN stores s ON s.id = ti.store_id
       JOIN products pr ON pr.id = ti.product_id
       LEFT JOIN prices p ON p.store_id = ti.store_id AND p.product_id = ti.product_id`;

/**
 * The next items of a task after `afterId` not rendered yet (the dispatcher draws on demand the
 * items it reaches first); with `imageGroupsOnly`, only those of groups with an image-capable AP.
 */
export async function itemBatch(
  db: Queryable,
  taskId: string,
  afterId: string,
  limit: number,
  imageGroupsOnly: boolean,
) {
  // The task's groups with an image-capable AP first (from its task_groups rows, kept while it is
  // active): a task with none (the usual case) is then not walked item by item.
  const groups = imageGroupsOnly
    ? (
        await queryRows<{ g: string }>(
          db,
          `SELECT g.group_id AS g FROM task_groups g WHERE g.task_id = ?
             AND EXISTS (SELECT 1 FROM aps a WHERE a.group_id = g.group_id AND a.caps LIKE '%"image/png"%')`,
          [taskId],
        )
      ).map((r) => r.g)
    : null;
  if (groups && !groups.length) return [];
  return queryRows<ItemFactsRow>(
    db,
    `${ITEM_SQL} WHERE ti.task_id = ? AND ti.id > ?${groups ? ' AND ti.group_id IN (?)' : ''}
        AND NOT EXISTS (SELECT 1 FROM task_item_images x WHERE x.item_id = ti.id) ORDER BY ti.id LIMIT ?`,
    groups ? [taskId, afterId, groups, limit] : [taskId, afterId, limit],
  );
}

export async function itemsByIds(db: Queryable, ids: string[]) {
  if (!ids.length) return [];
  return queryRows<ItemFactsRow>(db, `${ITEM_SQL} WHERE ti.id IN (?) ORDER BY ti.id`, [ids]);
}

// ---- delivery to image-capable APs

/** Whether any AP of the group declared it takes PNG images (`caps` of its status). */
export async function groupTakesImages(db: Queryable, groupId: string): Promise<boolean> {
  const rows = await queryRows<object>(db, 'SELECT 1 FROM aps WHERE group_id = ? AND caps LIKE ? LIMIT 1', [
    groupId,
    '%"image/png"%',
  ]);
  return rows.length > 0;
}

export async function itemImageRows(db: Queryable, ids: string[]) {
  if (!ids.length) return [];
  const rows = await queryRows<{
    item_id: string;
    content_key: string | null;
    image_hash: string | null;
    error: string | null;
  }>(db, 'SELECT item_id, content_key, image_hash, error FROM task_item_images WHERE item_id IN (?)', [ids]);
  return rows.map((r) => ({ ...r, item_id: String(r.item_id) }));
}

export async function pngsByKeys(db: Queryable, keys: string[]) {
  if (!keys.length) return [];
  return queryRows<{
    content_key: string;
    image_hash: string;
    width_px: number;
    height_px: number;
    png: Buffer;
  }>(
    db,
    'SELECT content_key, image_hash, width_px, height_px, png FROM label_images WHERE content_key IN (?)',
    [keys],
  );
}

export function itemFacts(r: ItemFactsRow): LabelFacts {
  return {
    ...toFacts({ ...r, sku: r.item_sku, name: r.item_name, currency: r.item_currency, price: r.item_price })!,
    price: {
      price: r.item_price,
      promoPrice: r.item_promo_price,
      promoFrom: r.promo_from,
      promoTo: r.promo_to,
      priorLowest: r.promo_prior_lowest,
    },
  };
}

export async function saveItemImages(
  db: Queryable,
  taskId: string,
  rows: { itemId: string; key: string | null; hash: string | null; error: string | null }[],
) {
  if (!rows.length) return;
  await execute(
    db,
    'INSERT INTO task_item_images (item_id, task_id, content_key, image_hash, error) VALUES ? ' +
      'ON DUPLICATE KEY UPDATE content_key = VALUES(content_key), image_hash = VALUES(image_hash), error = VALUES(error)',
    [rows.map((r) => [r.itemId, taskId, r.key, r.hash, r.error])],
  );
}

export async function advanceTask(
  db: Queryable,
  taskId: string,
  lastItemId: string,
  rendered: number,
  failed: number,
  done: boolean,
) {
  await execute(
    db,
    `UPDATE render_task_progress SET last_item_id = ?, rendered = rendered + ?, failed = failed + ?, state = ? WHERE task_id = ?`,
    [lastItemId, rendered, failed, (done ? 'done' : 'pending') satisfies RenderProgressState, taskId],
  );
}

export async function taskRenderProgress(db: Queryable, taskId: string) {
  return queryOne<{ state: RenderProgressState; rendered: number; failed: number }>(
    db,
    'SELECT * FROM render_task_progress WHERE task_id = ?',
    [taskId],
  );
}

export async function itemImages(db: Queryable, taskId: string, limit: number) {
  return queryRows<{
    item_id: string;
    label_id: string;
    image_hash: string | null;
    error: string | null;
  }>(
    db,
    `SELECT i.item_id, ti.label_id, i.image_hash, i.error FROM task_item_images i JOIN task_items ti ON ti.id = i.item_id
      WHERE i.task_id = ? ORDER BY i.item_id LIMIT ?`,
    [taskId, limit],
  );
}
