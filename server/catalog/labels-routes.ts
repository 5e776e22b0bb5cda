import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flashKey } from '../web/flash.js';
import { readers, str, writers } from './route-helpers.js';
import type { LabelsService } from './labels-service.js';
import { listQuery } from '../web/list-query.js';

export function labelsRoutes(labels: LabelsService) {
  return (app: Router) => {
    const page = async (req: Request, res: Response, extra: Record<string, unknown> = {}) => {
      const lq = listQuery(req, 100);
      const storeId = lq.storeId ?? undefined;
      const sku = str(req.query.sku).trim();
      const unbound = req.query.unbound === '1';
      const { result, stores, groups } = await labels.page(req.actor, {
        storeId,
        sku,
        unbound,
        page: lq.page,
        pageSize: lq.pageSize,
      });
      res.render('catalog/labels', {
        title: req.t('labels.title'),
        result,
        pager: result,
        query: req.query,
        filter: { storeId, sku, unbound },
        stores,
        groups,
        ...extra,
      });
    };
    const back = (req: Request) =>
      typeof req.body.back === 'string' && req.body.back.startsWith('/catalog/labels')
        ? req.body.back
        : '/catalog/labels';

    app.get('/catalog/labels', readers, (req, res) => page(req, res));

    app.post('/catalog/labels', writers, async (req, res) => {
      const [storeId, groupId] = str(req.body.group).split('|');
      try {
        const n = await labels.create(req.actor, {
          storeId: Number(storeId),
          groupId: groupId ?? '',
          labelIds: str(req.body.labelIds),
        });
        flashKey(req, 'ok', 'labels.flash.created', { n });
        res.redirect('/catalog/labels');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        res.status(400);
        await page(req, res, {
          errors: { ...err.fields, group: err.fields.storeId ?? err.fields.groupId },
          values: req.body,
        });
      }
    });

    app.post('/catalog/labels/bind', writers, async (req, res) => {
      try {
        const task = await labels.bind(req.actor, str(req.body.labelId), str(req.body.sku));
        if (task) flashKey(req, 'ok', 'labels.flash.bound', { task: task.taskId });
        else flashKey(req, 'ok', 'labels.flash.boundNoPrice');
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        const tm = res.locals.tm as (m: string) => string;
        flashKey(req, 'error', 'labels.flash.notBound', {
          label: str(req.body.labelId).slice(0, 64),
          why: Object.values(err.fields).map(tm).join('; ') || tm(err.message),
        });
      }
      res.redirect(back(req));
    });

    app.post('/catalog/labels/unbind', writers, async (req, res) => {
      await labels.unbind(req.actor, str(req.body.labelId));
      flashKey(req, 'ok', 'labels.flash.unbound');
      res.redirect(back(req));
    });
  };
}
