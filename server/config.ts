// The one place that reads process.env. Parsed once with zod, then frozen.
// Every variable is listed in the README's configuration table; keep them in step.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * The package's folder (where package.json, views/, public/ and migrations/ are), found by
 * walking up from this file: server/ when run from source, dist/server/ when compiled.
 */
export const PROJECT_ROOT = packageRoot(path.dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

const ROLES = ['web', 'broker', 'worker'] as const;
export type Role = (typeof ROLES)[number];

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''])
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

// A port of 0 turns the listener off (MQTT) or asks the OS for a free one (HTTP in tests).
const port = z.coerce.number().int().min(0).max(65535);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ROLES: z
    .string()
    .default('web,broker,worker')
    .transform((s) =>
      s
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(ROLES)).min(1)),
  DATA_DIR: z.string().default(path.join(PROJECT_ROOT, '.data')),
  MYSQL_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  // Prefix of every Redis key the platform writes (BullMQ queues, sessions, throttles); tests use a unique one.
  REDIS_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9_:-]{1,64}$/)
    .default('esl'),
  HTTP_HOST: z.string().default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  PUBLIC_URL: z.string().url().optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(8 * 3600),
  COOKIE_SECURE: bool.default(false),
  ADMIN_USERNAME: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{3,64}$/)
    .default('admin'),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  LOGIN_MAX_ATTEMPTS: z.coerce.number().int().positive().default(5),
  LOGIN_WINDOW_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(15 * 60),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  DEMO: bool.default(true),
  DEMO_APS: z.coerce.number().int().min(0).default(3),
  DEMO_LABELS_PER_AP: z.coerce.number().int().min(1).default(20),

  INSTANCE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{3,64}$/)
    .optional(),
  MQTT_HOST: z.string().default('0.0.0.0'),
  MQTT_PUBLIC_HOST: z.string().default('localhost'),
  MQTT_TCP_PORT: port.default(1883),
  MQTT_TLS_PORT: port.default(8883),
  MQTT_WS_PORT: port.default(8083),
  MQTT_WSS_PORT: port.default(8084),
  MQTT_TLS_CERT_FILE: z.string().optional(),
  MQTT_TLS_KEY_FILE: z.string().optional(),
  MQTT_PARENT_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,32}$/)
    .default('esl'),
  MQTT_MAX_KEEPALIVE_SECONDS: z.coerce.number().int().positive().max(65535).default(300),
  MQTT_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  // The product's limits: message bodies up to 64 KB, 30 subscriptions per client.
  MQTT_MAX_PAYLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(64 * 1024),
  MQTT_MAX_SUBSCRIPTIONS: z.coerce.number().int().positive().default(30),
  MQTT_OFFLINE_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(3 * 24 * 3600),
  MQTT_CLUSTER: bool.default(true),
  MQTT_URL: z.string().url().optional(),
  PLATFORM_MQTT_SECRET: z.string().min(16).optional(),
  // MQTT_*_PORT=0 turns a listener off, unless MQTT_EPHEMERAL_PORTS is on: then 0 asks the OS
  // for a free port (tests), and the broker reports the ports it bound (BrokerService.ports,
  // and the 'broker listening' log line).
  MQTT_EPHEMERAL_PORTS: bool.default(false),
  // This node's name in connection events and the presence registry; default: hostname-pid.
  MQTT_NODE_ID: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]{1,64}$/)
    .optional(),
  // 32 bytes, base64: seals AccessKey and device secrets in MySQL (AES-256-GCM). Every broker
  // node and web node needs the same key; default: DATA_DIR/broker/secret.key, made at first start.
  MQTT_SECRET_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes, base64')
    .optional(),
  // aedes' node heartbeat; its sweep for the wills of dead nodes runs every 4 heartbeats.
  MQTT_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  // aedes' drainTimeout: a connection whose write buffer, once full, has not emptied within this
  // long is closed, so the broker holds at most this long's publishes for a client that stopped
  // reading (Node's setTimeout fires at once above 2^31-1 ms)
  MQTT_DRAIN_TIMEOUT_MS: z.coerce.number().int().min(1000).max(2_147_483_647).default(60_000),
  // A connection with more than this many bytes written to it and not yet taken by its client is
  // closed, checked once per event-loop turn (a turn's own writes leave together first): the
  // bound in bytes beside the drain timeout's bound in time. Readers that keep up stay far below
  // it (up to 16 MB behind in bench:broker's fan-out rows at 100,000-300,000 deliveries/s).
  MQTT_MAX_UNSENT_BYTES: z.coerce
    .number()
    .int()
    .min(1_048_576)
    .default(64 * 1024 * 1024),
  // A packet over this closes the connection before its body is read; a publish over
  // MQTT_MAX_PAYLOAD_BYTES but within it is dropped and the connection stays.
  MQTT_MAX_PACKET_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
  // CONNECT attempts per AccessKey (or device credential) and per client IP, a token bucket in
  // each broker node's memory (broker/connect-limits.ts): RATE per second refills, BURST is the
  // bucket's size; 0 turns a limit off. Over the limit: CONNACK 3 (server unavailable; retry).
  // Defaults: 10,000 APs of one key reconnect within 30 s on one node (1,000 + 29 x 500 > 10,000).
  MQTT_CONNECT_RATE_PER_KEY: z.coerce.number().min(0).default(500),
  MQTT_CONNECT_BURST_PER_KEY: z.coerce.number().int().min(1).default(1000),
  MQTT_CONNECT_RATE_PER_IP: z.coerce.number().min(0).default(500),
  MQTT_CONNECT_BURST_PER_IP: z.coerce.number().int().min(1).default(1000),
  // Refused CONNECTs, rate-limit trips and revoked-credential use are audited as one record per
  // key or IP per this period, not one per attempt.
  MQTT_CONNECT_SUMMARY_SECONDS: z.coerce.number().int().min(1).default(60),
  // How long the connection history (ap_connection_events, ap_connection_churn) is kept.
  CONNECTION_HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),

  TASK_ITEMS_PER_MESSAGE: z.coerce.number().int().min(1).max(500).default(100),
  TASK_GROUP_INFLIGHT: z.coerce.number().int().min(1).default(20),
  TASK_DISPATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  TASK_DEFAULT_DEADLINE_SECONDS: z.coerce.number().int().positive().default(1800),
  TASK_RETRY_BASE_MS: z.coerce.number().int().positive().default(15_000),
  // An explicit `failed` ack is retried after this (doubling with each attempt), not after the
  // silence schedule above: the AP answered, so there is no reason to wait as for a lost message.
  TASK_FAILED_RETRY_MS: z.coerce.number().int().positive().default(2000),
  // How often a worker evaluates the alert rules (server/alerts).
  ALERT_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),

  SLS_ENDPOINT: z.string().url().optional(),
  SLS_PROJECT: z.string().optional(),
  SLS_LOGSTORE: z.string().optional(),
  SLS_ACCESS_KEY_ID: z.string().optional(),
  SLS_ACCESS_KEY_SECRET: z.string().optional(),
  AUDIT_SHIP_BATCH: z.coerce.number().int().min(1).max(4096).default(500),
  AUDIT_SHIP_INTERVAL_MS: z.coerce.number().int().positive().default(1000),

  // The language of a visitor who has not chosen one and whose browser asks for none we
  // have; the time zone of times on pages that are not bound to a store, for users without their own.
  DEFAULT_LOCALE: z.enum(['zh-CN', 'en']).default('zh-CN'),
  DEFAULT_TIME_ZONE: z
    .string()
    .default('Asia/Shanghai')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai'),
  // Label commands (server/commands): an AP's ack is awaited this long before a command times
  // out; how often the worker sweeps (sends what was left queued, times out what was not acked).
  LABEL_COMMAND_ACK_SECONDS: z.coerce.number().int().min(1).max(3600).default(20),
  LABEL_COMMAND_SWEEP_MS: z.coerce.number().int().min(50).default(1000),
  // A regular price moving by more than this percentage from the price in force needs an explicit
  // confirmation (as do a price of 0 and a promotion not below the regular price).
  PRICE_CONFIRM_CHANGE_PERCENT: z.coerce.number().min(0).max(100_000).default(50),
  // How often the worker looks for due price schedules and promotion ends.
  CATALOG_SCHEDULE_INTERVAL_MS: z.coerce.number().int().min(50).default(5000),
  // The SDK sends to `<SLS_PROJECT>.<endpoint host>`; SLS_CONNECT_ADDRESS connects that name to
  // this IP instead of resolving it (a private endpoint without DNS, or the test suite's
  // loopback SLS); TLS still checks the name.
  SLS_CONNECT_ADDRESS: z.union([z.ipv4(), z.ipv6()]).optional(),
  SLS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  // The shipper retries a failed batch after AUDIT_SHIP_INTERVAL_MS, doubling up to this cap.
  AUDIT_SHIP_BACKOFF_MAX_MS: z.coerce.number().int().positive().default(60_000),
  // [render] how often the worker looks for new tasks to render, and labels per batch.
  RENDER_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  RENDER_BATCH: z.coerce.number().int().min(1).max(2000).default(200),
  // [render] the worker renders every task's items, not only those bound for image-capable APs.
  RENDER_ALL_TASKS: bool.default(false),

  // Webhooks (server/webhooks): one delivery's attempts, their timeout and the first retry
  // delay (doubling each time), failed attempts in a row that pause an endpoint, the outbox
  // relay's poll, and deliveries sent at once per worker process.
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(8),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(5_000),
  WEBHOOK_PAUSE_AFTER_FAILURES: z.coerce.number().int().min(1).default(20),
  WEBHOOK_RELAY_INTERVAL_MS: z.coerce.number().int().min(20).default(1000),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  // Finished deliveries (with their attempts) and their events are deleted after this many days.
  WEBHOOK_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
  // May endpoints be on loopback, private, link-local or other non-public addresses? Default:
  // yes unless NODE_ENV=production (a production platform refuses them: SSRF).
  WEBHOOK_ALLOW_PRIVATE: bool.optional(),
});

export type Env = z.infer<typeof schema>;

export interface SlsConfig {
  endpoint: string;
  project: string;
  logstore: string;
  accessKeyId: string;
  accessKeySecret: string;
}

export type Config = Readonly<
  Omit<Env, 'WEBHOOK_ALLOW_PRIVATE'> & {
    WEBHOOK_ALLOW_PRIVATE: boolean;
    embedded: boolean;
    sls: SlsConfig | null;
  }
>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/** Parses an environment (process.env by default) into a frozen Config, or throws naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const slsVars = [
    e.SLS_ENDPOINT,
    e.SLS_PROJECT,
    e.SLS_LOGSTORE,
    e.SLS_ACCESS_KEY_ID,
    e.SLS_ACCESS_KEY_SECRET,
  ];
  const slsSet = slsVars.filter((v) => v !== undefined && v !== '').length;
  if (slsSet > 0 && slsSet < slsVars.length) {
    throw new ConfigError(
      'invalid configuration:\n  SLS_*: set all of SLS_ENDPOINT, SLS_PROJECT, SLS_LOGSTORE, SLS_ACCESS_KEY_ID, SLS_ACCESS_KEY_SECRET, or none',
    );
  }
  if (e.NODE_ENV === 'production' && (!e.MYSQL_URL || !e.REDIS_URL || !e.SESSION_SECRET)) {
    throw new ConfigError(
      'invalid configuration:\n  MYSQL_URL, REDIS_URL, SESSION_SECRET: required when NODE_ENV=production',
    );
  }
  if (e.MQTT_MAX_PACKET_BYTES < e.MQTT_MAX_PAYLOAD_BYTES + 1024) {
    throw new ConfigError(
      'invalid configuration:\n  MQTT_MAX_PACKET_BYTES: must be at least MQTT_MAX_PAYLOAD_BYTES + 1024',
    );
  }
  if (e.MQTT_TLS_CERT_FILE && !e.MQTT_TLS_KEY_FILE) {
    throw new ConfigError('invalid configuration:\n  MQTT_TLS_KEY_FILE: required with MQTT_TLS_CERT_FILE');
  }
  return deepFreeze({
    ...e,
    embedded: !e.MYSQL_URL || !e.REDIS_URL,
    WEBHOOK_ALLOW_PRIVATE: e.WEBHOOK_ALLOW_PRIVATE ?? e.NODE_ENV !== 'production',
    sls:
      slsSet === slsVars.length
        ? {
            endpoint: e.SLS_ENDPOINT!,
            project: e.SLS_PROJECT!,
            logstore: e.SLS_LOGSTORE!,
            accessKeyId: e.SLS_ACCESS_KEY_ID!,
            accessKeySecret: e.SLS_ACCESS_KEY_SECRET!,
          }
        : null,
  });
}
