// The images of task items: drawn from each item's own content (the price it carries) and
// the label's model and template, recorded per item (`task_item_images`). Used by the worker
// for whole tasks and by the dispatcher, through ItemImagePort, for the items it is about to
// send to a group with image-capable APs (drawing what the worker has not reached yet).
import type { Logger } from '../core/logger.js';
import type { Pool, Queryable } from '../db/pool.js';
import { NotFoundError } from '../core/errors.js';
import type { ItemImagePort } from '../tasks/group-dispatcher.js';
import type { ItemImage } from '../tasks/task-message.js';
import type { RenderService } from './render-service.js';
import { effectivePromoAt } from './label-content.js';
import * as repo from './render-repo.js';

export interface ItemImageResult {
  itemId: string;
  key: string | null;
  hash: string | null;
  error: string | null;
}

export async function renderItemRows(
  render: RenderService,
  rows: repo.ItemFactsRow[],
): Promise<ItemImageResult[]> {
  if (!rows.length) return [];
  const items = rows.map((r) => {
    const facts = repo.itemFacts(r);
    const at = r.task_created_at;
    // The item carries the promotion resolved when it was created; keep the window only if it agrees.
    if (effectivePromoAt(facts.price, at) !== facts.price.promoPrice)
      facts.price = { ...facts.price, promoFrom: null, promoTo: null };
    return { facts, modelCode: r.model_code, storeId: r.store_id, category: r.category, at };
  });
  const results = await render.batch(await render.jobsFor(items));
  return results.map((res, i) => ({
    itemId: String(rows[i].item_id),
    key: res.key,
    hash: 'imageHash' in res ? res.imageHash : null,
    error: 'error' in res ? res.error.slice(0, 500) : null,
  }));
}

export async function saveResults(db: Queryable, rows: repo.ItemFactsRow[], results: ItemImageResult[]) {
  const byTask = new Map<string, ItemImageResult[]>();
  rows.forEach((r, i) => {
    const t = String(r.task_id);
    (byTask.get(t) ?? byTask.set(t, []).get(t)!).push(results[i]);
  });
  for (const [taskId, list] of byTask) await repo.saveItemImages(db, taskId, list);
}

/** Bytes of a message besides its items (envelope), and of an item besides its image data. */
const ENVELOPE_BYTES = 300;
const ITEM_BYTES = 400;
/** An image's base64 before any of the group's is known (a 7 KB PNG). */
const FIRST_GUESS_B64 = 9_600;

export class ItemImages implements ItemImagePort {
  /** Images recently sent, by content key: PNG and its base64 once per image, not per item or round. */
  private readonly sent = new Map<string, ItemImage>();
  /** Per group, the mean base64 length of the images its items took lately. */
  private readonly b64 = new Map<string, number>();

  constructor(
    private readonly pool: Pool,
    private readonly render: RenderService,
    private readonly log: Logger | null = null,
    private readonly opts: { memoryImages?: number } = {},
  ) {}

  /**
   * How many items a message of a group with image-capable APs holds with their images (from
   * the size of the images the group took lately), so a dispatch round picks, draws and packs
   * what its window can send, not TASK_ITEMS_PER_MESSAGE times the window; null for a
   * field-only group. An image larger than a message counts its chunks: one item per message.
   */
  async itemsPerMessage(groupId: string, maxBytes: number): Promise<number | null> {
    if (!(await repo.groupTakesImages(this.pool, groupId))) return null;
    const b64 = this.b64.get(groupId) ?? FIRST_GUESS_B64;
    return Math.max(1, Math.floor((maxBytes - ENVELOPE_BYTES) / (ITEM_BYTES + b64)));
  }

  async imagesFor(groupId: string, rows: { id: string }[]): Promise<Map<string, ItemImage>> {
    const out = new Map<string, ItemImage>();
    if (!rows.length || !(await repo.groupTakesImages(this.pool, groupId))) return out;
    const ids = rows.map((r) => String(r.id));
    const known = new Map((await repo.itemImageRows(this.pool, ids)).map((r) => [r.item_id, r]));
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length) {
      const facts = await repo.itemsByIds(this.pool, missing);
      const t0 = performance.now();
      const results = await renderItemRows(this.render, facts);
      this.log?.info(
        {
          groupId,
          labels: facts.length,
          ms: Math.round(performance.now() - t0),
          drawMsTotal: Math.round(this.render.drawMs),
          drawnTotal: this.render.drawn,
        },
        'rendered a batch on demand',
      );
      await saveResults(this.pool, facts, results);
      for (const r of results)
        known.set(r.itemId, { item_id: r.itemId, content_key: r.key, image_hash: r.hash, error: r.error });
    }
    // The PNGs from memory; MySQL is read once per image (a task's labels share a few hundred).
    // `got` holds this call's images, whatever the memory drops meanwhile.
    const got = new Map<string, ItemImage>();
    const toRead: string[] = [];
    for (const k of known.values()) {
      if (!k.image_hash || !k.content_key || got.has(k.content_key)) continue;
      const key = k.content_key;
      const c = this.image(key) ?? this.fromRender(key);
      if (c) got.set(key, c);
      else toRead.push(key);
    }
    for (const p of await repo.pngsByKeys(this.pool, toRead)) {
      const img = { hash: p.image_hash, width: p.width_px, height: p.height_px, png: p.png };
      got.set(p.content_key, this.keep(p.content_key, { ...img, data: p.png.toString('base64') }));
    }
    let bytes = 0;
    for (const id of ids) {
      const k = known.get(id);
      const img = k?.content_key ? got.get(k.content_key) : undefined;
      // An item that cannot be drawn goes with its fields only; its error is on the label page.
      if (!img) continue;
      out.set(id, img);
      bytes += img.data!.length;
    }
    if (out.size) {
      const mean = bytes / out.size;
      const prev = this.b64.get(groupId);
      this.b64.delete(groupId);
      this.b64.set(groupId, prev === undefined ? mean : (prev + mean) / 2);
      if (this.b64.size > 10_000) this.b64.delete(this.b64.keys().next().value!);
    }
    return out;
  }

  private image(key: string) {
    const v = this.sent.get(key);
    if (v) {
      this.sent.delete(key);
      this.sent.set(key, v);
    }
    return v;
  }

  /** An image the render service drew or read lately, kept here with its base64. */
  private fromRender(key: string) {
    const c = this.render.cached(key);
    if (!c) return undefined;
    const img = { hash: c.imageHash, width: c.width, height: c.height, png: c.png };
    return this.keep(key, { ...img, data: c.png.toString('base64') });
  }

  private keep(key: string, v: ItemImage) {
    this.sent.set(key, v);
    if (this.sent.size > (this.opts.memoryImages ?? 2000)) this.sent.delete(this.sent.keys().next().value!);
    return v;
  }
}

/** One item's image: the one recorded for it, or drawn now (and recorded). */
export async function itemImage(pool: Pool, render: RenderService, itemId: string) {
  let [k] = await repo.itemImageRows(pool, [itemId]);
  if (!k) {
    const rows = await repo.itemsByIds(pool, [itemId]);
    if (!rows.length) throw new NotFoundError(`No task item ${itemId}.`);
    const [r] = await renderItemRows(render, rows);
    await saveResults(pool, rows, [r]);
    k = { item_id: itemId, content_key: r.key, image_hash: r.hash, error: r.error };
  }
  if (k.error || !k.content_key) return { error: k.error ?? 'not rendered' };
  const [p] = await repo.pngsByKeys(pool, [k.content_key]);
  if (!p) return { error: 'the image is no longer stored' };
  return { hash: p.image_hash, png: p.png };
}
