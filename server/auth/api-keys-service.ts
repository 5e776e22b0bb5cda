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

const KEY_RE = /^esl_([a-zA-Z0-9]{12})_([a-zA-Z0-9_-]{32,64})$/;
const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

export interface ApiPrincipal {
  keyId: number;
  name: string;
  scopes: ApiScope[];
}

export class ApiKeysService {
  constructor(private readonly pool: Pool) {}

  list() {
    return repo.listApiKeys(this.pool);
  }

  async issue(actor: Actor, createdBy: number | null, input: { name: string; scopes: string[] }) {
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
      const id = await repo.insertApiKey(c, {
        name: name.data!,
        prefix,
        hash: sha256(key),
        scopes: scopes.data!,
        createdBy,
      });
      await appendAudit(c, actor, [
        {
          action: 'apikey.issued',
          objectType: 'api_key',
          objectId: `${id}`,
          after: { name: name.data, scopes: scopes.data, prefix },
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
    return { keyId: row.id, name: row.name, scopes: row.scopes.split(' ').filter(Boolean) as ApiScope[] };
  }
}
