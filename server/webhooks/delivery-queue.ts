// The BullMQ queue of webhook deliveries. A job carries only the delivery's id; its id names
// the delivery and the generation (each time the relay queues a delivery it is a new job), so
// queuing the same generation twice adds nothing.
import { Queue } from 'bullmq';
import { bullConnection } from '../core/redis.js';

export const WEBHOOK_QUEUE = 'webhook-deliveries';

export interface DeliveryJob {
  deliveryId: string;
}

export const deliveryJobId = (deliveryId: string, generation: number) => `wh-${deliveryId}-${generation}`;

export function openDeliveryQueue(redisUrl: string, prefix: string): Queue<DeliveryJob> {
  return new Queue<DeliveryJob>(WEBHOOK_QUEUE, { prefix, connection: bullConnection(redisUrl) });
}
