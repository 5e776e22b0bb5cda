// What the broker reads from the registries. Parent topics are checked on every packet, so
// they are held in memory and reloaded when any node announces a change on Redis pub/sub.
// Group IDs (with their client class), AccessKeys (with their policies), device credentials,
// tokens and applications are checked at each CONNECT: they are cached per registry version
// (registry-channel.ts). Every CONNECT reads the version key (one Redis GET); when it differs
// from the cache's, the cache is dropped and rows are read from MySQL again. Writers set a new version after their transaction commits and before they report
// the change done, so the next connection on every node sees it. Only rows that exist are
// cached: an unknown Group ID or key is read from MySQL each time, so rows inserted without the
// registry service (test fixtures, manual SQL) are seen at once too. Two answers are cached
// either way, because the registry service sets a new version when they change: the broker
// settings, and which Client IDs hold a live device credential (issuing one sets a version);
// one inserted behind the service's back counts within a minute.
import crypto from 'node:crypto';
import type { ConnectOps } from '../connect-ops.js';
import type { Pool } from '../../server/db/pool.js';
import { parsePolicies, type ClientClass, type Policy } from '../permissions.js';
import { SecretBox } from './secret-box.js';
import * as apps from './applications-repo.js';
import * as creds from './credentials-repo.js';
import { readSettings, type BrokerSettings } from './settings-repo.js';
import * as topics from './topics-repo.js';

export interface AccessKey {
  id: string;
  secret: string;
  /** null = every group */
  groupIds: string[] | null;
  /** access policies on general Group IDs */
  policies: Policy[];
}
export interface Application {
  id: string;
  secret: string;
}
export interface DeviceCredential {
  clientId: string;
  secret: string;
}
export interface Token {
  id: string;
  accessKeyId: string;
  perms: string;
  /** topic filters on general Group IDs */
  topics: string[];
  expiresAt: number;
}

/** Backstop if a version change was lost (Redis failed between commit and SET): a cache lives at most this long. */
const MAX_AGE_MS = 60_000;
/** A map over this many entries is emptied rather than grown (bounds memory under many distinct devices). */
const MAX_ENTRIES = 50_000;

/** One registry version's cache. In-flight loads are shared, so a burst of CONNECTs with one key reads MySQL once. */
class Generation {
  readonly bornAt = Date.now();
  readonly groups = new Map<string, Promise<ClientClass | null>>();
  readonly applications = new Map<string, Promise<Application | null>>();
  readonly accessKeys = new Map<string, Promise<AccessKey | null>>();
  readonly deviceCredentials = new Map<string, Promise<DeviceCredential | null>>();
  readonly tokens = new Map<string, Promise<Token | null>>();
  /** the Client IDs holding a live device credential, read in one query per version */
  credentialHolders: Promise<Set<string>> | null = null;
  settings: Promise<BrokerSettings> | null = null;

  constructor(readonly version: string | null) {}
}

/** Caches only positive answers; a failed or negative load is forgotten so the next CONNECT reads again. */
function cached<T>(
  map: Map<string, Promise<T>> | null,
  key: string,
  load: () => Promise<T>,
  keep: (v: T) => boolean,
): Promise<T> {
  if (!map) return load();
  const hit = map.get(key);
  if (hit) return hit;
  if (map.size >= MAX_ENTRIES) map.clear();
  const p = load();
  map.set(key, p);
  p.then(
    (v) => {
      if (!keep(v) && map.get(key) === p) map.delete(key);
    },
    () => {
      if (map.get(key) === p) map.delete(key);
    },
  );
  return p;
}

/** The registry as one CONNECT sees it: the version was read once, every lookup uses that version's cache. */
export class RegistryRead {
  constructor(
    private readonly view: RegistryView,
    private readonly gen: Generation | null,
  ) {}

  /** The Group ID's client class, null when it is not registered. */
  groupClass(groupId: string): Promise<ClientClass | null> {
    return cached(
      this.gen?.groups ?? null,
      groupId,
      () => this.view.loadGroupClass(groupId),
      (v) => v !== null,
    );
  }

  application(id: string): Promise<Application | null> {
    return cached(
      this.gen?.applications ?? null,
      id,
      () => this.view.loadApplication(id),
      (v) => v !== null,
    );
  }

  accessKey(id: string): Promise<AccessKey | null> {
    return cached(
      this.gen?.accessKeys ?? null,
      id,
      () => this.view.loadAccessKey(id),
      (v) => v !== null,
    );
  }

  deviceCredential(id: string): Promise<DeviceCredential | null> {
    return cached(
      this.gen?.deviceCredentials ?? null,
      id,
      () => this.view.loadDeviceCredential(id),
      (v) => v !== null,
    );
  }

  /** The instance's broker settings (one row), read once per registry version. */
  settings(): Promise<BrokerSettings> {
    if (!this.gen) return this.view.loadSettings();
    const p = (this.gen.settings ??= this.view.loadSettings());
    p.catch(() => {
      if (this.gen?.settings === p) this.gen.settings = null;
    });
    return p;
  }

  /**
   * Whether the Client ID holds a live device credential. The holders are read once per version
   * (one query, however many distinct Client IDs connect), not once per Client ID.
   */
  async clientHasDeviceCredential(clientId: string): Promise<boolean> {
    if (!this.gen) return this.view.loadClientHasDeviceCredential(clientId);
    const g = this.gen;
    const p = (g.credentialHolders ??= this.view.loadCredentialHolders());
    p.catch(() => {
      if (g.credentialHolders === p) g.credentialHolders = null;
    });
    return (await p).has(clientId);
  }

  /** Expiry is checked at each use, so a cached token stops working when it expires. */
  async token(token: string): Promise<Token | null> {
    const t = await cached(
      this.gen?.tokens ?? null,
      sha256(token),
      () => this.view.loadToken(token),
      (v) => v !== null,
    );
    return t && t.expiresAt > Date.now() ? t : null;
  }
}

export class RegistryView {
  private parents = new Set<string>();
  private gen: Generation | null = null;

  /** `versions` off (no Redis): no cache, every CONNECT reads MySQL. */
  constructor(
    readonly pool: Pool,
    readonly box: SecretBox,
    private readonly versions?: { ops: Pick<ConnectOps, 'get'>; key: string },
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

  /**
   * Reads the registry version and returns the cache of that version. The GET goes in the
   * CONNECTs' next batch of operations (connect-ops.ts), shared by the CONNECTs of that batch
   * only: it is sent after each of them arrived. A GET already sent is never shared: sent before
   * a change was announced, it could answer for a CONNECT that arrived after it. Redis
   * unreachable: no cache, MySQL answers as before.
   */
  async read(): Promise<RegistryRead> {
    if (!this.versions) return new RegistryRead(this, null);
    let version: string | null;
    try {
      version = await this.versions.ops.get(this.versions.key);
    } catch {
      return new RegistryRead(this, null);
    }
    let g = this.gen;
    // A generation is created after its version was seen, and its loads start after that: none
    // of its rows predates a change announced before that version.
    if (!g || g.version !== version || Date.now() - g.bornAt > MAX_AGE_MS) {
      g = new Generation(version);
      this.gen = g;
    }
    return new RegistryRead(this, g);
  }

  /** Drops the cache now (a kick or topics message arrived); the version check alone would also do. */
  invalidate() {
    this.gen = null;
  }

  async loadGroupClass(groupId: string): Promise<ClientClass | null> {
    return (await topics.findGroup(this.pool, groupId))?.client_class ?? null;
  }

  async loadApplication(id: string): Promise<Application | null> {
    const row = await apps.findApplication(this.pool, id);
    if (!row || row.revoked_at || !row.secret_sealed) return null;
    const secret = this.box.open(row.secret_sealed);
    return secret === null ? null : { id, secret };
  }

  async loadAccessKey(id: string): Promise<AccessKey | null> {
    const row = await creds.findAccessKey(this.pool, id);
    if (!row || row.revoked_at) return null;
    const secret = this.box.open(row.secret_sealed);
    if (secret === null) return null;
    return {
      id,
      secret,
      groupIds: row.group_ids === null ? null : row.group_ids.split(' ').filter(Boolean),
      policies: parsePolicies(row.permissions),
    };
  }

  async loadDeviceCredential(id: string): Promise<DeviceCredential | null> {
    const row = await creds.findDeviceCredential(this.pool, id);
    if (!row || row.revoked_at) return null;
    const secret = this.box.open(row.secret_sealed);
    return secret === null ? null : { clientId: row.client_id, secret };
  }

  loadSettings(): Promise<BrokerSettings> {
    return readSettings(this.pool);
  }

  loadClientHasDeviceCredential(clientId: string): Promise<boolean> {
    return creds.clientHasDeviceCredential(this.pool, clientId);
  }

  async loadCredentialHolders(): Promise<Set<string>> {
    return new Set(await creds.credentialHolders(this.pool));
  }

  async loadToken(token: string): Promise<Token | null> {
    const row = await creds.findTokenByHash(this.pool, sha256(token));
    if (!row || row.revoked_at || row.expires_at.getTime() <= Date.now()) return null;
    return {
      id: String(row.id),
      accessKeyId: row.access_key_id,
      perms: row.perms,
      topics: (row.topics ?? '').split(' ').filter(Boolean),
      expiresAt: row.expires_at.getTime(),
    };
  }
}

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
