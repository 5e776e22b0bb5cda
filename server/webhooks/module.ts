// Webhooks as the platform composes them: the admin pages and API (web role), the outbox
// relay and the delivery worker (worker role). The domains record events with the functions
// of events.ts inside their own transactions; this module only delivers them.
import { SecretBox } from '../../broker/index.js';
import type { Role } from '../config.js';
import type { AppContext } from '../core/context.js';
import type { Service } from '../core/lifecycle.js';
import type { DomainModule } from '../core/module.js';
import { openDeliveryQueue } from './delivery-queue.js';
import { DeliveryWorker } from './delivery-worker.js';
import { OutboxRelay } from './outbox-relay.js';
import { webhookApiRoutes } from './webhook-api-routes.js';
import { webhookRoutes } from './webhook-routes.js';
import { WebhookService } from './webhook-service.js';

export interface WebhooksPorts {
  service: WebhookService;
  /** The worker role's relay (tests ask it for a pass), else null. */
  relay: OutboxRelay | null;
}

export function createWebhooksModule(ctx: AppContext, roles: ReadonlySet<Role>): DomainModule<WebhooksPorts> {
  const { config, pool, log, redisUrl } = ctx;
  const box = SecretBox.load(config.MQTT_SECRET_KEY, config.DATA_DIR);
  const services: Service[] = [];
  let relay: OutboxRelay | null = null;
  if (roles.has('worker')) {
    const queue = openDeliveryQueue(redisUrl, config.REDIS_PREFIX);
    relay = new OutboxRelay(
      pool,
      queue,
      {
        intervalMs: config.WEBHOOK_RELAY_INTERVAL_MS,
        attempts: config.WEBHOOK_MAX_ATTEMPTS,
        retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
        retentionDays: config.WEBHOOK_RETENTION_DAYS,
      },
      log,
    );
    const worker = new DeliveryWorker(pool, redisUrl, config, box, log);
    // stopped in reverse: the relay, then the worker, then the queue they share
    services.push({ name: 'webhook-queue', start: async () => {}, stop: () => queue.close() }, worker, relay);
  }
  const r = relay;
  const service = new WebhookService(pool, box, config.WEBHOOK_ALLOW_PRIVATE, () => void r?.kick());
  return {
    name: 'webhooks',
    services,
    routes: [webhookRoutes(service), webhookApiRoutes(service)],
    ports: { service, relay },
  };
}
