// Connection lifecycle beyond what aedes does itself: the cluster-wide presence entry, the
// take-over record, connection events to the backend, P2P delivery without a subscription,
// and disconnecting the clients of a revoked credential.
import crypto from 'node:crypto';
import type { Aedes, AedesPublishPacket, Client } from 'aedes';
import type { BrokerContext } from './broker-context.js';
import { principalOf } from './principal.js';
import type { ConnectionEvent } from './uplink.js';

interface ConnState {
  conn: string;
  ip: string | null;
  takenOver: boolean;
  /** This connection replaced a local one (a remote one shows in the presence claim). */
  tookOver: boolean;
  kicked: boolean;
  /** CONNACK sent: P2P may be delivered */
  ready: boolean;
  /** the connect event was sent (once: aedes may report the client ready after it left) */
  connectSent: boolean;
  ended: boolean;
  /** settles when the presence claim was answered (or failed): the new-client notice waits for it */
  claimed: Promise<void> | null;
}

/** Each connection's state, under a symbol on aedes' Client (cheaper than a WeakMap per connection). */
const STATE = Symbol('esl.session');
type Holder = { [STATE]?: ConnState };
const stateOf = (c: Client) => (c as unknown as Holder)[STATE];

export class Sessions {
  private readonly inflight = new Set<Promise<void>>();
  /** Settles when the node's P2P listener is subscribed (in a cluster, once Redis has the pattern). */
  readonly p2pReady: Promise<void>;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly aedes: Aedes,
  ) {
    aedes.on('client', (c) => void this.registered(c));
    aedes.on('clientReady', (c) => void this.ready(c));
    aedes.on('clientDisconnect', (c) => this.track(this.gone(c)));
    // P2P: `<parent>/p2p/<ClientID>` reaches the client without a SUBSCRIBE and does not count
    // against its subscription limit. One listener per node (one Redis pattern subscription in
    // a cluster), dispatched to the local client, rather than a subscription per connection.
    this.p2pReady = new Promise((resolve) =>
      aedes.subscribe('+/p2p/+', (packet, cb) => this.deliverP2p(packet, cb), resolve),
    );
  }

  private deliverP2p(packet: AedesPublishPacket, cb: () => void) {
    const target = packet.topic.slice(packet.topic.lastIndexOf('/') + 1);
    const c = (this.aedes as unknown as { clients: Record<string, Client> }).clients[target];
    if (!c || c.closed || !this.ctx.registry.hasParentTopic(packet.topic.split('/')[0])) return cb();
    if (stateOf(c)?.ready) {
      // client.publish keeps QoS 1 in a persistent session's queue until PUBACK
      c.publish(
        {
          cmd: 'publish',
          topic: packet.topic,
          payload: packet.payload,
          qos: packet.qos,
          retain: false,
          dup: false,
        },
        () => {},
      );
    } else if (packet.qos > 0) {
      // CONNECT accepted, CONNACK not yet sent: keep it; ready() takes the kept messages next
      // (same Redis connection, so this RPUSH is ordered before that take).
      this.ctx.p2p
        .keep(target, packet.topic, Buffer.from(packet.payload))
        .catch((err: unknown) => this.ctx.log.error({ err, target }, 'P2P message lost'));
    }
    cb();
  }

  private track(p: Promise<void>) {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
  }

  /** On shutdown: the disconnect events of the clients just closed reach the queue first. */
  async drain() {
    await Promise.allSettled([...this.inflight]);
  }

  /** From the authenticate hook: a local client with the same id is about to be closed (MQTT-3.1.4-2). */
  authenticated(c: Client) {
    const old = (this.aedes as unknown as { clients: Record<string, Client> }).clients[c.id];
    if (old && old !== c) {
      this.of(old).takenOver = true;
      this.of(c).tookOver = true;
    }
  }

  private of(c: Client): ConnState {
    let s = stateOf(c);
    if (!s) {
      s = {
        conn: crypto.randomUUID(),
        ip: remoteIp(c),
        takenOver: false,
        tookOver: false,
        kicked: false,
        ready: false,
        connectSent: false,
        ended: false,
        claimed: null,
      };
      (c as unknown as Holder)[STATE] = s;
    }
    return s;
  }

  private event(
    c: Client,
    type: ConnectionEvent['type'],
    extra: Partial<ConnectionEvent> = {},
  ): Promise<void> {
    const p = principalOf(c);
    // the applications' (the platform's) connections and a general Group ID's clients are not APs
    if (p?.kind !== 'device' || p.clientClass !== 'ap') return Promise.resolve();
    const s = this.of(c);
    const e: ConnectionEvent = {
      type,
      clientId: c.id,
      groupId: p.identity.groupId,
      deviceId: p.identity.deviceId,
      ip: s.ip,
      at: new Date().toISOString(),
      brokerNode: this.ctx.opts.nodeId,
      cleanSession: c.clean,
      ...credentialOf(p.refs),
      ...extra,
    };
    return this.ctx.queues
      .addConnectionEvent(e)
      .catch((err: unknown) => this.ctx.log.error({ err, clientId: c.id, type }, 'connection event lost'));
  }

  private async registered(c: Client) {
    const s = this.of(c);
    try {
      const claim = this.ctx.presence.claimReplacing(c.id, {
        node: this.ctx.opts.nodeId,
        conn: s.conn,
        ip: s.ip,
        at: new Date().toISOString(),
      });
      s.claimed = claim.then(
        () => undefined,
        () => undefined,
      );
      const replaced = await claim;
      const prev = replaced?.prev;
      // A take-over needs the previous connection to be alive: on this node (aedes closes it), or
      // on another node that still answers. A node killed moments ago still has its heartbeat
      // key; asked directly (node-liveness.ts), it does not answer: its APs resumed after node loss.
      const other = prev && replaced.heartbeat && prev.node !== this.ctx.opts.nodeId;
      const gone = prev && (!replaced.heartbeat || (other && !(await this.answers(prev.node))));
      if (s.tookOver || (prev && !gone)) {
        this.ctx.log.warn(
          { clientId: c.id, previousNode: prev?.node ?? this.ctx.opts.nodeId, previousIp: prev?.ip },
          'session taken over',
        );
        void this.event(c, 'takeover');
      } else if (prev && prev.node !== this.ctx.opts.nodeId) {
        this.ctx.log.info({ clientId: c.id, previousNode: prev.node }, 'session resumed after node loss');
        void this.event(c, 'resumed', { reason: 'node_lost', previousNode: prev.node });
      }
    } catch (err) {
      this.ctx.log.error({ err, clientId: c.id }, 'presence unavailable');
    }
  }

  /** Whether another node answers; if it cannot be asked (Redis away), it is assumed alive, as before. */
  private answers(node: string): Promise<boolean> {
    return this.ctx.liveness ? this.ctx.liveness.alive(node).catch(() => true) : Promise.resolve(true);
  }

  private async ready(c: Client) {
    const s = this.of(c);
    if (s.ended) return; // it left before aedes called it ready: gone() recorded both events
    this.connected(c, s);
    if (principalOf(c)?.kind !== 'device') return;
    s.ready = true;
    try {
      for (const m of await this.ctx.p2p.take(c.id)) {
        c.publish(
          {
            cmd: 'publish',
            topic: m.topic,
            payload: Buffer.from(m.payload, 'base64'),
            qos: m.qos,
            retain: false,
            dup: false,
          },
          () => {},
        );
      }
    } catch (err) {
      this.ctx.log.error({ err, clientId: c.id }, 'could not deliver kept P2P messages');
    }
  }

  /** The connect event, once per connection, always before its disconnect event. */
  private connected(c: Client, s: ConnState) {
    if (s.connectSent) return;
    s.connectSent = true;
    void this.event(c, 'connect');
  }

  private async gone(c: Client) {
    const s = this.of(c);
    s.ready = false;
    s.ended = true;
    // A client that sends DISCONNECT right after CONNACK can leave before aedes emits
    // clientReady (it restores the session from Redis first): record its connect first.
    this.connected(c, s);
    let released = true;
    try {
      released = await this.ctx.presence.release(c.id, s.conn);
    } catch (err) {
      this.ctx.log.error({ err, clientId: c.id }, 'presence unavailable');
    }
    const clean = (c as unknown as { _disconnected: boolean })._disconnected;
    const reason = s.kicked ? 'kicked' : s.takenOver || !released ? 'takeover' : clean ? 'clean' : 'lost';
    await this.event(c, 'disconnect', { reason });
  }

  /**
   * The local client's presence claim, settled once Redis answered it (null: none pending). The
   * `$SYS` new-client notice waits for it (local-emitter.ts): the node holding the previous
   * connection closes it on that notice and releases its entry, which must reach Redis after
   * this claim, or the claim finds nothing to replace and a take-over reads as a clean leave.
   */
  claimOf(clientId: string): Promise<void> | null {
    const c = (this.aedes as unknown as { clients: Record<string, Client> }).clients[clientId];
    return (c && stateOf(c)?.claimed) ?? null;
  }

  /** Closes every local client authenticated with the credential (e.g. 'ak:<id>'); returns how many. */
  kick(ref: string): number {
    let n = 0;
    for (const c of Object.values((this.aedes as unknown as { clients: Record<string, Client> }).clients)) {
      if (principalOf(c)?.refs.includes(ref)) {
        this.of(c).kicked = true;
        c.close();
        n++;
      }
    }
    if (n)
      this.ctx.log.info(
        { ref: ref.replace(/:.*/, ':…'), clients: n },
        'credential revoked: clients disconnected',
      );
    return n;
  }
}

/** The credential a connection authenticated with, from its principal's references. */
function credentialOf(refs: string[]): Pick<ConnectionEvent, 'credentialKind' | 'accessKeyId'> {
  const first = refs[0] ?? '';
  const id = first.slice(first.indexOf(':') + 1);
  if (first.startsWith('dc:')) return { credentialKind: 'device_credential', accessKeyId: id };
  if (first.startsWith('ak:'))
    return {
      credentialKind: refs.some((r) => r.startsWith('tok:')) ? 'token' : 'signature',
      accessKeyId: id,
    };
  return {};
}

function remoteIp(c: Client): string | null {
  const sock = (c.req?.socket ?? c.conn) as { remoteAddress?: string };
  return sock?.remoteAddress ?? null;
}
