// /api/v1/webhooks: the same management as the admin pages, for an admin-scoped API key.
// Bodies are checked with the schemas of webhook-schemas.ts; errors name the field.
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { requireScope } from '../auth/api-auth.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { pageOf, pageOfArray, parseList } from '../core/list-page.js';
import {
  WebhookCreateRequest,
  WebhookDeliveryListQuery,
  WebhookListQuery,
  WebhookUpdateRequest,
} from './webhook-schemas.js';
import { deliveryJson, endpointJson } from './webhook-serializers.js';
import type { WebhookService } from './webhook-service.js';

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const i of r.error.issues) fields[i.path.join('.') || '(body)'] ??= i.message;
  throw new ValidationError('The webhook is invalid; nothing was written.', fields);
}

const endpointId = (raw: unknown) => {
  const id = Number(raw);
  if (!Number.isInteger(id) || id <= 0 || id > 2 ** 31) throw new NotFoundError('No such webhook endpoint.');
  return id;
};

export function webhookApiRoutes(hooks: WebhookService) {
  return (app: Router) => {
    const admin = requireScope('admin');

    app.get('/api/v1/webhooks', admin, async (req: Request, res: Response) => {
      const p = parseList(WebhookListQuery, req.query);
      const { enabled, event } = p.filters;
      const all = (await hooks.list())
        .map(endpointJson)
        .filter(
          (e) =>
            (enabled === undefined || e.enabled === (enabled === 'yes')) &&
            (!event || e.events.includes(event)),
        );
      const page = pageOfArray(all, p, (e) => e.id);
      res.json({ webhooks: page.items, nextCursor: page.nextCursor });
    });

    app.post('/api/v1/webhooks', admin, async (req: Request, res: Response) => {
      const b = parse(WebhookCreateRequest, req.body);
      const { endpoint, secret } = await hooks.create(req.actor, { ...b, enabled: b.enabled ?? true });
      res.locals.idempotencyRedact = ['secret']; // a replay answers secret: null
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .json({ ...endpointJson(endpoint), secret });
    });

    app.get('/api/v1/webhooks/:id', admin, async (req: Request, res: Response) => {
      res.json(endpointJson(await hooks.get(endpointId(req.params.id))));
    });

    app.patch('/api/v1/webhooks/:id', admin, async (req: Request, res: Response) => {
      const b = parse(WebhookUpdateRequest, req.body);
      res.json(endpointJson(await hooks.update(req.actor, endpointId(req.params.id), b)));
    });

    app.delete('/api/v1/webhooks/:id', admin, async (req: Request, res: Response) => {
      await hooks.remove(req.actor, endpointId(req.params.id));
      res.status(204).end();
    });

    app.post('/api/v1/webhooks/:id/resume', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      await hooks.resume(req.actor, id);
      res.json(endpointJson(await hooks.get(id)));
    });

    app.post('/api/v1/webhooks/:id/rotate-secret', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      const given = typeof req.body?.secret === 'string' ? req.body.secret : undefined;
      const secret = await hooks.rotateSecret(req.actor, id, given);
      res.locals.idempotencyRedact = ['secret'];
      res.set('Cache-Control', 'no-store').json({ ...endpointJson(await hooks.get(id)), secret });
    });

    app.post('/api/v1/webhooks/:id/test', admin, async (req: Request, res: Response) => {
      res.status(202).json({ eventId: await hooks.sendTest(req.actor, endpointId(req.params.id)) });
    });

    app.get('/api/v1/webhooks/:id/deliveries', admin, async (req: Request, res: Response) => {
      const id = endpointId(req.params.id);
      await hooks.get(id);
      const p = parseList(WebhookDeliveryListQuery, req.query);
      const before = p.after && /^[0-9]{1,20}$/.test(String(p.after[0])) ? String(p.after[0]) : undefined;
      const rows = await hooks.recentDeliveries(id, p.limit + 1, before, p.filters.state);
      const page = pageOf(rows, p.limit, (r) => [String(r.id)]);
      res.json({ deliveries: page.items.map(deliveryJson), nextCursor: page.nextCursor });
    });

    app.post(
      '/api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
      admin,
      async (req: Request, res: Response) => {
        const id = endpointId(req.params.id);
        const d = await hooks.deliveryByUid(id, String(req.params.deliveryId));
        await hooks.redeliver(req.actor, id, d.id);
        res.status(202).json(deliveryJson((await hooks.delivery(id, d.id)).delivery));
      },
    );
  };
}
