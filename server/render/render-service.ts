// Use cases of label rendering: which template a label uses, what it must show at an
// instant, its PNG (cached by content key in memory and MySQL), previews of unsaved
// templates, batches for the worker, and the operator's changes (templates, where they
// apply, a label's model, a product's label facts), each audited in its transaction.
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import type { LabelModel } from './label-model.js';
import { fieldValues, type FieldValues, type LabelFacts, type PriceState } from './label-content.js';
import { canonicalTemplate, parseTemplate, type TemplateBody } from './template-schema.js';
import { builtInTemplate } from './default-templates.js';
import { drawnValues, renderSvg } from './label-svg.js';
import { pngSize, rasterise, sha256 } from './rasterise.js';
import { ImageLru, type CachedImage } from './image-cache.js';
import { sampleFacts } from './sample.js';
import * as repo from './render-repo.js';
import type { TaskCreator } from '../tasks/task-creator.js';

/** "5", "5.0" and "5.000" alike (MySQL hands DECIMAL back with its scale). */
const decimalKey = (v: string | null) => (v === null ? null : v.includes('.') ? v.replace(/\.?0+$/, '') : v);

/** What rendering needs of the pipeline: a task for the labels whose content a product change alters. */
export type LabelTaskCreator = Pick<TaskCreator, 'createInTx' | 'enqueue'>;

/**
 * What rendering needs of the catalog: the Omnibus lowest price of the 30 days before a
 * promotion starting at `start`, from the price history known now and the `planned` states the
 * pending schedules will put in force before then (the catalog's `priorLowest`; null when no
 * price was in force then).
 */
export type OmnibusPort = (
  pair: { storeId: number; productId: number },
  start: Date,
  planned?: PlannedPriceState[],
) => Promise<string | null>;

/** A price state a pending schedule puts in force from `validFrom` (as a price_history row would). */
export interface PlannedPriceState {
  validFrom: Date;
  price: string;
  promoPrice: string | null;
  promoFrom: Date | null;
  promoTo: Date | null;
}

/** A batch yields to the process's other work after this much drawing. */
const YIELD_MS = 10;

/** Part of every content key: bump when the drawing code changes what an image looks like. */
export const RENDERER_VERSION = 'render-1/noto-sans-hans-2.004/bwip-4.11/resvg-2.6';

export interface Rendered {
  key: string;
  imageHash: string;
  png: Buffer;
  model: LabelModel;
  /** the template's field values the image was drawn from */
  values: FieldValues;
}

export interface ResolvedTemplate {
  id: number | null;
  name: string;
  version: number;
  body: TemplateBody;
}

export interface RenderJob {
  model: LabelModel;
  template: ResolvedTemplate;
  values: FieldValues;
  page: number;
}

const bad = (message: string, fields: Record<string, string>) => new ValidationError(message, fields);
const trimOrNull = (v: unknown, max: number, field: string, errors: Record<string, string>) => {
  const s = typeof v === 'string' ? v.trim() : '';
  if (s.length > max) errors[field] = `at most ${max} characters`;
  return s || null;
};

export class RenderService {
  private readonly memory: ImageLru;
  private readonly builtIns = new Map<string, TemplateBody>();
  /** assigned templates parsed, by model and text */
  private readonly parsed = new Map<string, TemplateBody>();
  /** SHA-256 of canonicalTemplate of each body in use (part of every content key) */
  private readonly digests = new WeakMap<TemplateBody, string>();

  private readonly tasks: () => LabelTaskCreator | null;
  private readonly omnibus: () => OmnibusPort | null;
  /**
   * CPU time of the batches' rendering work since start: content keys, field values, drawing
   * (synchronous, on this thread; the waits for MySQL are not counted).
   */
  drawMs = 0;
  /** Images drawn by batches since start (the rest of their labels were found by content key). */
  drawn = 0;

  constructor(
    private readonly pool: Pool,
    opts: {
      memoryImages?: number;
      tasks?: () => LabelTaskCreator | null;
      omnibus?: () => OmnibusPort | null;
    } = {},
  ) {
    this.memory = new ImageLru(opts.memoryImages ?? 2000);
    this.tasks = opts.tasks ?? (() => null);
    this.omnibus = opts.omnibus ?? (() => null);
  }

  models() {
    return repo.listModels(this.pool);
  }

  async model(code: string): Promise<LabelModel> {
    const m = await repo.findModel(this.pool, code);
    if (!m) throw bad('Unknown label model.', { model: `unknown label model "${code.slice(0, 40)}"` });
    return m;
  }

  builtIn(model: LabelModel): TemplateBody {
    let t = this.builtIns.get(model.code);
    if (!t) {
      t = parseTemplate(JSON.stringify(builtInTemplate(model)), model);
      this.builtIns.set(model.code, t);
    }
    return t;
  }

  /** The most specific assignment (store and category, store, category, default), else the built-in. */
  async templateFor(model: LabelModel, storeId: number, category: string | null): Promise<ResolvedTemplate> {
    const rows = await repo.assignmentsOf(this.pool, [model.code]);
    return this.pick(model, rows, storeId, category);
  }

  private pick(
    model: LabelModel,
    rows: Awaited<ReturnType<typeof repo.assignmentsOf>>,
    storeId: number,
    category: string | null,
  ): ResolvedTemplate {
    const rank = (r: (typeof rows)[number]) => (r.store_id ? 2 : 0) + (r.category ? 1 : 0);
    const best = rows
      .filter(
        (r) =>
          r.model_code === model.code &&
          (r.store_id === 0 || r.store_id === storeId) &&
          (r.category === '' || r.category === (category ?? '')),
      )
      .sort((a, b) => rank(b) - rank(a))[0];
    if (!best) return { id: null, name: 'built-in', version: 0, body: this.builtIn(model) };
    // A template is parsed once per text, not once per label (a task resolves thousands).
    const k = `${model.code}|${best.body}`;
    let body = this.parsed.get(k);
    if (!body) {
      body = parseTemplate(best.body, model);
      if (this.parsed.size >= 200) this.parsed.clear();
      this.parsed.set(k, body);
    }
    return { id: best.id, name: '', version: best.version, body };
  }

  /**
   * The cache key of an image: the renderer, the model, the template, the page and the values
   * the page draws (drawnValues: labels that differ only in a field the template does not show,
   * such as the store or the label id, share one image).
   */
  contentKey(job: RenderJob) {
    const m = job.model;
    const body = job.template.body;
    // the template's own digest, once per template: a key then hashes a few hundred bytes, not the template
    let digest = this.digests.get(body);
    if (digest === undefined) this.digests.set(body, (digest = sha256(canonicalTemplate(body))));
    return sha256(
      JSON.stringify([
        RENDERER_VERSION,
        [m.code, m.width, m.height, m.colours],
        digest,
        job.page,
        drawnValues(body, job.values, job.page),
      ]),
    );
  }

  /** Draws one image; throws a ValidationError naming each element and field that cannot be drawn. */
  draw(job: RenderJob): Buffer {
    const png = rasterise(renderSvg(job.model, job.template.body, job.values, job.page));
    const { width, height } = pngSize(png);
    if (width !== job.model.width || height !== job.model.height)
      throw new Error(
        `rendered ${width}x${height}, model ${job.model.code} is ${job.model.width}x${job.model.height}`,
      );
    return png;
  }

  /** One image, from memory, MySQL or freshly drawn (and then kept in both). */
  async image(job: RenderJob): Promise<Rendered> {
    const key = this.contentKey(job);
    const hit =
      this.memory.get(key) ??
      (await repo
        .imagePng(this.pool, key)
        .then((r) =>
          r
            ? { imageHash: r.image_hash, png: r.png, width: job.model.width, height: job.model.height }
            : undefined,
        ));
    if (hit) {
      this.memory.set(key, hit);
      return { key, ...hit, model: job.model, values: job.values };
    }
    const png = this.draw(job);
    const imageHash = sha256(png);
    await repo.insertImages(this.pool, [
      { key, hash: imageHash, width: job.model.width, height: job.model.height, png },
    ]);
    this.memory.set(key, { imageHash, png, width: job.model.width, height: job.model.height });
    return { key, imageHash, png, model: job.model, values: job.values };
  }

  /** An image drawn or read lately in this process, by content key (memory only). */
  cached(key: string): CachedImage | undefined {
    return this.memory.get(key);
  }

  private drawOne(
    j: RenderJob,
    key: string,
    known: Map<string, string>,
    fresh: Map<string, { hash: string; width: number; height: number; png: Buffer }>,
  ): { key: string; imageHash: string } | { key: string; error: string } {
    const hash = known.get(key) ?? fresh.get(key)?.hash;
    if (hash) return { key, imageHash: hash };
    // Drawn lately by another batch of this process (the worker's, a dispatch round's): not
    // drawn again; stored with this batch too, as that batch may not have stored it yet.
    const mem = this.memory.get(key);
    if (mem) {
      fresh.set(key, { hash: mem.imageHash, width: mem.width, height: mem.height, png: mem.png });
      return { key, imageHash: mem.imageHash };
    }
    try {
      this.drawn++;
      const png = this.draw(j);
      const h = sha256(png);
      fresh.set(key, { hash: h, width: j.model.width, height: j.model.height, png });
      this.memory.set(key, { imageHash: h, png, width: j.model.width, height: j.model.height });
      return { key, imageHash: h };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      return {
        key,
        error:
          Object.entries(err.fields)
            .map(([f, m]) => `${f}: ${m}`)
            .join('; ') || err.message,
      };
    }
  }

  /**
   * Many images at once (the worker): keys already stored are looked up in one query, the rest
   * drawn and inserted in one statement. A job that cannot be drawn gets its error; the others go on.
   */
  async batch(
    jobs: RenderJob[],
  ): Promise<({ key: string; imageHash: string } | { key: string; error: string })[]> {
    const keys = this.cpu(() => jobs.map((j) => this.contentKey(j)));
    const known = await repo.imagesByKeys(this.pool, [...new Set(keys)]);
    const fresh = new Map<string, { hash: string; width: number; height: number; png: Buffer }>();
    const out: ({ key: string; imageHash: string } | { key: string; error: string })[] = [];
    let i = 0;
    while (i < jobs.length) {
      // Drawing is CPU work: let the process's other work (acks, dispatch) run every few ms.
      if (i) await new Promise((r) => setImmediate(r));
      this.cpu(() => {
        const until = performance.now() + YIELD_MS;
        do out.push(this.drawOne(jobs[i], keys[i], known, fresh));
        while (++i < jobs.length && performance.now() < until);
      });
    }
    await repo.insertImages(
      this.pool,
      [...fresh].map(([key, v]) => ({ key, ...v })),
    );
    return out;
  }

  /** Runs synchronous rendering work, adding its CPU time to drawMs. */
  private cpu<T>(fn: () => T): T {
    const cpu0 = process.cpuUsage();
    try {
      return fn();
    } finally {
      const cpu = process.cpuUsage(cpu0);
      this.drawMs += (cpu.user + cpu.system) / 1000;
    }
  }

  /** Jobs for many label records at once, with one query for the assignments. */
  async jobsFor(
    items: { facts: LabelFacts; modelCode: string; storeId: number; category: string | null; at: Date }[],
  ) {
    const models = new Map((await repo.listModels(this.pool)).map((m) => [m.code, m]));
    const rows = await repo.assignmentsOf(this.pool, [...new Set(items.map((i) => i.modelCode))]);
    return this.cpu(() =>
      items.map((i) => {
        const model = models.get(i.modelCode);
        if (!model)
          throw bad('Unknown label model.', {
            model: `label ${i.facts.labelId} has unknown model "${i.modelCode}"`,
          });
        const template = this.pick(model, rows, i.storeId, i.category);
        return { model, template, values: fieldValues(i.facts, i.at), page: 1 } satisfies RenderJob;
      }),
    );
  }

  /**
   * The price state of a pair at `at`: the current row with the pending schedules due by then
   * applied. A promotion one of them starts (after now) gets its Omnibus lowest price of the 30
   * days before its start, from the history known today and the states the schedules due before
   * that start put in force (a regular price cut the day before counts); the promotion already on
   * the row keeps the row's figure.
   */
  async priceAt(storeId: number, productId: number, current: PriceState, at: Date): Promise<PriceState> {
    if (at.getTime() <= Date.now()) return current;
    let s: PriceState = { ...current };
    let startsAt: Date | null = null;
    const planned: PlannedPriceState[] = [];
    const plan = (x: PriceState, validFrom: Date) =>
      planned.push({
        validFrom,
        price: x.price,
        promoPrice: x.promoPrice,
        promoFrom: x.promoFrom,
        promoTo: x.promoTo,
      });
    for (const r of await repo.pendingSchedules(this.pool, storeId, productId, at)) {
      if (r.kind === 'promo_end') {
        s = { ...s, promoPrice: null, promoFrom: null, promoTo: null, priorLowest: null };
        startsAt = null;
        plan(s, r.effective_at);
        continue;
      }
      const samePromo =
        r.promo_price !== null &&
        r.promo_price === s.promoPrice &&
        r.promo_from?.getTime() === s.promoFrom?.getTime() &&
        r.promo_to?.getTime() === s.promoTo?.getTime();
      s = {
        price: r.price ?? s.price,
        promoPrice: r.promo_price,
        promoFrom: r.promo_from,
        promoTo: r.promo_to,
        priorLowest: samePromo ? (s.priorLowest ?? null) : null,
      };
      if (!samePromo) startsAt = r.promo_price === null ? null : (r.promo_from ?? r.effective_at);
      plan(s, r.effective_at);
    }
    if (s.promoPrice !== null && startsAt) {
      const start = startsAt;
      const omnibus = this.omnibus();
      s.priorLowest = omnibus
        ? await omnibus(
            { storeId, productId },
            start,
            planned.filter((x) => x.validFrom < start),
          )
        : null;
    }
    return s;
  }

  /**
   * What the label must show at `at` (default now), as a PNG; with `price`, what it would show
   * with that price state instead (an import's preview).
   */
  async labelImage(
    labelId: string,
    opts: { at?: Date; page?: number; price?: PriceState } = {},
  ): Promise<Rendered> {
    const at = opts.at ?? new Date();
    const rec = await repo.labelRecord(this.pool, labelId);
    if (!rec) throw new NotFoundError(`No label ${labelId.slice(0, 64)}.`);
    if (!rec.facts)
      throw new NotFoundError(
        rec.productId === null
          ? `Label ${labelId} is not bound to a product: it has nothing to show.`
          : `The product of label ${labelId} has no price in its store yet: it has nothing to show.`,
      );
    const model = await this.model(rec.modelCode);
    const page = this.page(model, opts.page);
    const price = opts.price ?? (await this.priceAt(rec.storeId, rec.productId!, rec.facts.price, at));
    const facts = { ...rec.facts, price };
    return this.image({
      model,
      template: await this.templateFor(model, rec.storeId, rec.category),
      values: fieldValues(facts, at),
      page,
    });
  }

  /** A product in a store on a model (what its labels there show, or would). */
  async productImage(
    productId: number,
    storeId: number,
    modelCode: string,
    at = new Date(),
  ): Promise<Rendered> {
    const r = await repo.productFacts(this.pool, productId, storeId);
    if (!r) throw new NotFoundError('No such product or store.');
    if (!r.facts) throw new NotFoundError('This product has no price in this store yet.');
    const model = await this.model(modelCode);
    const price = await this.priceAt(storeId, productId, r.facts.price, at);
    return this.image({
      model,
      template: await this.templateFor(model, storeId, r.category),
      values: fieldValues({ ...r.facts, price }, at),
      page: 1,
    });
  }

  private page(model: LabelModel, page: number | undefined) {
    const p = page ?? 1;
    if (!Number.isInteger(p) || p < 1 || p > model.pages)
      throw bad('No such page.', { page: `model ${model.code} has ${model.pages} page(s)` });
    return p;
  }

  /** An unsaved template drawn with a product of a store (or the sample product); never cached. */
  async preview(input: {
    model: string;
    template: string;
    productId?: number;
    storeId?: number;
    promo?: boolean;
    page?: number;
  }) {
    const model = await this.model(input.model);
    const body = parseTemplate(input.template, model);
    const page = this.page(model, input.page);
    const now = new Date();
    let facts: LabelFacts = sampleFacts(input.promo ?? false, now);
    if (input.productId && input.storeId) {
      const r = await repo.productFacts(this.pool, input.productId, input.storeId);
      if (!r?.facts) throw bad('Nothing to preview.', { product: 'this product has no price in this store' });
      facts = r.facts;
    }
    const job: RenderJob = {
      model,
      template: { id: null, name: '', version: 0, body },
      values: fieldValues(facts, now),
      page,
    };
    const png = this.draw(job);
    return { png, imageHash: sha256(png), model };
  }

  /** Parses and test-draws a template (sample product, with and without promotion, every page). */
  private validated(model: LabelModel, source: string): TemplateBody {
    const body = parseTemplate(source, model);
    const now = new Date();
    for (const promo of [false, true])
      for (let page = 1; page <= model.pages; page++)
        this.draw({
          model,
          template: { id: null, name: '', version: 0, body },
          values: fieldValues(sampleFacts(promo, now), now),
          page,
        });
    return body;
  }

  listTemplates() {
    return repo.listTemplates(this.pool);
  }

  async template(id: number) {
    const t = await repo.findTemplate(this.pool, id);
    if (!t) throw new NotFoundError(`No template ${id}.`);
    return t;
  }

  async saveTemplate(actor: Actor, input: { id?: number; model: string; name: string; body: string }) {
    const name = input.name.trim();
    if (!name || name.length > 128)
      throw bad('Please correct the highlighted fields.', { name: 'a name of 1 to 128 characters' });
    return withTx(this.pool, async (c) => {
      const before = input.id ? await repo.findTemplate(c, input.id, true) : null;
      if (input.id && !before) throw new NotFoundError(`No template ${input.id}.`);
      const modelCode = before?.model_code ?? input.model;
      const model = await repo.findModel(c, modelCode);
      if (!model)
        throw bad('Unknown label model.', { model: `unknown label model "${modelCode.slice(0, 40)}"` });
      const body = canonicalTemplate(this.validated(model, input.body));
      if (await repo.templateNameTaken(c, model.code, name, before?.id ?? 0))
        throw bad('Please correct the highlighted fields.', {
          name: `model ${model.code} already has a template "${name}"`,
        });
      const id = before
        ? before.id
        : await repo.insertTemplate(c, { model: model.code, name, body, by: actor.name });
      if (before) await repo.updateTemplate(c, before.id, { name, body, by: actor.name });
      await appendAudit(c, actor, [
        {
          action: before ? 'template.updated' : 'template.created',
          objectType: 'template',
          objectId: String(id),
          refs: { template: id, model: model.code },
          summary: `${model.code} · ${name}`,
          before: before ? { name: before.name, version: before.version, body: before.body } : undefined,
          after: { name, version: before ? before.version + 1 : 1, body },
        },
      ]);
      return id;
    });
  }

  assignments() {
    return repo.listAssignments(this.pool);
  }

  /** Where a template applies: a model, a store (0 = all) and a category ('' = all); null template = remove. */
  async assign(
    actor: Actor,
    a: { model: string; storeId: number; category: string; templateId: number | null },
  ) {
    const category = a.category.trim();
    if (category.length > 64)
      throw bad('Please correct the highlighted fields.', { category: 'at most 64 characters' });
    await withTx(this.pool, async (c) => {
      const model = await repo.findModel(c, a.model);
      if (!model)
        throw bad('Unknown label model.', { model: `unknown label model "${a.model.slice(0, 40)}"` });
      if (a.templateId !== null) {
        const t = await repo.findTemplate(c, a.templateId);
        if (!t || t.model_code !== model.code)
          throw bad('Please correct the highlighted fields.', {
            templateId: `not a template of model ${model.code}`,
          });
      }
      const before = await repo.findAssignment(c, model.code, a.storeId, category);
      if (a.templateId === null) await repo.deleteAssignment(c, model.code, a.storeId, category);
      else
        await repo.upsertAssignment(c, {
          model: model.code,
          storeId: a.storeId,
          category,
          templateId: a.templateId,
          by: actor.name,
        });
      await appendAudit(c, actor, [
        {
          action: a.templateId === null ? 'template.unassigned' : 'template.assigned',
          objectType: 'template_assignment',
          objectId: `${model.code}/${a.storeId || '*'}/${category || '*'}`,
          refs: { model: model.code, template: a.templateId ?? before ?? undefined },
          before: { templateId: before },
          after: { templateId: a.templateId },
        },
      ]);
    });
  }

  async setLabelModel(actor: Actor, labelId: string, modelCode: string) {
    await withTx(this.pool, async (c) => {
      const before = await repo.lockLabelModel(c, labelId);
      if (before === null) throw new NotFoundError(`No label ${labelId.slice(0, 64)}.`);
      if (!(await repo.findModel(c, modelCode)))
        throw bad('Unknown label model.', { model: `unknown label model "${modelCode.slice(0, 40)}"` });
      if (before === modelCode) return;
      await repo.setLabelModel(c, labelId, modelCode);
      await appendAudit(c, actor, [
        {
          action: 'label.model_set',
          objectType: 'label',
          objectId: labelId,
          refs: { label: labelId, model: modelCode },
          before: { model: before },
          after: { model: modelCode },
        },
      ]);
    });
  }

  /** The facts a label prints besides name and price; every field checked before anything is written. */
  async setProductDetails(actor: Actor, productId: number, form: Record<string, unknown>) {
    const errors: Record<string, string> = {};
    const d: repo.ProductDetails = {
      nameLatin: trimOrNull(form.nameLatin, 200, 'nameLatin', errors),
      category: trimOrNull(form.category, 64, 'category', errors),
      netQuantity: trimOrNull(form.netQuantity, 16, 'netQuantity', errors),
      netUnit: trimOrNull(form.netUnit, 8, 'netUnit', errors),
      origin: trimOrNull(form.origin, 64, 'origin', errors),
      spec: trimOrNull(form.spec, 128, 'spec', errors),
    };
    if (d.netQuantity !== null && !/^\d{1,9}(\.\d{1,3})?$/.test(d.netQuantity))
      errors.netQuantity = 'a quantity like 500 or 1.5 (up to three decimals)';
    else if (d.netQuantity !== null && Number(d.netQuantity) === 0) errors.netQuantity = 'more than zero';
    if (d.netUnit !== null && !['g', 'kg', 'ml', 'l'].includes(d.netUnit.toLowerCase()))
      errors.netUnit = 'one of g, kg, ml, l';
    if ((d.netQuantity === null) !== (d.netUnit === null) && !errors.netQuantity && !errors.netUnit)
      errors[d.netQuantity === null ? 'netQuantity' : 'netUnit'] = 'give the quantity and its unit together';
    if (Object.keys(errors).length) throw bad('Please correct the highlighted fields.', errors);
    if (d.netUnit) d.netUnit = d.netUnit.toLowerCase();
    const tasks = this.tasks();
    const task = await withTx(this.pool, async (c) => {
      const before = await repo.lockProductDetails(c, productId);
      if (!before) throw new NotFoundError(`No product ${productId}.`);
      await repo.setProductDetails(c, productId, d);
      // What the product's labels show changed: they get it in a task, like a rename or a price.
      const changed = (Object.keys(d) as (keyof repo.ProductDetails)[]).some((k) =>
        k === 'netQuantity' ? decimalKey(d[k]) !== decimalKey(before.details[k]) : d[k] !== before.details[k],
      );
      const stores = changed && tasks ? await repo.storesPricing(c, productId) : [];
      const t = stores.length
        ? await tasks!.createInTx(
            c,
            actor,
            stores.map((storeId) => ({ storeId, productId })),
            { source: 'ui', note: `label details of ${before.sku} edited` },
          )
        : null;
      await appendAudit(c, actor, [
        {
          action: 'product.label_details',
          objectType: 'product',
          objectId: before.sku,
          refs: { sku: before.sku, task: t?.taskId },
          before: before.details,
          after: d,
        },
      ]);
      return t;
    });
    if (task) await tasks!.enqueue(task.taskId);
    return task;
  }
}
