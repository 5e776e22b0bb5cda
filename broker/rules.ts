// The seed's naming rules (Client ID, Group ID, topics), as pure functions.
// Specified in docs/ap-protocol.md and docs/glossary.md. The broker knows nothing of prices.

/** Group ID: `GID_` or `GID-`, 7-64 characters of letters, digits, `-`, `_`. */
export const GROUP_ID_RE = /^GID[_-][a-zA-Z0-9_-]{3,60}$/;
/** Device ID: chosen by the business (serial, MAC); letters, digits, `-`, `_`. */
export const DEVICE_ID_RE = /^[a-zA-Z0-9_-]{1,64}$/;
/** Parent topic: the first topic level, registered by an admin. */
export const PARENT_TOPIC_RE = /^[a-zA-Z0-9_-]{1,32}$/;
/** The platform's own MQTT clients (the split-deployment downlink). Never a device's shape. */
export const PLATFORM_CLIENT_RE = /^platform-[a-zA-Z0-9_-]{1,55}$/;
/** Server-side applications' Client IDs (`app-…`). Never a device's shape, never the platform's. */
export const APP_CLIENT_RE = /^app-[a-zA-Z0-9_-]{1,60}$/;
/** An application's id, as issued (`APP…`), or the built-in `platform`. */
export const APP_ID_RE = /^[A-Za-z0-9]{3,32}$/;

/** What a token may do on its topics: read (subscribe), write (publish), or both. */
export const TOKEN_PERMS = ['R', 'W', 'RW'] as const;
export type TokenPerms = (typeof TOKEN_PERMS)[number];

export const CLIENT_ID_MAX = 64;
export const TOPIC_MAX = 64;
export const SEPARATOR = '@@@';

export interface DeviceIdentity {
  clientId: string;
  groupId: string;
  deviceId: string;
}

/** `<GroupID>@@@<DeviceID>`, at most 64 characters; null when malformed. */
export function parseClientId(clientId: string): DeviceIdentity | null {
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > CLIENT_ID_MAX) return null;
  const i = clientId.indexOf(SEPARATOR);
  if (i < 0) return null;
  const groupId = clientId.slice(0, i);
  const deviceId = clientId.slice(i + SEPARATOR.length);
  if (!GROUP_ID_RE.test(groupId) || !DEVICE_ID_RE.test(deviceId)) return null;
  return { clientId, groupId, deviceId };
}

export type TopicKind = 'task' | 'p2p' | 'ack' | 'status';

export interface ParsedTopic {
  parent: string;
  kind: TopicKind | null;
  /** The levels after `<parent>/<kind>/` */
  rest: string[];
}

/** Splits a topic name or filter; null when it breaks the seed's length rule or has no parent level. */
export function parseTopic(topic: string): ParsedTopic | null {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > TOPIC_MAX) return null;
  const levels = topic.split('/');
  const parent = levels[0];
  if (!PARENT_TOPIC_RE.test(parent)) return null;
  const k = levels[1];
  const kind = k === 'task' || k === 'p2p' || k === 'ack' || k === 'status' ? k : null;
  return { parent, kind, rest: levels.slice(2) };
}

/** Topic names a device may use, exactly the rows of ap-protocol.md. */
export const topicsFor = (parent: string, d: DeviceIdentity) => ({
  task: `${parent}/task/${d.groupId}`,
  ack: `${parent}/ack/${d.groupId}/${d.deviceId}`,
  status: `${parent}/status/${d.groupId}/${d.deviceId}`,
  p2p: `${parent}/p2p/${d.clientId}`,
});
