// How a registry change reaches every broker node at once: one Redis pub/sub channel.
// 'topics' reloads the parent topics; 'kick <ref>' disconnects the clients of a revoked credential.
import type { Redis } from 'ioredis';

export const registryChannel = (prefix: string) => `${prefix}:mqtt:registry`;

export type RegistryChange = { type: 'topics' } | { type: 'kick'; ref: string };

export async function announceRegistryChange(redis: Redis, prefix: string, change: RegistryChange) {
  await redis.publish(registryChannel(prefix), JSON.stringify(change));
}

export function parseRegistryChange(msg: string): RegistryChange | null {
  try {
    const c = JSON.parse(msg) as RegistryChange;
    return c.type === 'topics' || (c.type === 'kick' && typeof c.ref === 'string') ? c : null;
  } catch {
    return null;
  }
}
