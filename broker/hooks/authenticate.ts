// CONNECT: Client ID rules, registered Group ID, and the three credential modes of
// ap-protocol.md, plus the server-side applications (the platform's own identity among them).
// A 'general' Group ID's clients get the grants of their credential (client-classes.ts).
// Return codes per MQTT 3.1.1 3.2.2.3: 2 identifier rejected, 3 server unavailable, 4 bad user
// name or password, 5 not authorized.
import crypto from 'node:crypto';
import type { Client } from 'aedes';
import type { BrokerContext } from '../broker-context.js';
import { setPrincipal, type Principal } from '../principal.js';
import type { RegistryRead } from '../registry/registry-view.js';
import {
  applicationPrincipal,
  checkGeneralWill,
  generalGrants,
  holdPersistentQos,
} from '../client-classes.js';
import { NO_GRANTS, type ClientClass, type Grants } from '../permissions.js';
import {
  APP_CLIENT_RE,
  parseClientId,
  PLATFORM_CLIENT_RE,
  topicsFor,
  type DeviceIdentity,
} from '../rules.js';
import { ConnectRefused, type AuthenticateHook } from './types.js';

export const hmacB64 = (secret: string, data: string) =>
  crypto.createHmac('sha1', secret).update(data).digest('base64');

function same(a: string, b: string) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function authenticateHook(ctx: BrokerContext, onAuthenticated: (c: Client) => void): AuthenticateHook {
  return (client, username, password, done) => {
    decide(ctx, client, username, password)
      .then((p) => {
        setPrincipal(client, p);
        if (p.kind === 'device' && p.clientClass === 'general' && !client.clean) holdPersistentQos(client);
        onAuthenticated(client);
        done(null, true);
      })
      .catch((err: unknown) => {
        const refused = err instanceof ConnectRefused ? err : new ConnectRefused(3, 'registry unavailable');
        if (!(err instanceof ConnectRefused))
          ctx.log.error({ err, clientId: client.id }, 'authentication failed on an internal error');
        else
          ctx.log.info(
            { clientId: client.id, code: refused.returnCode, reason: refused.message },
            'connect refused',
          );
        done(Object.assign(refused, { returnCode: refused.returnCode }), false);
      });
  };
}

async function decide(
  ctx: BrokerContext,
  client: Client,
  username: string | undefined,
  password: Buffer | undefined,
): Promise<Principal> {
  const pass = password ? password.toString('utf8') : '';
  const parts = (username ?? '').split('|');
  if (PLATFORM_CLIENT_RE.test(client.id)) {
    // The platform's service identity: a secret no device holds, on a Client ID no device can have.
    if (
      parts.length !== 2 ||
      parts[0] !== 'Platform' ||
      parts[1] !== ctx.instanceId ||
      !same(pass, ctx.platformSecret)
    ) {
      throw new ConnectRefused(4, 'bad platform credentials');
    }
    return { kind: 'app', appId: 'platform', clientId: client.id, refs: ['platform', 'app:platform'] };
  }
  if (APP_CLIENT_RE.test(client.id)) return applicationPrincipal(ctx, client, parts, pass);
  const identity = parseClientId(client.id);
  if (!identity) throw new ConnectRefused(2, 'malformed Client ID');
  // One registry version for the whole decision (registry-view.ts): cached rows, or MySQL after a change.
  const reg = await ctx.registry.read();
  const clientClass = await reg.groupClass(identity.groupId);
  if (!clientClass) throw new ConnectRefused(2, 'unregistered Group ID');
  if (parts.length !== 3) throw new ConnectRefused(4, 'malformed user name');
  const [mode, keyId, instanceId] = parts;
  if (instanceId !== ctx.instanceId) throw new ConnectRefused(4, 'wrong InstanceId');
  if (clientClass === 'ap') checkWill(ctx, client, identity);
  let p: Principal & { kind: 'device' };
  switch (mode) {
    case 'Signature':
      p = await signature(reg, identity, keyId, pass, clientClass);
      break;
    case 'DeviceCredential':
      if (clientClass === 'general')
        throw new ConnectRefused(5, 'a device credential carries no permissions for a general Group ID');
      p = await deviceCredential(reg, identity, keyId, pass);
      break;
    case 'Token':
      p = await token(reg, identity, keyId, pass, clientClass);
      break;
    default:
      throw new ConnectRefused(4, 'unknown auth mode');
  }
  if (clientClass === 'general') checkGeneralWill(ctx, client, p.grants);
  return p;
}

const device = (
  d: DeviceIdentity,
  clientClass: ClientClass,
  grants: Grants,
  refs: string[],
): Principal & { kind: 'device' } => ({
  kind: 'device',
  identity: d,
  read: true,
  write: true,
  expiresAt: null,
  refs: [...refs, `grp:${d.groupId}`],
  clientClass,
  grants,
});

async function signature(
  reg: RegistryRead,
  d: DeviceIdentity,
  keyId: string,
  pass: string,
  clientClass: ClientClass,
): Promise<Principal & { kind: 'device' }> {
  const key = await reg.accessKey(keyId);
  if (!key || !same(pass, hmacB64(key.secret, d.clientId))) throw new ConnectRefused(4, 'bad signature');
  if (key.groupIds && !key.groupIds.includes(d.groupId))
    throw new ConnectRefused(5, 'AccessKey not valid for this Group ID');
  // Device credentials win: the shared key may not act as, or wipe the session of, a device with its own.
  if ((await reg.settings()).deviceCredentialsWin && (await reg.clientHasDeviceCredential(d.clientId)))
    throw new ConnectRefused(5, 'this Client ID holds its own device credential');
  const grants = clientClass === 'general' ? generalGrants.ofKey(key) : NO_GRANTS;
  return device(d, clientClass, grants, [`ak:${keyId}`]);
}

async function deviceCredential(
  reg: RegistryRead,
  d: DeviceIdentity,
  keyId: string,
  pass: string,
): Promise<Principal & { kind: 'device' }> {
  const cred = await reg.deviceCredential(keyId);
  if (!cred || !same(pass, hmacB64(cred.secret, d.clientId)))
    throw new ConnectRefused(4, 'bad device credential');
  if (cred.clientId !== d.clientId)
    throw new ConnectRefused(5, 'device credential bound to another Client ID');
  return device(d, 'ap', NO_GRANTS, [`dc:${keyId}`]);
}

/** `R|<token>`, `W|<token>` or both joined by `|` (ap-protocol.md). */
async function token(
  reg: RegistryRead,
  d: DeviceIdentity,
  keyId: string,
  pass: string,
  clientClass: ClientClass,
): Promise<Principal & { kind: 'device' }> {
  const f = pass.split('|');
  if (f.length !== 2 && f.length !== 4) throw new ConnectRefused(4, 'malformed token password');
  const key = await reg.accessKey(keyId);
  if (!key) throw new ConnectRefused(4, 'unknown AccessKey');
  if (key.groupIds && !key.groupIds.includes(d.groupId))
    throw new ConnectRefused(5, 'AccessKey not valid for this Group ID');
  const p = {
    ...device(d, clientClass, { publish: [], subscribe: [] }, [`ak:${keyId}`]),
    expiresAt: Infinity,
  };
  p.read = p.write = false;
  for (let i = 0; i < f.length; i += 2) {
    const perm = f[i];
    if (perm !== 'R' && perm !== 'W') throw new ConnectRefused(4, 'malformed token password');
    const t = await reg.token(f[i + 1]);
    if (!t || t.accessKeyId !== keyId) throw new ConnectRefused(4, 'unknown or expired token');
    if (!t.perms.includes(perm)) throw new ConnectRefused(5, `token lacks ${perm}`);
    if (perm === 'R') p.read = true;
    else p.write = true;
    if (clientClass === 'general') p.grants[perm === 'R' ? 'subscribe' : 'publish'].push(...t.topics);
    p.expiresAt = Math.min(p.expiresAt ?? Infinity, t.expiresAt);
    p.refs.push(`tok:${t.id}`);
  }
  return p;
}

/** A will is a publish on the client's behalf: only its own status topic, and only when the parent is registered. */
function checkWill(ctx: BrokerContext, client: Client, d: DeviceIdentity) {
  const will = (client as unknown as { _will?: { topic: string; payload: Buffer } | null })._will;
  if (!will) return;
  const parent = will.topic.split('/')[0];
  if (!ctx.registry.hasParentTopic(parent) || will.topic !== topicsFor(parent, d).status) {
    throw new ConnectRefused(5, 'will topic not allowed');
  }
  if (will.payload.length > ctx.opts.maxPayloadBytes) throw new ConnectRefused(5, 'will payload too large');
}
