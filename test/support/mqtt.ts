// Broker test fixtures: a platform with the broker on ephemeral ports, a registry to create
// Group IDs and credentials with, and mqtt.js clients that sign like a real AP.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { BrokerService, hmacB64, SecretBox } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { RegistryService } from '../../server/registry/registry-service.js';
import { startTestPlatform, type TestPlatform } from './platform.js';
import { uid } from './env.js';

export interface BrokerFixture {
  platform: TestPlatform;
  broker: BrokerService;
  registry: RegistryService;
  /** The parent topic registered at first start (unique per fixture). */
  parent: string;
  url: (t?: 'tcp' | 'tls' | 'ws' | 'wss') => string;
  /** A registered Group ID and an AccessKey for it. */
  newGroup(): Promise<{ groupId: string; accessKeyId: string; secret: string }>;
  close(): Promise<void>;
}

/** A registry over a platform's own pool and Redis, with its key prefix and secret key. */
export function platformRegistry(platform: TestPlatform): RegistryService {
  const c = platform.config;
  return new RegistryService(
    platform.ctx.pool,
    platform.ctx.redis,
    c.REDIS_PREFIX,
    SecretBox.load(c.MQTT_SECRET_KEY, c.DATA_DIR),
    platform.ctx.log,
  );
}

/** A new Group ID in the registry and an AccessKey for it. */
export async function newGroup(
  registry: RegistryService,
): Promise<{ groupId: string; accessKeyId: string; secret: string }> {
  const groupId = `GID_${uid(4)}`;
  await registry.createGroup(SYSTEM_ACTOR, { groupId });
  const k = await registry.issueAccessKey(SYSTEM_ACTOR, { groupIds: [groupId] });
  return { groupId, accessKeyId: k.accessKeyId, secret: k.accessKeySecret };
}

export async function startBroker(env: Record<string, string> = {}): Promise<BrokerFixture> {
  const parent = `p${uid(4)}`;
  const platform = await startTestPlatform({ MQTT_EPHEMERAL_PORTS: '1', MQTT_PARENT_TOPIC: parent, ...env });
  const broker = platform.services.find((s) => s.name === 'broker') as BrokerService;
  const registry = platformRegistry(platform);
  const scheme = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' } as const;
  return {
    platform,
    broker,
    registry,
    parent,
    url: (t = 'tcp') =>
      `${scheme[t]}://127.0.0.1:${broker.ports[t]}${t === 'ws' || t === 'wss' ? '/mqtt' : ''}`,
    newGroup: () => newGroup(registry),
    close: () => platform.close(),
  };
}

export interface ConnectResult {
  client: MqttClient | null;
  /** CONNACK return code; 0 = accepted */
  code: number;
}

/** Connects once (no reconnects) and reports the CONNACK code instead of throwing. */
export async function tryConnect(url: string, opts: IClientOptions): Promise<ConnectResult> {
  const client = mqtt.connect(url, {
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    protocolVersion: 4,
    rejectUnauthorized: false,
    ...opts,
  });
  // Collect from the start: mqtt.js emits a message that came in the same read as CONNACK
  // (offline messages, kept P2P: likely on a busy machine) before the caller's `await` resumes,
  // so a listener added after connecting would miss it.
  record(client);
  return new Promise((resolve) => {
    client.once('connect', () => resolve({ client, code: 0 }));
    client.once('error', (err: Error & { code?: number }) => {
      client.end(true);
      resolve({ client: null, code: typeof err.code === 'number' ? err.code : -1 });
    });
    client.once('close', () => resolve({ client: null, code: -1 }));
  });
}

/** Signature auth for `<groupId>@@@<deviceId>` (ap-protocol.md). */
export function signed(
  f: BrokerFixture,
  g: { groupId: string; accessKeyId: string; secret: string },
  deviceId = `D${uid(4)}`,
  extra: IClientOptions = {},
): IClientOptions {
  const clientId = `${g.groupId}@@@${deviceId}`;
  return {
    clientId,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
    ...extra,
  };
}

export async function connectDevice(
  f: BrokerFixture,
  g: { groupId: string; accessKeyId: string; secret: string },
  deviceId?: string,
  extra: IClientOptions = {},
) {
  const r = await tryConnect(f.url(), signed(f, g, deviceId, extra));
  if (!r.client) throw new Error(`connect refused: ${r.code}`);
  return r.client;
}

type Received = { topic: string; payload: string; qos: number }[];
const received = new WeakMap<MqttClient, Received>();

function record(c: MqttClient): Received {
  const got: Received = [];
  c.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), qos: packet.qos }),
  );
  received.set(c, got);
  return got;
}

/** The messages a client receives; for a client made by tryConnect, every one since it connected. */
export function inbox(c: MqttClient): Received {
  return received.get(c) ?? record(c);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the socket is closed by the broker. */
export function closed(c: MqttClient, ms = 30_000) {
  return new Promise<void>((resolve, reject) => {
    if (c.disconnected || !c.connected) return resolve();
    const t = setTimeout(() => reject(new Error('client not closed')), ms);
    c.once('close', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** SUBSCRIBEs and returns SUBACK's granted codes as sent (mqtt.js turns 0x80 into an error). */
export function grants(c: MqttClient, topics: string[], qos: 0 | 1 | 2 = 1): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no SUBACK')), 30_000);
    const onPacket = (p: { cmd: string; granted?: unknown }) => {
      if (p.cmd !== 'suback') return;
      clearTimeout(t);
      c.off('packetreceive', onPacket as never);
      resolve((p.granted as number[] | undefined) ?? []);
    };
    c.on('packetreceive', onPacket as never);
    c.subscribe(Object.fromEntries(topics.map((x) => [x, { qos }])), () => {});
  });
}
