// Use cases of the broker registries: parent topics, Group IDs, AccessKeys, device credentials,
// tokens. Each change is one transaction ending with its audit record, then announced to every
// broker node (registry-channel), so it applies to the next connection without a restart;
// a revocation also disconnects the clients that use the credential. Brokers cache the rows
// they check at CONNECT: a change that removes or alters a row sets a new registry version
// after the commit and before the call returns (`changed`). Additions need none, brokers never
// cache a row as absent, except two answers they cache either way: whether a Client ID holds a
// device credential (issuing one sets a version) and the instance settings.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  applicationsRepo as apps,
  announceRegistryChange,
  bumpRegistryVersion,
  credentialsRepo as creds,
  parsePolicies,
  settingsRepo,
  type BrokerSettings,
  sha256,
  topicsRepo as topics,
  type RegistryChange,
  type SecretBox,
} from '../../broker/index.js';
import { appendAudit } from '../audit/audit-repo.js';
import { SYSTEM_ACTOR, type Actor } from '../audit/audit-chain.js';
import { AppError, ConflictError, NotFoundError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { withTx, type Pool } from '../db/pool.js';
import {
  accessKeyInput,
  applicationInput,
  deviceCredentialInput,
  groupClassInput,
  groupInput,
  permissionsInput,
  parentTopicInput,
  parse,
  settingsInput,
  tokenInput,
} from './registry-schemas.js';
import { groupUsage } from './registry-repo.js';

const alnum = (n: number) =>
  crypto
    .randomBytes(n * 2)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, n)
    .padEnd(n, 'x');
const isDup = (err: unknown) => (err as { code?: string }).code === 'ER_DUP_ENTRY';
const isFk = (err: unknown) => /ER_ROW_IS_REFERENCED/.test((err as { code?: string }).code ?? '');

export class RegistryService {
  constructor(
    private readonly pool: Pool,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly box: SecretBox,
    private readonly log: Logger,
    /** The parent topic the platform itself publishes under: never deleted. */
    private readonly ownParentTopic?: string,
  ) {}

  private announce(change: RegistryChange) {
    return announceRegistryChange(this.redis, this.prefix, change).catch((err: unknown) =>
      this.log.error({ err }, 'registry change not announced'),
    );
  }

  /**
   * After a committed removal or change: every broker's cache is invalidated before this
   * returns, then the kick (if any) is announced. If Redis refused the new version the call
   * fails although the change is saved: it is not "done" while a node may still accept the old
   * row (brokers drop their caches after at most a minute regardless).
   */
  private async changed(kick?: RegistryChange) {
    const bumped = await bumpRegistryVersion(this.redis, this.prefix).then(
      () => true,
      (err: unknown) => {
        this.log.error(
          { err },
          'registry version not raised: broker caches may hold the old row for up to a minute',
        );
        return false;
      },
    );
    if (kick) await this.announce(kick);
    if (!bumped)
      throw new AppError(
        'The change is saved, but the broker nodes could not be told yet; it applies to new connections within a minute.',
      );
  }

  /** First start: an empty registry gets the configured parent topic, recorded as the system's act. */
  async ensureDefaultParentTopic(name: string) {
    try {
      const added = await withTx(this.pool, async (c) => {
        if (!(await topics.insertFirstParentTopic(c, name, ''))) return false;
        await appendAudit(c, SYSTEM_ACTOR, [
          {
            action: 'mqtt.parent_topic.created',
            objectType: 'mqtt_parent_topic',
            objectId: name,
            after: { name },
          },
        ]);
        return true;
      });
      if (added) await this.announce({ type: 'topics' });
    } catch (err) {
      if (!isDup(err)) throw err; // another node registered it at the same moment
    }
  }

  listParentTopics() {
    return topics.listParentTopics(this.pool);
  }

  async createParentTopic(actor: Actor, input: unknown) {
    const v = parse(parentTopicInput, input);
    await this.tx(async (c) => {
      await topics.insertParentTopic(c, v.name, v.description).catch((err: unknown) => {
        throw isDup(err) ? new ConflictError(`Parent topic ${v.name} exists already.`) : err;
      });
      await appendAudit(c, actor, [
        { action: 'mqtt.parent_topic.created', objectType: 'mqtt_parent_topic', objectId: v.name, after: v },
      ]);
    });
    await this.announce({ type: 'topics' });
    return v;
  }

  async deleteParentTopic(actor: Actor, name: string) {
    if (name === this.ownParentTopic)
      throw new ConflictError(
        `${name} is the platform's own parent topic (MQTT_PARENT_TOPIC): every task is published under it, so it cannot be deleted.`,
      );
    await this.tx(async (c) => {
      const row = await topics.findParentTopic(c, name);
      if (!row) throw new NotFoundError('No such parent topic.');
      await topics.deleteParentTopic(c, name);
      await appendAudit(c, actor, [
        {
          action: 'mqtt.parent_topic.deleted',
          objectType: 'mqtt_parent_topic',
          objectId: name,
          before: { name, description: row.description },
        },
      ]);
    });
    await this.announce({ type: 'topics' });
  }

  listGroups() {
    return topics.listGroups(this.pool);
  }

  /** Group IDs are immutable once created: there is create and delete, no rename. */
  async createGroup(actor: Actor, input: unknown) {
    const v = parse(groupInput, input);
    await this.tx(async (c) => {
      await topics.insertGroup(c, v.groupId, v.description, v.clientClass).catch((err: unknown) => {
        throw isDup(err) ? new ConflictError(`Group ID ${v.groupId} exists already.`) : err;
      });
      await appendAudit(c, actor, [
        { action: 'mqtt.group.created', objectType: 'mqtt_group', objectId: v.groupId, after: v },
      ]);
    });
    return v;
  }

  /**
   * Chooses the Group ID's client class; its connected clients are disconnected on every node,
   * so each reconnects under the new rules (an AP under 'general' would otherwise keep its old ones).
   */
  async setGroupClass(actor: Actor, groupId: string, input: unknown) {
    const v = parse(groupClassInput, input);
    const changed = await this.tx(async (c) => {
      const row = await topics.findGroupForUpdate(c, groupId);
      if (!row) throw new NotFoundError('No such Group ID.');
      if (row.client_class === v.clientClass) return false;
      await topics.setGroupClass(c, groupId, v.clientClass);
      await appendAudit(c, actor, [
        {
          action: 'mqtt.group.class_changed',
          objectType: 'mqtt_group',
          objectId: groupId,
          before: { clientClass: row.client_class },
          after: { clientClass: v.clientClass },
        },
      ]);
      return true;
    });
    if (changed) await this.changed({ type: 'kick', ref: `grp:${groupId}` });
    return { groupId, clientClass: v.clientClass };
  }

  async deleteGroup(actor: Actor, groupId: string) {
    await this.tx(async (c) => {
      const row = await topics.findGroup(c, groupId);
      if (!row) throw new NotFoundError('No such Group ID.');
      const use = await groupUsage(c, groupId);
      if (use.stores.length)
        throw new ConflictError(
          `Group ID ${groupId} is in use by store ${use.stores.join(', ')}: remove it from the store first.`,
        );
      if (use.onlineAps)
        throw new ConflictError(
          `Group ID ${groupId} is in use by ${use.onlineAps} connected AP(s): disconnect them first.`,
        );
      await topics.deleteGroup(c, groupId).catch((err: unknown) => {
        throw isFk(err) ? new ConflictError(`Group ID ${groupId} is in use by a store.`) : err;
      });
      await appendAudit(c, actor, [
        {
          action: 'mqtt.group.deleted',
          objectType: 'mqtt_group',
          objectId: groupId,
          before: { groupId, description: row.description },
        },
      ]);
    });
    await this.changed();
  }

  listAccessKeys() {
    return creds.listAccessKeys(this.pool);
  }

  /** The secret is returned once; the database keeps it sealed (broker/registry/secret-box.ts). */
  async issueAccessKey(actor: Actor, input: unknown) {
    const v = parse(accessKeyInput, input);
    const id = `LTAI${alnum(16)}`;
    const secret = alnum(30);
    const groupIds = v.groupIds.length ? [...new Set(v.groupIds)] : null;
    await this.tx(async (c) => {
      await creds.insertAccessKey(c, {
        id,
        sealed: this.box.seal(secret),
        description: v.description,
        groupIds,
        permissions: v.permissions.length ? JSON.stringify(v.permissions) : null,
      });
      await appendAudit(c, actor, [
        {
          action: 'mqtt.access_key.issued',
          objectType: 'mqtt_access_key',
          objectId: id,
          after: { description: v.description, groupIds, permissions: v.permissions },
        },
      ]);
    });
    return { accessKeyId: id, accessKeySecret: secret, groupIds, permissions: v.permissions };
  }

  /** Replaces an AccessKey's access policies; its clients reconnect under the new ones. */
  async setAccessKeyPermissions(actor: Actor, id: string, input: unknown) {
    const v = parse(permissionsInput, input);
    await this.tx(async (c) => {
      const row = await creds.findAccessKeyForUpdate(c, id);
      if (!row) throw new NotFoundError('No such AccessKey.');
      if (row.revoked_at) throw new ConflictError('AccessKey is revoked already.');
      await creds.setAccessKeyPermissions(c, id, v.permissions.length ? JSON.stringify(v.permissions) : null);
      await appendAudit(c, actor, [
        {
          action: 'mqtt.access_key.permissions_changed',
          objectType: 'mqtt_access_key',
          objectId: id,
          before: { permissions: parsePolicies(row.permissions) },
          after: { permissions: v.permissions },
        },
      ]);
    });
    await this.changed({ type: 'kick', ref: `ak:${id}` });
    return { accessKeyId: id, permissions: v.permissions };
  }

  async revokeAccessKey(actor: Actor, id: string) {
    await this.tx(async (c) => {
      if (!(await creds.findAccessKey(c, id))) throw new NotFoundError('No such AccessKey.');
      if ((await creds.revokeAccessKey(c, id)).affectedRows === 0)
        throw new ConflictError('AccessKey is revoked already.');
      await appendAudit(c, actor, [
        { action: 'mqtt.access_key.revoked', objectType: 'mqtt_access_key', objectId: id },
      ]);
    });
    await this.changed({ type: 'kick', ref: `ak:${id}` });
  }

  listDeviceCredentials() {
    return creds.listDeviceCredentials(this.pool);
  }

  /** One credential per Client ID; issuing again for the same Client ID is a conflict (rotate instead). */
  async issueDeviceCredential(actor: Actor, input: unknown) {
    const v = parse(deviceCredentialInput, input);
    const id = `DEV${alnum(17)}`;
    const secret = alnum(30);
    await this.tx(async (c) => {
      if (await creds.findDeviceCredentialByClient(c, v.clientId))
        throw new ConflictError('This Client ID has a credential already; rotate it.');
      await creds.insertDeviceCredential(c, { id, clientId: v.clientId, sealed: this.box.seal(secret) });
      await appendAudit(c, actor, [
        {
          action: 'mqtt.device_credential.issued',
          objectType: 'mqtt_device_credential',
          objectId: id,
          refs: { ap: v.clientId },
          after: { clientId: v.clientId },
        },
      ]);
    });
    // brokers cache that a Client ID holds no credential (the Signature check): a new version ends that
    await this.changed();
    return { deviceAccessKeyId: id, deviceAccessKeySecret: secret, clientId: v.clientId };
  }

  /** A new secret for the same credential id; connections using the old secret are closed. */
  async rotateDeviceCredential(actor: Actor, id: string) {
    const secret = alnum(30);
    const clientId = await this.tx(async (c) => {
      const row = await creds.findDeviceCredential(c, id);
      if (!row) throw new NotFoundError('No such device credential.');
      await creds.rotateDeviceCredential(c, id, this.box.seal(secret));
      await appendAudit(c, actor, [
        {
          action: 'mqtt.device_credential.rotated',
          objectType: 'mqtt_device_credential',
          objectId: id,
          refs: { ap: row.client_id },
        },
      ]);
      return row.client_id;
    });
    await this.changed({ type: 'kick', ref: `dc:${id}` });
    return { deviceAccessKeyId: id, deviceAccessKeySecret: secret, clientId };
  }

  async revokeDeviceCredential(actor: Actor, id: string) {
    await this.tx(async (c) => {
      const row = await creds.findDeviceCredential(c, id);
      if (!row) throw new NotFoundError('No such device credential.');
      if ((await creds.revokeDeviceCredential(c, id)).affectedRows === 0)
        throw new ConflictError('Credential is revoked already.');
      await appendAudit(c, actor, [
        {
          action: 'mqtt.device_credential.revoked',
          objectType: 'mqtt_device_credential',
          objectId: id,
          refs: { ap: row.client_id },
        },
      ]);
    });
    await this.changed({ type: 'kick', ref: `dc:${id}` });
  }

  listTokens() {
    return creds.listTokens(this.pool);
  }

  /** The token is returned once; only its SHA-256 is stored. */
  async issueToken(actor: Actor, input: unknown) {
    const v = parse(tokenInput, input);
    const token = crypto.randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + v.ttlSeconds * 1000);
    const id = await this.tx(async (c) => {
      const key = await creds.findAccessKey(c, v.accessKeyId);
      if (!key || key.revoked_at) throw new NotFoundError('No such active AccessKey.');
      const id = await creds.insertToken(c, {
        hash: sha256(token),
        accessKeyId: v.accessKeyId,
        perms: v.perms,
        expiresAt,
        topics: v.topics,
      });
      await appendAudit(c, actor, [
        {
          action: 'mqtt.token.issued',
          objectType: 'mqtt_token',
          objectId: id,
          after: {
            accessKeyId: v.accessKeyId,
            perms: v.perms,
            topics: v.topics,
            expiresAt: expiresAt.toISOString(),
          },
        },
      ]);
      return id;
    });
    return {
      id,
      token,
      accessKeyId: v.accessKeyId,
      perms: v.perms,
      topics: v.topics,
      expiresAt: expiresAt.toISOString(),
    };
  }

  async revokeToken(actor: Actor, id: string) {
    await this.tx(async (c) => {
      if (!(await creds.findToken(c, id))) throw new NotFoundError('No such token.');
      if ((await creds.revokeToken(c, id)).affectedRows === 0)
        throw new ConflictError('Token is revoked already.');
      await appendAudit(c, actor, [{ action: 'mqtt.token.revoked', objectType: 'mqtt_token', objectId: id }]);
    });
    await this.changed({ type: 'kick', ref: `tok:${id}` });
  }

  listApplications() {
    return apps.listApplications(this.pool);
  }

  /** A server-side application's identity; the secret is returned once and kept sealed. */
  async issueApplication(actor: Actor, input: unknown) {
    const v = parse(applicationInput, input);
    const id = `APP${alnum(17)}`;
    const secret = alnum(30);
    await this.tx(async (c) => {
      await apps.insertApplication(c, { id, sealed: this.box.seal(secret), description: v.description });
      await appendAudit(c, actor, [
        {
          action: 'mqtt.application.issued',
          objectType: 'mqtt_application',
          objectId: id,
          after: { description: v.description },
        },
      ]);
    });
    return { appId: id, appSecret: secret, description: v.description };
  }

  /** Revokes an application: refused from now on and disconnected on every node. */
  async revokeApplication(actor: Actor, id: string) {
    await this.tx(async (c) => {
      const row = await apps.findApplicationForUpdate(c, id);
      if (!row) throw new NotFoundError('No such application.');
      if (row.builtin)
        throw new ConflictError(
          "This is the platform's own identity: change PLATFORM_MQTT_SECRET on every node instead.",
        );
      if ((await apps.revokeApplication(c, id)).affectedRows === 0)
        throw new ConflictError('Application is revoked already.');
      await appendAudit(c, actor, [
        { action: 'mqtt.application.revoked', objectType: 'mqtt_application', objectId: id },
      ]);
    });
    await this.changed({ type: 'kick', ref: `app:${id}` });
  }

  getSettings(): Promise<BrokerSettings> {
    return settingsRepo.readSettings(this.pool);
  }

  /** Instance-wide broker options; applies to the next connection on every node. */
  async updateSettings(actor: Actor, input: unknown): Promise<BrokerSettings> {
    const next = parse(settingsInput, input);
    const changed = await this.tx(async (c) => {
      const before = await settingsRepo.readSettings(c, true);
      if (before.deviceCredentialsWin === next.deviceCredentialsWin) return false;
      await settingsRepo.writeSettings(c, next);
      await appendAudit(c, actor, [
        {
          action: 'mqtt.settings.changed',
          objectType: 'mqtt_settings',
          objectId: 'instance',
          summary: next.deviceCredentialsWin
            ? 'device credentials win: a Signature AccessKey is refused for a Client ID with its own credential'
            : 'a Signature AccessKey is accepted for a Client ID with its own device credential',
          before: { ...before },
          after: { ...next },
        },
      ]);
      return true;
    });
    if (changed) await this.changed();
    return next;
  }

  private tx<T>(fn: Parameters<typeof withTx<T>>[1]) {
    return withTx(this.pool, fn);
  }
}
