// The JSON of the registry API (registry-api-routes.ts). A stored secret never leaves the
// server: rows are listed without their sealed secret.
import {
  parsePolicies,
  type applicationsRepo,
  type credentialsRepo,
  type PresenceEntry,
} from '../../broker/index.js';
import { pageOfArray, type PageRequest } from '../core/list-page.js';

export const withoutSecret = <T extends { secret_sealed: unknown }>({ secret_sealed: _s, ...row }: T) => row;

const camel = (k: string) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** A listed row in the API's camelCase, times as ISO-8601 strings. */
export function camelRow(row: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [camel(k), v instanceof Date ? v.toISOString() : v]),
  );
}

/** A page of a registry list (small lists, read whole and paged here), rows in camelCase. */
export function listJson<T extends object>(rows: T[], p: PageRequest<unknown>, key: (row: T) => string) {
  const page = pageOfArray(rows, p, key);
  return { items: page.items.map(camelRow), nextCursor: page.nextCursor };
}

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
