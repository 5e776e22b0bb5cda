// What the broker reads from the registries. Parent topics are checked on every packet, so
// they are cached and refreshed when any node announces a change on Redis pub/sub; Group IDs
// and credentials are read from MySQL at each CONNECT, so a change applies to the next connection.
import crypto from 'node:crypto';
import type { Pool } from '../../server/db/pool.js';
import { SecretBox } from './secret-box.js';
import * as creds from './credentials-repo.js';
import * as topics from './topics-repo.js';

export interface AccessKey {
  id: string;
  secret: string;
  /** null = every group */
  groupIds: string[] | null;
}

export class RegistryView {
  private parents = new Set<string>();

  constructor(
    readonly pool: Pool,
    readonly box: SecretBox,
  ) {}

  async refreshParentTopics() {
    this.parents = new Set((await topics.listParentTopics(this.pool)).map((t) => t.name));
  }

  hasParentTopic(name: string) {
    return this.parents.has(name);
  }

  get parentTopics(): string[] {
    return [...this.parents];
  }

  async groupExists(groupId: string) {
    return (await topics.findGroup(this.pool, groupId)) !== null;
  }

  async accessKey(id: string): Promise<AccessKey | null> {
    const row = await creds.findAccessKey(this.pool, id);
    if (!row || row.revoked_at) return null;
    const secret = this.box.open(row.secret_sealed);
    if (secret === null) return null;
    return { id, secret, groupIds: row.group_ids === null ? null : row.group_ids.split(' ').filter(Boolean) };
  }

  async deviceCredential(id: string): Promise<{ clientId: string; secret: string } | null> {
    const row = await creds.findDeviceCredential(this.pool, id);
    if (!row || row.revoked_at) return null;
    const secret = this.box.open(row.secret_sealed);
    return secret === null ? null : { clientId: row.client_id, secret };
  }

  async token(token: string): Promise<{ id: string; accessKeyId: string; perms: string; expiresAt: number } | null> {
    const row = await creds.findTokenByHash(this.pool, sha256(token));
    if (!row || row.revoked_at || row.expires_at.getTime() <= Date.now()) return null;
    return { id: String(row.id), accessKeyId: row.access_key_id, perms: row.perms, expiresAt: row.expires_at.getTime() };
  }
}

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
