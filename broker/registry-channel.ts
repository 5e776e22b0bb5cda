// How a registry change reaches every broker node at once. Two mechanisms:
// - a version key in Redis, set to a fresh random value after every committed change and before
//   the change is reported done; each node reads it (one GET) at every CONNECT and drops its
//   registry cache when it differs, so the next connection on any node sees the change
//   (registry-view.ts). Random rather than a counter: a Redis that lost the key and counted up
//   again could otherwise repeat a value a node still holds;
// - one Redis pub/sub channel: 'topics' reloads the parent topics; 'kick <ref>' disconnects the
//   clients of a revoked credential (pub/sub is fire-and-forget, so it is not what keeps the
//   cache correct).
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';

export const registryChannel = (prefix: string) => `${prefix}:mqtt:registry`;
export const registryVersionKey = (prefix: string) => `${prefix}:mqtt:registry:version`;

export type RegistryChange = { type: 'topics' } | { type: 'kick'; ref: string };

export async function announceRegistryChange(redis: Redis, prefix: string, change: RegistryChange) {
  await redis.publish(registryChannel(prefix), JSON.stringify(change));
}

/**
 * Invalidates every node's registry cache: call after the change's transaction committed
 * (raising it before would let a node cache the old row under the new version). Retried a
 * few times; a failure is thrown so that the change is not reported done while a node may
 * still serve the old value (the caches' maximum age bounds that case; registry-view.ts).
 */
export async function bumpRegistryVersion(redis: Redis, prefix: string, attempts = 3): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await redis.set(registryVersionKey(prefix), crypto.randomUUID());
      return;
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 100 * i));
    }
  }
}

export function parseRegistryChange(msg: string): RegistryChange | null {
  try {
    const c = JSON.parse(msg) as RegistryChange;
    return c.type === 'topics' || (c.type === 'kick' && typeof c.ref === 'string') ? c : null;
  } catch {
    return null;
  }
}
