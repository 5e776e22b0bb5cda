// The JSON of the registry API (registry-api-routes.ts). A stored secret never leaves the
// server: rows are listed without their sealed secret.
import type { PresenceEntry } from '../../broker/index.js';

export const withoutSecret = <T extends { secret_sealed: unknown }>({ secret_sealed: _s, ...row }: T) => row;

export const listJson = <T>(items: T[]) => ({ items });

/** Like the seed's QuerySessionByClientId answer. */
export const sessionJson = (clientId: string, e: PresenceEntry | null) => ({
  clientId,
  online: e !== null,
  ...(e ? { brokerNode: e.node, ip: e.ip, since: e.at } : {}),
});
