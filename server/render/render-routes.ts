// Pages of rendering: templates (list, editor with live preview, where they apply), the
// label page, the product's label facts and its per-store preview images.
import { inStoreScope } from '../core/identity.js';
import type { Request, Response, Router } from 'express';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { requireRole } from '../web/guards.js';
import { flash, flashKey } from '../web/flash.js';
import type { RenderService } from './render-service.js';
import { FIELDS, canonicalTemplate } from './template-schema.js';
import type { RenderPagesService } from './render-pages-service.js';

const readers = requireRole('admin', 'operator', 'auditor');
const writers = requireRole('admin', 'operator');
const str = (v: unknown) => (typeof v === 'string' ? v : '');
const id = (v: unknown) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new NotFoundError('No such page.');
  return n;
};

const PRICE = /^\d{1,8}(\.\d{1,2})?$/;
/** `?price=&promoPrice=&promoFrom=&promoTo=` as a price state; a bad value is named. */
function priceQuery(q: Request['query']) {
  const fields: Record<string, string> = {};
  const price = str(q.price);
  if (!PRICE.test(price)) fields.price = 'a price like 3.50';
  const promoPrice = str(q.promoPrice) || null;
  if (promoPrice !== null && !PRICE.test(promoPrice)) fields.promoPrice = 'a price like 3.50';
  const when = (name: string) => {
    const v = str(q[name]);
    if (!v) return null;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) fields[name] = 'an ISO-8601 time';
    return d;
  };
  const promoFrom = when('promoFrom');
  const promoTo = when('promoTo');
  if (Object.keys(fields).length) throw new ValidationError('Invalid price.', fields);
  // A promotion without a start begins when it is applied, as the catalog files it.
  return {
    price,
    promoPrice,
    promoFrom: promoPrice ? (promoFrom ?? new Date()) : null,
    promoTo: promoPrice ? promoTo : null,
  };
}

export function renderRoutes(render: RenderService, pages: RenderPagesService) {
  return (app: Router) => {
    app.get('/render/templates', readers, async (req, res) => {
      const models = await render.models();
      res.render('render/templates', {
        title: req.t('render.templatesTitle'),
        models,
        templates: await render.listTemplates(),
        // A store-scoped reader sees the every-store assignments and those of its stores.
        assignments: (await render.assignments()).filter(
          (a) => !a.store_id || inStoreScope(req.actor, a.store_id),
        ),
        stores: await pages.stores(req.actor),
      });
    });

    const editor = async (
      req: Request,
      res: Response,
      t: { id: number | null; model: string; name: string; body: string; version?: number },
      extra: Record<string, unknown> = {},
    ) => {
      const model = await render.model(t.model);
      res.render('render/template-edit', {
        title: t.id ? req.t('render.templateTitle', { name: t.name }) : req.t('render.newTemplate'),
        template: t,
        model,
        fields: Object.keys(FIELDS),
        stores: await pages.stores(req.actor),
        ...extra,
      });
    };

    app.get('/render/templates/new', writers, async (req, res) => {
      await pages.assertShared(req.actor);
      const model = await render.model(str(req.query.model));
      const from = Number(req.query.from) || 0;
      const body = from ? (await render.template(from)).body : canonicalTemplate(render.builtIn(model));
      await editor(req, res, { id: null, model: model.code, name: '', body });
    });

    app.get('/render/templates/:id', readers, async (req, res) => {
      const t = await render.template(id(req.params.id));
      await editor(req, res, {
        id: t.id,
        model: t.model_code,
        name: t.name,
        body: t.body,
        version: t.version,
      });
    });

    const save = async (req: Request, res: Response, templateId: number | null) => {
      const input = { model: str(req.body.model), name: str(req.body.name), body: str(req.body.body) };
      try {
        const saved = await render.saveTemplate(req.actor, { id: templateId ?? undefined, ...input });
        flashKey(req, 'ok', 'render.saved');
        res.redirect(`/render/templates/${saved}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        const model = templateId ? (await render.template(templateId)).model_code : input.model;
        await editor(
          req,
          res,
          { id: templateId, model, name: input.name, body: input.body },
          {
            errors: err.fields,
            errorMessage: err.message,
          },
        );
      }
    };
    // A template is shared by every store that uses it: a store-scoped operator may not change one.
    app.post('/render/templates', writers, async (req, res) => {
      await pages.assertShared(req.actor);
      await save(req, res, null);
    });
    app.post('/render/templates/:id', writers, async (req, res) => {
      await pages.assertShared(req.actor);
      await save(req, res, id(req.params.id));
    });

    // The editor's live preview: the unsaved template drawn now, as JSON with a base64 PNG.
    app.post('/render/preview', readers, async (req, res) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const sku = str(b.sku).trim();
      const storeId = Number(b.store) || undefined;
      if (storeId) await pages.assertStore(req.actor, storeId, false);
      const productId = sku ? await pages.productIdBySku(sku) : undefined;
      if (sku && !productId)
        throw new ValidationError('Nothing to preview.', { sku: `unknown SKU "${sku.slice(0, 64)}"` });
      const p = await render.preview({
        model: str(b.model),
        template: str(b.template),
        productId,
        storeId,
        promo: b.promo === true || b.promo === '1',
        page: Number(b.page) || 1,
      });
      res.json({
        png: p.png.toString('base64'),
        imageHash: p.imageHash,
        width: p.model.width,
        height: p.model.height,
      });
    });

    app.post('/render/assignments', writers, async (req, res) => {
      const tid = str(req.body.templateId);
      const storeId = Number(req.body.store) || 0;
      if (storeId) await pages.assertStore(req.actor, storeId, true);
      else await pages.assertShared(req.actor);
      try {
        await render.assign(req.actor, {
          model: str(req.body.model),
          storeId: Number(req.body.store) || 0,
          category: str(req.body.category),
          templateId: tid === '' || tid === 'builtin' ? null : Number(tid),
        });
        flashKey(req, 'ok', tid === '' || tid === 'builtin' ? 'render.assignmentRemoved' : 'render.assigned');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        flashKey(req, 'error', 'render.notAssigned', {
          why:
            Object.values(err.fields)
              .map((m) => req.tm(m))
              .join('; ') || req.tm(err.message),
        });
      }
      res.redirect('/render/templates');
    });

    app.get('/catalog/labels/:labelId', readers, async (req, res) => {
      const label = await pages.label(str(req.params.labelId));
      if (label && !inStoreScope(req.actor, label.store_id))
        throw new NotFoundError(`No label ${str(req.params.labelId).slice(0, 64)}.`);
      if (!label) throw new NotFoundError(`No label ${str(req.params.labelId).slice(0, 64)}.`);
      let image: { imageHash: string; error?: undefined } | { error: string; imageHash?: undefined };
      try {
        image = { imageHash: (await render.labelImage(label.label_id)).imageHash };
      } catch (err) {
        if (!(err instanceof ValidationError || err instanceof NotFoundError)) throw err;
        image = {
          error:
            err instanceof ValidationError
              ? Object.entries(err.fields)
                  .map(([f, m]) => `${f}: ${m}`)
                  .join('; ') || err.message
              : err.message,
        };
      }
      // An image-capable AP reports the hash of the image it shows: show that image too.
      const displayed =
        label.displayed_hash &&
        label.displayed_hash !== image.imageHash &&
        (await pages.hasImage(label.displayed_hash))
          ? label.displayed_hash
          : null;
      res.render('render/label', {
        title: req.t('render.labelTitle', { id: label.label_id }),
        label,
        image,
        displayed,
        models: await render.models(),
        items: await pages.recentItems(label.label_id, 10),
      });
    });

    // What each label of a task will show: the worker's images, or drawn here one by one.
    app.get('/render/tasks/:taskId', readers, async (req, res) => {
      const taskId = String(id(req.params.taskId));
      const page = Math.max(1, Number(req.query.page) || 1);
      const r = await pages.taskItems(taskId, 48, (page - 1) * 48, req.actor);
      if (!r.total) throw new NotFoundError(`Task ${taskId} has no labels.`);
      res.render('render/task-images', {
        title: req.t('render.taskImagesTitle', { id: taskId }),
        taskId,
        items: r.rows,
        total: r.total,
        page,
        pages: Math.max(1, Math.ceil(r.total / 48)),
      });
    });

    app.get('/render/items/:itemId.png', readers, async (req, res) => {
      await pages.assertItem(req.actor, String(id(req.params.itemId)));
      const r = await pages.itemImage(String(id(req.params.itemId)));
      if (!r.png)
        throw new ValidationError('The label cannot be rendered.', { image: r.error ?? 'not rendered' });
      sendPng(res, r.png, r.hash);
    });

    // What a label would show with another price state (the CSV import's preview, beside the current image).
    app.get('/render/labels/:labelId/with-price.png', readers, async (req, res) => {
      await pages.assertLabel(req.actor, str(req.params.labelId), false);
      const price = priceQuery(req.query);
      await pages.assertLabel(req.actor, str(req.params.labelId), false);
      const r = await render.labelImage(str(req.params.labelId), { price });
      sendPng(res, r.png, r.imageHash);
    });

    app.get('/render/images/:hash.png', readers, async (req, res) => {
      const hash = str(req.params.hash);
      const png = /^[0-9a-f]{64}$/.test(hash) ? await pages.imageByHash(hash) : null;
      if (!png) throw new NotFoundError('No such image.');
      sendPng(res, png, hash);
    });

    app.post('/catalog/labels/:labelId/model', writers, async (req, res) => {
      const labelId = str(req.params.labelId);
      await pages.assertLabel(req.actor, labelId, true);
      try {
        await render.setLabelModel(req.actor, labelId, str(req.body.model));
        flashKey(req, 'ok', 'render.modelSet');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        flash(
          req,
          'error',
          Object.values(err.fields)
            .map((m) => req.tm(m))
            .join('; ') || req.tm(err.message),
        );
      }
      res.redirect(`/catalog/labels/${encodeURIComponent(labelId)}`);
    });

    app.get('/render/products/:id/stores/:storeId/image.png', readers, async (req, res) => {
      await pages.assertStore(req.actor, id(req.params.storeId), false);
      const r = await render.productImage(
        id(req.params.id),
        id(req.params.storeId),
        str(req.query.model) || 'bwr-290',
      );
      sendPng(res, r.png, r.imageHash);
    });

    app.post('/render/products/:id/details', writers, async (req, res) => {
      const productId = id(req.params.id);
      await pages.assertShared(req.actor, productId);
      try {
        const task = await render.setProductDetails(
          req.actor,
          productId,
          req.body as Record<string, unknown>,
        );
        if (task) flashKey(req, 'ok', 'render.detailsSavedTask', { task: task.taskId, n: task.items });
        else flashKey(req, 'ok', 'render.detailsSaved');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        flashKey(req, 'error', 'render.detailsNotSaved', {
          why: Object.entries(err.fields)
            .map(([f, m]) => `${f}: ${req.tm(m)}`)
            .join('; '),
        });
      }
      res.redirect(`/catalog/products/${productId}`);
    });
  };
}

export function sendPng(res: Response, png: Buffer, hash: string) {
  res.setHeader('Content-Type', 'image/png');
  res.setHeader('ETag', `"${hash}"`);
  res.setHeader('X-Image-Hash', hash);
  res.setHeader('Cache-Control', 'no-cache');
  res.end(png);
}
