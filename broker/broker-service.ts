// The integrated broker as a platform Service: aedes with the seed's hooks, Redis persistence
// and emitter, the four listeners, presence, P2P and connection events.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Aedes } from 'aedes';
import type { Redis } from 'ioredis';
import type { Service } from '../server/core/lifecycle.js';
import type { Logger } from '../server/core/logger.js';
import { createRedis, redisErrorLogger } from '../server/core/redis.js';
import { errorLogger } from '../server/core/throttle.js';
import type { Pool } from '../server/db/pool.js';
import type { BrokerContext } from './broker-context.js';
import { guardConnect } from './connect-guard.js';
import { ConnectLimits } from './connect-limits.js';
import { ConnectOps } from './connect-ops.js';
import { ownQos1Outgoing, sessionKeyParts, type OutgoingStore } from './qos1-outgoing.js';
import { ConnectSummaries } from './connect-summaries.js';
import type { DownlinkPublisher } from './downlink.js';
import { EventQueues } from './event-queues.js';
import { authenticateHook } from './hooks/authenticate.js';
import { authorizeForwardHook } from './hooks/authorize-forward.js';
import { authorizePublishHook } from './hooks/authorize-publish.js';
import { authorizeSubscribeHook } from './hooks/authorize-subscribe.js';
import { preConnectHook } from './hooks/pre-connect.js';
import { publishedHook } from './hooks/published.js';
import { Listeners, WS_PATH, type Transport } from './listeners.js';
import { clientNotices } from './local-emitter.js';
import { NodeLiveness } from './node-liveness.js';
import type { BrokerOptions } from './options.js';
import { P2pStore } from './p2p-store.js';
import type { Peers } from './peers.js';
import {
  cleanSessionShortcuts,
  createStores,
  onlyQos1Offline,
  sessionKeyPrefix,
  storeGrantedOnce,
  type BrokerStores,
} from './persistence.js';
import { Presence, type PresenceEntry } from './presence.js';
import { parseClientId } from './rules.js';
import { parseRegistryChange, registryChannel, registryVersionKey } from './registry-channel.js';
import { ensureInstanceId, setInstanceId } from './registry/instance-repo.js';
import { RegistryView } from './registry/registry-view.js';
import { usePlainParserBuffers } from './parser-buffers.js';
import { SecretBox } from './registry/secret-box.js';
import { Sessions } from './sessions.js';
import { loadTls } from './tls.js';

export interface ServerUrl {
  transport: Transport;
  url: string;
}

export class BrokerService implements Service, DownlinkPublisher {
  readonly name = 'broker';
  private aedes: Aedes | null = null;
  private listeners: Listeners | null = null;
  private redis: Redis | null = null;
  private opsRedis: Redis | null = null;
  private sub: Redis | null = null;
  private stores: BrokerStores = {};
  private ctx: BrokerContext | null = null;
  private summaries: ConnectSummaries | null = null;
  sessions: Sessions | null = null;

  constructor(
    readonly opts: BrokerOptions,
    private readonly pool: Pool,
    private readonly log: Logger,
  ) {}

  async start() {
    const { opts } = this;
    const box = SecretBox.load(opts.secretKey, opts.dataDir);
    const instanceId = opts.instanceId
      ? (await setInstanceId(this.pool, opts.instanceId), opts.instanceId)
      : await ensureInstanceId(this.pool, `mqtt-${crypto.randomBytes(6).toString('hex')}`);
    // auto-pipelining: heartbeats, liveness pings and node-heartbeat checks of concurrent work share socket writes
    this.redis = createRedis(opts.redisUrl, this.log, { enableAutoPipelining: true });
    // the CONNECTs' and disconnects' own operations (registry version, clean-session probe,
    // presence claim, lookup and release, P2P take and keep): batched, in order, on a connection of their own
    this.opsRedis = createRedis(opts.redisUrl, this.log);
    const ops = new ConnectOps(this.opsRedis, {
      sessions: sessionKeyParts(sessionKeyPrefix(opts.redisPrefix)),
    });
    this.ops = ops;
    const registry = new RegistryView(this.pool, box, { ops, key: registryVersionKey(opts.redisPrefix) });
    await registry.refreshParentTopics();

    const presence = new Presence(this.redis, opts.redisPrefix, opts.nodeId, undefined, ops);
    const leftOver = await presence.start();
    const ctx: BrokerContext = {
      opts,
      log: this.log.child({ component: 'broker', node: opts.nodeId }),
      registry,
      presence,
      queues: new EventQueues(opts.redisUrl, opts.redisPrefix, opts.nodeId, this.log),
      p2p: new P2pStore(ops, opts.redisPrefix, opts.offlineRetentionSeconds),
      instanceId,
      platformSecret: loadPlatformSecret(opts.platformSecret, opts.dataDir),
    };
    this.ctx = ctx;
    ctx.liveness = new NodeLiveness(this.redis, opts.redisUrl, opts.redisPrefix, opts.nodeId, ctx.log);
    await ctx.liveness.start();
    this.summaries = new ConnectSummaries(ctx.queues, ctx.log, opts.nodeId, opts.connectSummarySeconds);
    this.summaries.start();
    // Clients that were connected when this node's previous run died: they are gone now.
    // Added together, so they leave in a few batched jobs rather than one 20 ms batch each.
    const at = new Date().toISOString();
    await Promise.all(
      leftOver.flatMap(({ clientId, entry }) => {
        const id = parseClientId(clientId);
        return id
          ? [
              ctx.queues.addConnectionEvent({
                type: 'disconnect',
                clientId,
                groupId: id.groupId,
                deviceId: id.deviceId,
                ip: entry.ip,
                at,
                brokerNode: opts.nodeId,
                reason: 'lost',
              }),
            ]
          : [];
      }),
    );
    if (leftOver.length)
      ctx.log.warn({ clients: leftOver.length }, "clients of this node's previous run recorded as lost");

    if (opts.cluster) {
      this.stores = createStores(
        opts.redisUrl,
        opts.redisPrefix,
        opts.nodeId,
        opts.offlineRetentionSeconds,
        redisErrorLogger(ctx.log, 'broker Redis connection error; reconnecting'),
      );
      // before the subscriptions are loaded (aedes.listen) and any client is taken: the other
      // nodes know of this one from now on (peers.ts)
      const peers = this.stores.peers!;
      peers.onChange = (alone) =>
        ctx.log.info(
          { node: peers.node },
          alone
            ? 'broker node alone in its cluster: publishes stay on this node'
            : 'broker node has peers: publishes go through Redis',
        );
      await peers.start();
    }
    let sessions: Sessions | null = null;
    let shortcuts: ReturnType<typeof cleanSessionShortcuts> | null = null;
    const authenticate = authenticateHook(ctx, (c) => sessions?.authenticated(c));
    if (!usePlainParserBuffers())
      ctx.log.warn('mqtt-packet parser not as expected: each connection keeps its packet bytes in a stream');
    const aedes = new Aedes({
      id: `${opts.nodeId}-${crypto.randomBytes(3).toString('hex')}`,
      mq: this.stores.mq,
      persistence: this.stores.persistence,
      connectTimeout: opts.connectTimeoutMs,
      heartbeatInterval: opts.heartbeatIntervalMs,
      // a client whose full write buffer has not emptied within this is closed, and its bytes freed
      drainTimeout: opts.drainTimeoutMs,
      // MQTT 3.1 (protocol level 3) caps Client IDs at 23; the seed allows 64.
      maxClientsIdLength: 64,
      preConnect: preConnectHook(ctx),
      authenticate: guardConnect(
        (client, username, password, done) => {
          // a clean session's Redis reads leave with the registry version GET of authentication
          shortcuts?.probe(client);
          authenticate(client, username, password, done);
        },
        { limits: new ConnectLimits(opts.connectLimits), summaries: this.summaries, pool: this.pool },
      ),
      authorizePublish: authorizePublishHook(ctx),
      authorizeSubscribe: authorizeSubscribeHook(ctx),
      authorizeForward: authorizeForwardHook(),
      published: publishedHook(ctx),
    });
    // aedes emits 'error' for a failure no client owns: its will sweep (every 4 heartbeats) when
    // the persistence's Redis is away, an offline enqueue that failed. Without a listener that is
    // an uncaught exception ending the process; the sweep runs again at the next tick.
    (aedes as unknown as NodeJS.EventEmitter).on(
      'error',
      errorLogger(ctx.log, 'broker store unavailable (will sweep, offline queue); carrying on'),
    );
    await aedes.listen();
    this.stores.peers?.watch(aedes as unknown as Parameters<Peers['watch']>[0], opts.heartbeatIntervalMs);
    const store = (
      aedes as unknown as {
        persistence: Parameters<typeof onlyQos1Offline>[0] &
          Parameters<typeof storeGrantedOnce>[0] &
          Parameters<typeof cleanSessionShortcuts>[0] &
          OutgoingStore;
      }
    ).persistence;
    onlyQos1Offline(store);
    storeGrantedOnce(store);
    if (opts.cluster) {
      // QoS 1 to persistent sessions: the message stored once, the batched operations (first:
      // cleanSessionShortcuts' empty queue must stay the array it returns)
      this.qos1 = ownQos1Outgoing(
        store,
        this.stores.conn!,
        ops,
        sessionKeyPrefix(opts.redisPrefix),
        opts.offlineRetentionSeconds,
      );
      shortcuts = cleanSessionShortcuts(store, ops, sessionKeyPrefix(opts.redisPrefix));
    }
    ctx.aedes = aedes;
    this.aedes = aedes;
    sessions = new Sessions(ctx, aedes);
    this.sessions = sessions;
    const live = sessions;
    if (this.stores.peers)
      clientNotices(aedes as unknown as Parameters<typeof clientNotices>[0], this.stores.peers, (id) =>
        live.claimOf(id),
      );
    // P2P delivery must be in place before the first client can publish to a P2P topic.
    await sessions.p2pReady;
    aedes.on('clientError', (c, err) => ctx.log.debug({ clientId: c.id, err: err.message }, 'client error'));
    aedes.on('connectionError', (_c, err) =>
      ctx.log.debug({ err: err.message }, 'connection error before CONNECT'),
    );

    this.sub = createRedis(opts.redisUrl, this.log);
    this.sub.on('message', (_ch: string, msg: string) => {
      const change = parseRegistryChange(msg);
      // correctness rests on the version check at each CONNECT; dropping the cache here too frees the old rows sooner
      if (change) registry.invalidate();
      if (change?.type === 'topics')
        void registry
          .refreshParentTopics()
          .catch((err: unknown) => ctx.log.error({ err }, 'parent topics reload failed'));
      if (change?.type === 'kick') sessions.kick(change.ref);
    });
    await this.sub.subscribe(registryChannel(opts.redisPrefix));

    const needTls = opts.ports.tls !== null || opts.ports.wss !== null;
    const material = needTls
      ? await loadTls(opts.tlsCertFile, opts.tlsKeyFile, opts.dataDir, opts.publicHost)
      : null;
    this.listeners = new Listeners(aedes, opts.host, opts.maxPacketBytes, opts.maxUnsentBytes);
    await this.listeners.start(opts.ports, material);
    ctx.log.info({ instanceId, ports: this.ports }, 'broker listening');
  }

  private stopping: Promise<void> | null = null;
  /** the QoS 1 outgoing queue's own paths (cluster mode) */
  private qos1: ReturnType<typeof ownQos1Outgoing> | null = null;
  private ops: ConnectOps | null = null;

  /** Stops once; a second call (a platform stop after a test's own) waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce() {
    await this.listeners?.stop();
    // the clients are gone: the other nodes may stop sending this one anything
    this.stores.peers?.stop();
    if (this.aedes) await new Promise<void>((r) => this.aedes!.close(() => r()));
    await this.sessions?.drain();
    // the identifiers of deliveries still unacknowledged, and every batched operation, in Redis
    // before its connection closes (not waited for past 2 s: Redis may be away)
    this.qos1?.recordAll();
    if (this.ops)
      await Promise.race([
        this.ops.settled().catch(() => {}),
        new Promise((r) => setTimeout(r, 2000).unref()),
      ]);
    await this.stores.persistence?.destroy().catch(() => {});
    await this.summaries?.stop();
    await this.ctx?.liveness?.stop();
    await this.ctx?.presence.stop();
    await this.ctx?.queues.close();
    await this.sub?.quit().catch(() => this.sub?.disconnect());
    await this.redis?.quit().catch(() => this.redis?.disconnect());
    await this.opsRedis?.quit().catch(() => this.opsRedis?.disconnect());
  }

  /** Sends the refused-CONNECT summaries gathered so far (they go every MQTT_CONNECT_SUMMARY_SECONDS anyway). */
  flushConnectSummaries(): Promise<void> {
    return this.summaries?.flush() ?? Promise.resolve();
  }

  /** The ports actually bound (null: listener off). */
  get ports(): Record<Transport, number | null> {
    return this.listeners ? { ...this.listeners.bound } : { tcp: null, tls: null, ws: null, wss: null };
  }

  get instanceId(): string {
    return this.context.instanceId;
  }

  /** One ServerUrl per enabled listener, for the instance page. */
  serverUrls(): ServerUrl[] {
    const h = this.opts.publicHost;
    const scheme = { tcp: 'mqtt', tls: 'mqtts', ws: 'ws', wss: 'wss' } as const;
    return (Object.entries(this.ports) as [Transport, number | null][])
      .filter(([, p]) => p !== null)
      .map(([t, p]) => ({
        transport: t,
        url: `${scheme[t]}://${h}:${p}${t === 'ws' || t === 'wss' ? WS_PATH : ''}`,
      }));
  }

  /** DownlinkPublisher: resolves once aedes has stored a QoS 1 message for every persistent session. */
  publish(topic: string, payload: Buffer | string, qos: 0 | 1): Promise<void> {
    const aedes = this.aedes;
    if (!aedes) return Promise.reject(new Error('broker not started'));
    const buf = typeof payload === 'string' ? Buffer.from(payload) : payload;
    if (buf.length > this.opts.maxPayloadBytes) return Promise.reject(new Error('payload over the limit'));
    return new Promise((resolve, reject) => {
      aedes.publish({ cmd: 'publish', topic, payload: buf, qos, retain: false, dup: false }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  /** Whether a Client ID is connected to any node now (the seed's QuerySessionByClientId). */
  lookup(clientId: string): Promise<PresenceEntry | null> {
    return this.context.presence.lookup(clientId);
  }

  private get context(): BrokerContext {
    if (!this.ctx) throw new Error('broker not started');
    return this.ctx;
  }
}

/** The platform's MQTT secret: configured, else DATA_DIR/broker/platform.secret (made once, 0600). */
export function loadPlatformSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'broker', 'platform.secret');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, crypto.randomBytes(24).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return fs.readFileSync(file, 'utf8').trim();
}
