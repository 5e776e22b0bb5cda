// The aisle page (/aisle) for store staff on a phone or handheld: look a label up by scanning
// or typing its barcode, see what it is bound to and shows, bind it to a product by the
// product's barcode (confirming a rebind), and flash or find it. Operators and admins only.
import type { Request, Response, Router } from 'express';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { requireRole } from '../web/guards.js';
import { flashKey } from '../web/flash.js';
import { cleanCode, type AisleService } from './aisle-service.js';

const staff = requireRole('admin', 'operator');
const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function aisleRoutes(aisle: AisleService) {
  return (app: Router) => {
    const page = async (req: Request, res: Response, code: string, extra: Record<string, unknown> = {}) => {
      const found = code ? await aisle.lookup(code, req.actor) : null;
      res.render('aisle/index', {
        title: req.t('aisle.title'),
        code,
        found,
        notFound: Boolean(code) && !found,
        ackSeconds: aisle.commands.ackSeconds,
        here: code ? `/aisle?label=${encodeURIComponent(code)}` : '/aisle',
        ...extra,
      });
    };

    app.get('/aisle', staff, async (req, res) => {
      await page(req, res, cleanCode(str(req.query.label)));
    });

    app.post('/aisle/bind', staff, async (req, res) => {
      const code = cleanCode(str(req.body.label));
      try {
        const r = await aisle.bind(req.actor, code, str(req.body.sku), req.body.confirm === '1');
        if (!r.done && !r.same) return page(req, res, code, { rebind: { from: r.label, to: r.product } });
        if (r.done)
          flashKey(req, 'ok', r.task ? 'aisle.boundTask' : 'aisle.bound', {
            id: r.label.label_id,
            sku: r.product.sku,
            task: r.task?.taskId ?? '',
          });
        else flashKey(req, 'info', 'aisle.alreadyBound', { id: r.label.label_id, sku: r.product.sku });
        res.redirect(`/aisle?label=${encodeURIComponent(r.label.label_id)}`);
      } catch (err) {
        if (!(err instanceof ValidationError || err instanceof NotFoundError)) throw err;
        res.status(400);
        await page(req, res, code, {
          errors: err instanceof ValidationError ? err.fields : { label: err.message },
          values: { sku: str(req.body.sku).slice(0, 64) },
        });
      }
    });
  };
}
