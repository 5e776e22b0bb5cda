// The JSON of the registry API (registry-api-routes.ts). A stored secret never leaves the
// server: rows are listed without their sealed secret.
import {
  parsePolicies,
  type applicationsRepo,
  type credentialsRepo,
  type PresenceEntry,
} from '../../broker/index.js';

export const withoutSecret = <T extends { secret_sealed: unknown }>({ secret_sealed: _s, ...row }: T) => row;

export const listJson = <T>(items: T[]) => ({ items });

/** Like the seed's QuerySessionByClientId answer. */
export const sessionJson = (clientId: string, e: PresenceEntry | null) => ({
  clientId,
  online: e !== null,
  ...(e ? { brokerNode: e.node, ip: e.ip, since: e.at } : {}),
});

/** An AccessKey row without its secret, its policies as a list. */
export const accessKeyJson = (row: credentialsRepo.AccessKeyRow) => ({
  ...withoutSecret(row),
  permissions: parsePolicies(row.permissions),
});

export const tokenJson = <T extends { topics: string | null }>(row: T) => ({
  ...row,
  topics: (row.topics ?? '').split(' ').filter(Boolean),
});

export const applicationJson = (row: applicationsRepo.ApplicationRow) => ({
  appId: row.app_id,
  description: row.description,
  builtin: row.builtin === 1,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});
