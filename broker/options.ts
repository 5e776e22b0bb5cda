// The broker's options: one object, built from the config once. The broker reads no env, and
// has no defaults of its own: every value, and its default, comes from server/config.ts.
import os from 'node:os';
import type { AppContext } from '../server/core/context.js';

type Config = AppContext['config'];

export interface ListenerPorts {
  /** null = off, 0 = ephemeral (tests), else the port */
  tcp: number | null;
  tls: number | null;
  ws: number | null;
  wss: number | null;
}

export interface BrokerOptions {
  host: string;
  publicHost: string;
  ports: ListenerPorts;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  dataDir: string;
  redisUrl: string;
  redisPrefix: string;
  /** Redis-backed persistence and emitter (a cluster); false = in memory, one node. */
  cluster: boolean;
  nodeId: string;
  instanceId?: string;
  defaultParentTopic: string;
  maxKeepaliveSeconds: number;
  connectTimeoutMs: number;
  maxPayloadBytes: number;
  /** hard bound: a larger packet closes the connection before its body is read */
  maxPacketBytes: number;
  /** aedes' heartbeat; the will sweep runs every 4 of them */
  heartbeatIntervalMs: number;
  /** a connection whose write buffer, once full, has not emptied within this long is closed (aedes' drainTimeout) */
  drainTimeoutMs: number;
  /** a connection with more unsent bytes than this after a turn's writes is closed */
  maxUnsentBytes: number;
  maxSubscriptions: number;
  offlineRetentionSeconds: number;
  platformSecret?: string;
  secretKey?: string;
  /** CONNECT token buckets (broker/connect-limits.ts); rate 0 = off */
  connectLimits: {
    perKey: { ratePerSecond: number; burst: number };
    perIp: { ratePerSecond: number; burst: number };
  };
  /** refused CONNECTs and rate-limit trips are summarised per key/IP over this period */
  connectSummarySeconds: number;
}

export function brokerOptionsFrom(config: Config, redisUrl: string): BrokerOptions {
  const port = (p: number) => (p === 0 && !config.MQTT_EPHEMERAL_PORTS ? null : p);
  return {
    host: config.MQTT_HOST,
    publicHost: config.MQTT_PUBLIC_HOST,
    ports: {
      tcp: port(config.MQTT_TCP_PORT),
      tls: port(config.MQTT_TLS_PORT),
      ws: port(config.MQTT_WS_PORT),
      wss: port(config.MQTT_WSS_PORT),
    },
    tlsCertFile: config.MQTT_TLS_CERT_FILE,
    tlsKeyFile: config.MQTT_TLS_KEY_FILE,
    dataDir: config.DATA_DIR,
    redisUrl,
    redisPrefix: config.REDIS_PREFIX,
    cluster: config.MQTT_CLUSTER,
    nodeId:
      config.MQTT_NODE_ID ??
      `${os
        .hostname()
        .replace(/[^a-zA-Z0-9_.-]/g, '-')
        .slice(0, 40)}-${process.pid}`,
    instanceId: config.INSTANCE_ID,
    defaultParentTopic: config.MQTT_PARENT_TOPIC,
    maxKeepaliveSeconds: config.MQTT_MAX_KEEPALIVE_SECONDS,
    connectTimeoutMs: config.MQTT_CONNECT_TIMEOUT_MS,
    maxPayloadBytes: config.MQTT_MAX_PAYLOAD_BYTES,
    maxPacketBytes: config.MQTT_MAX_PACKET_BYTES,
    heartbeatIntervalMs: config.MQTT_HEARTBEAT_INTERVAL_MS,
    drainTimeoutMs: config.MQTT_DRAIN_TIMEOUT_MS,
    maxUnsentBytes: config.MQTT_MAX_UNSENT_BYTES,
    maxSubscriptions: config.MQTT_MAX_SUBSCRIPTIONS,
    offlineRetentionSeconds: config.MQTT_OFFLINE_RETENTION_SECONDS,
    platformSecret: config.PLATFORM_MQTT_SECRET,
    secretKey: config.MQTT_SECRET_KEY,
    connectLimits: {
      perKey: { ratePerSecond: config.MQTT_CONNECT_RATE_PER_KEY, burst: config.MQTT_CONNECT_BURST_PER_KEY },
      perIp: { ratePerSecond: config.MQTT_CONNECT_RATE_PER_IP, burst: config.MQTT_CONNECT_BURST_PER_IP },
    },
    connectSummarySeconds: config.MQTT_CONNECT_SUMMARY_SECONDS,
  };
}
