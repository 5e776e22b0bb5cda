// API keys for ERP/POS systems and automation: `esl_<12-char id>_<secret>`. Only a
// SHA-256 of the whole key is stored (the key is random and long, so a slow hash adds nothing);
// the key is shown once when issued.
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Actor } from '../audit/audit-chain.js';
import { API_SCOPES, type ApiScope } from './roles.js';
import * as repo from './api-keys-repo.js';
import { findStoresByIds } from './users-repo.js';
import type { Queryable } from '../db/pool.js';
import { scopeCodes, type StoreScope } from '../core/identity.js';

const KEY_RE = /^esl_([a-zA-Z0-9]{12})_([a-zA-Z0-9_-]{32,64})$/;
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export interface ApiPrincipal {
  keyId: number;
  name: string;
  scopes: ApiScope[];
  /** The key's store scope: null = every store. */
  stores: StoreScope;
}

export class ApiKeysService {
  constructor(private readonly pool: Pool) {}

  /** The keys, each with its store scope (null = every store). */
  async list() {
    const keys = await repo.listApiKeys(this.pool);
    const stores = await repo.apiKeyStores(
      this.pool,
      keys.map((k) => k.id),
    );
    return keys.map((k) => ({ ...k, stores: stores.get(k.id) ?? null }));
  }

  /** Checks a store choice: known stores, and none for a key with the admin scope (admins see every store). */
  private async storesFor(c: Queryable, ids: number[], scopes: string[]) {
    const unique = [...new Set(ids.filter((n) => Number.isInteger(n) && n > 0))];
    if (unique.length && scopes.includes('admin'))
      throw new ValidationError('Please correct the highlighted fields.', {
        stores: 'a key with the admin scope sees every store',
      });
    const stores = await findStoresByIds(c, unique);
    if (stores.length !== unique.length)
      throw new ValidationError('Please correct the highlighted fields.', { stores: 'unknown store' });
    return stores;
  }

  async issue(
    actor: Actor,
    createdBy: number | null,
    input: { name: string; scopes: string[]; stores?: number[] },
  ) {
    const fields: Record<string, string> = {};
    const name = z.string().trim().min(3).max(128).safeParse(input.name);
    if (!name.success) fields.name = '3 to 128 characters';
    const scopes = z.array(z.enum(API_SCOPES)).min(1).safeParse(input.scopes);
    if (!scopes.success) fields.scopes = `choose one or more of ${API_SCOPES.join(', ')}`;
    if (Object.keys(fields).length)
      throw new ValidationError('Please correct the highlighted fields.', fields);
    const alnum = () =>
      crypto
        .randomBytes(16)
        .toString('base64')
        .replace(/[^a-zA-Z0-9]/g, '')
        .slice(0, 12)
        .padEnd(12, 'x');
    const prefix = alnum();
    const key = `esl_${prefix}_${crypto.randomBytes(32).toString('base64url')}`;
    const id = await withTx(this.pool, async (c) => {
      const stores = await this.storesFor(c, input.stores ?? [], scopes.data!);
      const id = await repo.insertApiKey(c, {
        name: name.data!,
        prefix,
        hash: sha256(key),
        scopes: scopes.data!,
        createdBy,
      });
      await repo.setApiKeyStores(
        c,
        id,
        stores.map((s) => s.id),
      );
      await appendAudit(c, actor, [
        {
          action: 'apikey.issued',
          objectType: 'api_key',
          objectId: `${id}`,
          refs: stores.length ? { store: stores.map((s) => s.code) } : undefined,
          after: {
            name: name.data,
            scopes: scopes.data,
            prefix,
            stores: stores.length ? stores.map((s) => s.code) : null,
          },
        },
      ]);
      return id;
    });
    return { id, key, prefix };
  }

  async revoke(actor: Actor, id: number) {
    await withTx(this.pool, async (c) => {
      const k = await repo.findApiKey(c, id);
      if (!k) throw new NotFoundError('No such API key.');
      await repo.revokeApiKey(c, id);
      await appendAudit(c, actor, [
        { action: 'apikey.revoked', objectType: 'api_key', objectId: `${id}`, before: { name: k.name } },
      ]);
    });
  }

  /** Limits a key to some stores (none = every store); audited. */
  async setStores(actor: Actor, id: number, storeIds: number[]) {
    return withTx(this.pool, async (c) => {
      const k = await repo.findApiKey(c, id);
      if (!k) throw new NotFoundError('No such API key.');
      const stores = await this.storesFor(c, storeIds, k.scopes.split(' '));
      const before = (await repo.apiKeyStores(c, [id])).get(id) ?? null;
      await repo.setApiKeyStores(
        c,
        id,
        stores.map((s) => s.id),
      );
      await appendAudit(c, actor, [
        {
          action: 'apikey.stores_changed',
          objectType: 'api_key',
          objectId: `${id}`,
          refs: { store: [...new Set([...(before ?? []), ...stores].map((s) => s.code))] },
          before: { name: k.name, stores: scopeCodes(before) },
          after: { name: k.name, stores: stores.length ? stores.map((s) => s.code) : null },
        },
      ]);
      return { name: k.name };
    });
  }

  /** The key's principal, or null when the key is unknown, malformed or revoked. */
  async authenticate(presented: string): Promise<ApiPrincipal | null> {
    const m = KEY_RE.exec(presented);
    if (!m) return null;
    const row = await repo.findApiKeyByPrefix(this.pool, m[1]);
    if (!row || row.revoked_at) return null;
    const a = Buffer.from(row.key_hash, 'hex');
    const b = Buffer.from(sha256(presented), 'hex');
    if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return null;
    void repo.touchApiKey(this.pool, row.id).catch(() => {});
    const scopes = row.scopes.split(' ').filter(Boolean) as ApiScope[];
    const stores = scopes.includes('admin')
      ? null
      : ((await repo.apiKeyStores(this.pool, [row.id])).get(row.id) ?? null);
    return { keyId: row.id, name: row.name, scopes, stores };
  }
}
