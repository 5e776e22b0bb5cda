// The two client classes besides the device contract's AP rules: 'general' clients of a
// Group ID (what their credential's grants allow, permissions.ts) and server-side applications
// (the counterpart of the seed's server SDK: they publish task and P2P messages and subscribe to
// uplink topics, like the platform's own identity, which is the application 'platform').
import crypto from 'node:crypto';
import type { Client } from 'aedes';
import type { BrokerContext } from './broker-context.js';
import { ConnectRefused } from './hooks/types.js';
import { grantsOf, mayPublish, maySubscribe, NO_GRANTS, type Grants } from './permissions.js';
import type { Principal } from './principal.js';
import type { AccessKey } from './registry/registry-view.js';
import { APP_ID_RE, GROUP_ID_RE, parseClientId, parseTopic } from './rules.js';

const hmac = (secret: string, data: string) =>
  crypto.createHmac('sha1', secret).update(data).digest('base64');
const same = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
};

export const generalGrants = {
  ofKey: (key: AccessKey): Grants => (key.policies.length ? grantsOf(key.policies) : NO_GRANTS),
};

/**
 * An application connects as `app-…` with user name `Application|<AppId>|<InstanceId>` and the
 * password Base64(HMAC-SHA1(AppSecret, ClientID)), like a Signature. A revoked or unknown one: 4.
 */
export async function applicationPrincipal(
  ctx: BrokerContext,
  client: Client,
  parts: string[],
  pass: string,
): Promise<Principal> {
  if (parts.length !== 3 || parts[0] !== 'Application' || !APP_ID_RE.test(parts[1]))
    throw new ConnectRefused(4, 'malformed application user name');
  const [, appId, instanceId] = parts;
  if (instanceId !== ctx.instanceId) throw new ConnectRefused(4, 'wrong InstanceId');
  const app = await (await ctx.registry.read()).application(appId);
  if (!app || !same(pass, hmac(app.secret, client.id)))
    throw new ConnectRefused(4, 'bad application signature');
  if ((client as unknown as { _will?: object | null })._will)
    throw new ConnectRefused(5, 'an application has no will');
  return { kind: 'app', appId, clientId: client.id, refs: [`app:${appId}`] };
}

/** What an application (the platform included) publishes: a group's task topic, a client's P2P topic. */
export function appMayPublish(topic: string): boolean {
  const t = parseTopic(topic);
  return (
    t !== null &&
    ((t.kind === 'task' && t.rest.length === 1 && GROUP_ID_RE.test(t.rest[0])) ||
      (t.kind === 'p2p' && t.rest.length === 1 && parseClientId(t.rest[0]) !== null))
  );
}

/** A general client's will is a publish on its behalf: only on a topic it may publish, under a registered parent. */
export function checkGeneralWill(ctx: BrokerContext, client: Client, grants: Grants) {
  const will = (client as unknown as { _will?: { topic: string; payload: Buffer } | null })._will;
  if (!will) return;
  if (!ctx.registry.hasParentTopic(will.topic.split('/')[0]) || !mayPublish(grants, will.topic))
    throw new ConnectRefused(5, 'will topic not allowed');
  if (will.payload.length > ctx.opts.maxPayloadBytes) throw new ConnectRefused(5, 'will payload too large');
}

type Device = Principal & { kind: 'device' };

const expired = (p: Device) => p.expiresAt !== null && p.expiresAt <= Date.now();

/** Why a general client's publish is dropped, or null when it may publish there. */
export function generalPublishRefusal(ctx: BrokerContext, p: Device, topic: string): string | null {
  if (!p.write) return 'token without W';
  if (expired(p)) return 'token expired';
  const t = parseTopic(topic);
  if (!t) return 'topic malformed, over 64 characters or not under a parent topic';
  if (!ctx.registry.hasParentTopic(t.parent)) return 'unknown parent topic';
  if (!mayPublish(p.grants, topic)) return "outside the credential's publish permissions";
  return null;
}

/** Why a general client's subscription is refused (0x80), or null. The caller checked the parent topic. */
export function generalSubscribeRefusal(p: Device, filter: string): string | null {
  if (!p.read) return 'token without R';
  if (expired(p)) return 'token expired';
  if (filter.split('/')[1] === 'p2p') return 'P2P topics are delivered without a subscription';
  if (!maySubscribe(p.grants, filter)) return "outside the credential's subscribe permissions";
  return null;
}

interface Parser {
  _queue: { cmd: string; subscriptions?: { qos: number }[] }[] | null;
  prependListener(e: 'packet', fn: (p: { cmd: string; subscriptions?: { qos: number }[] }) => void): void;
}

/**
 * The seed's QoS x cleanSession table has no QoS 2 for a persistent session ("not supported").
 * For a general client with cleanSession=false a QoS 2 subscription is granted QoS 1 (MQTT 3.1.1
 * lets the server grant less, section 3.9.3), so SUBACK says what the client will get and its
 * offline messages are kept, as the table's QoS 1 row promises. Applied to each SUBSCRIBE before
 * aedes reads it, those already queued behind the CONNECT included.
 */
export function holdPersistentQos(client: Client) {
  const parser = (client as unknown as { _parser: Parser })._parser;
  const clamp = (pk: { cmd: string; subscriptions?: { qos: number }[] }) => {
    if (pk.cmd === 'subscribe') for (const s of pk.subscriptions ?? []) if (s.qos > 1) s.qos = 1;
  };
  for (const pk of parser._queue ?? []) clamp(pk);
  parser.prependListener('packet', clamp);
}
