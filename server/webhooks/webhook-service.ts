// Webhook endpoints as admins manage them (pages and API): register, edit, enable or disable,
// rotate the secret, delete, resume after a pause, send a test event, redeliver. Every change
// is one transaction with its audit record. Secrets are sealed at rest and never logged or
// audited; a generated one is returned once.
import type { SecretBox } from '../../broker/index.js';
import type { Actor } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import type { Pool } from '../db/pool.js';
import { withTxRetry } from '../db/tx-retry.js';
import * as deliveries from './deliveries-repo.js';
import * as endpoints from './endpoints-repo.js';
import { EVENT_TYPES, TEST_EVENT, recordEvent, type EventType } from './events.js';
import { newSecret } from './signature.js';
import { UrlRefused, checkResolves, checkUrl } from './url-guard.js';

/** The filters of an endpoint's deliveries page: delivery states and the event types deliveries carry. */
export const DELIVERY_FILTER_STATES = deliveries.DELIVERY_STATES;
export const DELIVERY_FILTER_EVENTS: readonly string[] = [...EVENT_TYPES, TEST_EVENT];

export interface EndpointInput {
  name: string;
  url: string;
  events: string[];
  enabled: boolean;
  /** create: empty means generate one */
  secret?: string;
}

export class WebhookService {
  constructor(
    private readonly pool: Pool,
    private readonly box: SecretBox,
    private readonly allowPrivate: boolean,
    /** asks the relay for a pass now (worker role in this process), else the next tick does it */
    private readonly poke: () => void = () => {},
  ) {}

  list() {
    return endpoints.listEndpoints(this.pool);
  }

  stats() {
    return deliveries.endpointStats(this.pool);
  }

  async get(id: number) {
    const e = await endpoints.findEndpoint(this.pool, id);
    if (!e) throw new NotFoundError('No such webhook endpoint.');
    return e;
  }

  recentDeliveries(id: number, limit = 50, before?: string, state?: string) {
    return deliveries.recentDeliveries(this.pool, id, limit, before, state);
  }

  /** A page of an endpoint's deliveries (filtered by state and event type), with the total. */
  async deliveriesPage(
    id: number,
    f: { state?: string; eventType?: string; page: number; pageSize: number },
  ): Promise<{ rows: deliveries.DeliveryRow[]; total: number; pages: number }> {
    const fields: Record<string, string> = {};
    const state = DELIVERY_FILTER_STATES.find((s) => s === f.state);
    if (f.state && !state) fields.state = `must be one of ${DELIVERY_FILTER_STATES.join(', ')}`;
    if (f.eventType && !DELIVERY_FILTER_EVENTS.includes(f.eventType))
      fields.event = `must be one of ${DELIVERY_FILTER_EVENTS.join(', ')}`;
    if (Object.keys(fields).length) throw new ValidationError('Invalid filter.', fields);
    const { rows, total } = await deliveries.deliveriesPage(this.pool, id, {
      state,
      eventType: f.eventType || undefined,
      limit: f.pageSize,
      offset: (f.page - 1) * f.pageSize,
    });
    return { rows, total, pages: Math.max(1, Math.ceil(total / f.pageSize)) };
  }

  async deliveryByUid(endpointId: number, uid: string) {
    const d = /^[0-9a-f-]{36}$/.test(uid)
      ? await deliveries.findDeliveryByUid(this.pool, endpointId, uid)
      : null;
    if (!d) throw new NotFoundError('No such delivery.');
    return { ...d, id: String(d.id) };
  }

  async delivery(endpointId: number, deliveryId: string) {
    const d = await deliveries.findDelivery(this.pool, endpointId, deliveryId);
    if (!d) throw new NotFoundError('No such delivery.');
    return { delivery: d, attempts: await deliveries.attemptsOf(this.pool, deliveryId) };
  }

  private async validate(input: EndpointInput, creating: boolean) {
    const fields: Record<string, string> = {};
    const name = input.name.trim();
    if (!name || name.length > 128) fields.name = '1 to 128 characters';
    let url = input.url.trim();
    if (url.length > 2048) fields.url = 'at most 2048 characters';
    else {
      try {
        const u = checkUrl(url, this.allowPrivate);
        await checkResolves(u, this.allowPrivate);
        url = u.toString();
      } catch (err) {
        if (!(err instanceof UrlRefused)) throw err;
        fields.url = err.message;
      }
    }
    const events = [...new Set(input.events)];
    const unknown = events.filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
    if (unknown.length) fields.events = `unknown event type(s): ${unknown.join(', ')}`;
    else if (!events.length) fields.events = 'choose one or more events';
    const secret = input.secret?.trim() ?? '';
    if (creating && secret && (secret.length < 16 || secret.length > 256))
      fields.secret = '16 to 256 characters';
    if (Object.keys(fields).length)
      throw new ValidationError('Please correct the highlighted fields.', fields);
    return { name, url, events: events.sort() as EventType[], secret };
  }

  /** Registers an endpoint; returns it with its secret (the only time the secret is shown). */
  async create(actor: Actor, input: EndpointInput) {
    const v = await this.validate(input, true);
    const secret = v.secret || newSecret();
    const id = await withTxRetry(this.pool, async (c) => {
      const id = await endpoints.insertEndpoint(c, {
        name: v.name,
        url: v.url,
        secretSealed: this.box.seal(secret),
        enabled: input.enabled,
        createdBy: actor.name,
      });
      await endpoints.setSubscriptions(c, id, v.events);
      await appendAudit(c, actor, [
        {
          action: 'webhook.endpoint.created',
          objectType: 'webhook_endpoint',
          objectId: String(id),
          after: {
            name: v.name,
            url: v.url,
            events: v.events,
            enabled: input.enabled,
            secret: v.secret ? 'set by the admin' : 'generated',
          },
        },
      ]);
      return id;
    });
    return { endpoint: await this.get(id), secret };
  }

  async update(actor: Actor, id: number, patch: Partial<Omit<EndpointInput, 'secret'>>) {
    const cur = await this.get(id);
    const v = await this.validate(
      {
        name: patch.name ?? cur.name,
        url: patch.url ?? cur.url,
        events: patch.events ?? (cur.events ?? '').split(' ').filter(Boolean),
        enabled: patch.enabled ?? !!cur.enabled,
      },
      false,
    );
    const enabled = patch.enabled ?? !!cur.enabled;
    await withTxRetry(this.pool, async (c) => {
      const before = await endpoints.findEndpoint(c, id, true);
      if (!before) throw new NotFoundError('No such webhook endpoint.');
      await endpoints.updateEndpoint(c, id, { name: v.name, url: v.url, enabled });
      await endpoints.setSubscriptions(c, id, v.events);
      await appendAudit(c, actor, [
        {
          action: 'webhook.endpoint.updated',
          objectType: 'webhook_endpoint',
          objectId: String(id),
          before: {
            name: before.name,
            url: before.url,
            events: (before.events ?? '').split(' ').filter(Boolean),
            enabled: !!before.enabled,
          },
          after: { name: v.name, url: v.url, events: v.events, enabled },
        },
      ]);
    });
    this.poke();
    return this.get(id);
  }

  /** A new secret (generated, or the admin's); returned once. */
  async rotateSecret(actor: Actor, id: number, given?: string) {
    const secret = given?.trim() || newSecret();
    if (secret.length < 16 || secret.length > 256)
      throw new ValidationError('Please correct the highlighted fields.', { secret: '16 to 256 characters' });
    await withTxRetry(this.pool, async (c) => {
      if (!(await endpoints.findEndpoint(c, id, true))) throw new NotFoundError('No such webhook endpoint.');
      await endpoints.setSecret(c, id, this.box.seal(secret));
      await appendAudit(c, actor, [
        {
          action: 'webhook.endpoint.secret_rotated',
          objectType: 'webhook_endpoint',
          objectId: String(id),
          after: { secret: given?.trim() ? 'set by the admin' : 'generated' },
        },
      ]);
    });
    return secret;
  }

  async remove(actor: Actor, id: number) {
    await withTxRetry(this.pool, async (c) => {
      const e = await endpoints.findEndpoint(c, id, true);
      if (!e) throw new NotFoundError('No such webhook endpoint.');
      await endpoints.deleteEndpoint(c, id);
      await appendAudit(c, actor, [
        {
          action: 'webhook.endpoint.deleted',
          objectType: 'webhook_endpoint',
          objectId: String(id),
          before: { name: e.name, url: e.url, events: (e.events ?? '').split(' ').filter(Boolean) },
        },
      ]);
    });
  }

  /** Clears a pause: the deliveries held meanwhile go out. */
  async resume(actor: Actor, id: number) {
    await withTxRetry(this.pool, async (c) => {
      const e = await endpoints.findEndpoint(c, id, true);
      if (!e) throw new NotFoundError('No such webhook endpoint.');
      await endpoints.resumeEndpoint(c, id);
      await appendAudit(c, actor, [
        {
          action: 'webhook.endpoint.resumed',
          objectType: 'webhook_endpoint',
          objectId: String(id),
          before: { pausedAt: e.paused_at?.toISOString() ?? null, failures: e.consecutive_failures },
        },
      ]);
    });
    this.poke();
  }

  /** A `webhook.test` event for this endpoint only; returns the event id. */
  async sendTest(actor: Actor, id: number) {
    const eventId = await withTxRetry(this.pool, async (c) => {
      const e = await endpoints.findEndpoint(c, id, true);
      if (!e) throw new NotFoundError('No such webhook endpoint.');
      if (!e.enabled) throw new ValidationError('The endpoint is disabled: enable it to send a test event.');
      const eventId = await recordEvent(c, TEST_EVENT, { endpointId: id, requestedBy: actor.name }, id);
      await appendAudit(c, actor, [
        {
          action: 'webhook.test_sent',
          objectType: 'webhook_endpoint',
          objectId: String(id),
          after: { eventId },
        },
      ]);
      return eventId!;
    });
    this.poke();
    return eventId;
  }

  /** Sends a finished (or failed) delivery again, with a new round of attempts. */
  async redeliver(actor: Actor, endpointId: number, deliveryId: string) {
    await withTxRetry(this.pool, async (c) => {
      const d = await deliveries.findDelivery(c, endpointId, deliveryId);
      if (!d) throw new NotFoundError('No such delivery.');
      if (!(await deliveries.requeue(c, deliveryId, ['succeeded', 'failed'])))
        throw new ValidationError('This delivery is still on its way; wait for it to finish.');
      await appendAudit(c, actor, [
        {
          action: 'webhook.delivery.redelivered',
          objectType: 'webhook_endpoint',
          objectId: String(endpointId),
          after: { delivery: d.uid, event: d.event_uid, eventType: d.event_type, previousState: d.state },
        },
      ]);
    });
    this.poke();
  }
}
