// The four transports (MQTT 3.1.1 section 4.2): TCP, TLS, WebSocket and secure WebSocket on
// path /mqtt. Each listener is off when its port is null; port 0 binds an ephemeral port.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Aedes } from 'aedes';
import mqtt from 'mqtt-packet';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { fastWrites } from './fast-write.js';
import type { ListenerPorts } from './options.js';
import { batchQos0Deliveries, type DeliveringClient } from './qos0-deliveries.js';
import type { TlsMaterial } from './tls.js';

export type Transport = keyof ListenerPorts;
export const WS_PATH = '/mqtt';

interface Parser {
  parse(buf: Buffer): number;
  packet: { length: number };
  /** aedes' queue of packets that arrive before CONNACK; null once it is emptied */
  _queue: Packet[] | null;
  listeners(e: 'packet'): ((this: Parser, p: Packet) => void)[];
  removeListener(e: 'packet', fn: (this: Parser, p: Packet) => void): void;
  on(e: 'packet', fn: (this: Parser, p: Packet) => void): void;
  emit(e: string, ...args: unknown[]): boolean;
}

interface Packet {
  cmd: string;
  qos?: number;
  messageId?: number;
}

interface ClientInternals {
  _parser: Parser;
  _parsingBatch: number;
  connecting: boolean;
  connected: boolean;
  connackSent: boolean;
  emit(e: 'error', err: Error): void;
}

/**
 * What aedes 1.2.0 does not check or gets wrong at the wire, before a packet reaches it:
 * - a packet whose fixed header announces more than maxPacket bytes closes the connection before
 *   its body is buffered (the mqtt-packet parser would hold up to 256 MB, MQTT 3.1.1 section 2.2.3);
 * - a CONNECT with a protocol level other than 3 or 4 that mqtt-packet cannot parse (anything but
 *   3, 4 and 5) is answered with CONNACK 0x01 before the close (MQTT-3.1.2-2); aedes answers 5 itself;
 * - a PUBLISH of QoS 1 or 2, a SUBSCRIBE or an UNSUBSCRIBE with packet identifier 0 is a protocol
 *   error and closes the connection (MQTT-2.3.1-1);
 * - a packet completed while the CONNECT is still being authenticated waits for CONNACK. aedes
 *   queues such packets only when they came in the same read as the CONNECT: one that spans reads
 *   (a large PUBLISH right after CONNECT, legal per MQTT 3.1.4) was handled at once and refused as
 *   not authenticated.
 */
/**
 * One socket write per connection and turn of the event loop, instead of one per packet.
 * mqtt-packet corks the stream for each packet and uncorks it on the next tick, and aedes
 * writes each delivery from a setImmediate of its own, with the ticks run in between: a
 * subscriber receiving a hundred messages in one turn cost a hundred writev calls (on loopback
 * each carries the receiving side's TCP work too). Here the uncork waits for the next turn, so
 * the turn's packets leave together. end() and destroy() flush first, so nothing written
 * before a close (a CONNACK refusal, a PUBACK before a refused publish) is held back by it.
 * After a turn's flush, more than `maxUnsent` bytes still waiting in the stream (its client
 * takes them slower than they come) calls `onOver` with their count.
 */
export function coalesceWrites(stream: Duplex, maxUnsent = Infinity, onOver?: (bytes: number) => void) {
  const uncork = stream.uncork.bind(stream);
  let owed = 0;
  const flush = () => {
    for (; owed > 0; owed--) uncork();
  };
  const turn = () => {
    flush();
    if (stream.writableLength > maxUnsent && !stream.destroyed) onOver?.(stream.writableLength);
  };
  stream.uncork = () => {
    if (owed++ === 0) setImmediate(turn);
  };
  const end = stream.end.bind(stream) as (...a: unknown[]) => Duplex;
  stream.end = ((...a: unknown[]) => {
    flush();
    return end(...a);
  }) as Duplex['end'];
  const destroy = stream.destroy.bind(stream);
  stream.destroy = (err?: Error) => {
    flush();
    return destroy(err);
  };
}

function guard(
  aedes: Aedes,
  stream: Duplex,
  req: http.IncomingMessage | undefined,
  maxPacket: number,
  maxUnsent: number,
) {
  coalesceWrites(stream, maxUnsent, (bytes) =>
    client.emit(
      'error',
      new Error(`${bytes} bytes unsent, over ${maxUnsent}: the client does not read fast enough`),
    ),
  );
  fastWrites(stream);
  const client = aedes.handle(stream, req) as unknown as ClientInternals;
  batchQos0Deliveries(client as unknown as DeliveringClient);
  const parser = client._parser;
  const parse = parser.parse.bind(parser);
  parser.parse = (buf: Buffer) => {
    const left = parse(buf);
    if (parser.packet.length > maxPacket || left > maxPacket) {
      client.emit('error', new Error(`packet over ${maxPacket} bytes refused`));
    }
    return left;
  };

  const emit = parser.emit.bind(parser);
  parser.emit = (event: string, ...args: unknown[]) => {
    const err = args[0] as Error | undefined;
    if (
      event === 'error' &&
      err?.message === 'Invalid protocol version' &&
      !client.connecting &&
      !client.connected
    ) {
      parser.emit = emit;
      // written before the close, then the close once it is flushed (a destroy could drop it)
      mqtt.writeToStream({ cmd: 'connack', returnCode: 1, sessionPresent: false }, stream);
      stream.end(() => emit('error', err));
      return true;
    }
    return emit(event, ...args);
  };

  const [enqueue] = parser.listeners('packet');
  parser.removeListener('packet', enqueue);
  parser.on('packet', function (packet) {
    const needsId =
      (packet.cmd === 'publish' && (packet.qos ?? 0) > 0) ||
      packet.cmd === 'subscribe' ||
      packet.cmd === 'unsubscribe';
    if (needsId && !packet.messageId) {
      client.emit('error', new Error(`${packet.cmd} with packet identifier 0 (MQTT-2.3.1-1)`));
      return;
    }
    if (client.connecting && !client.connackSent && this._queue) {
      // aedes' own queueing, as its enqueue does it for packets of the CONNECT's read
      client._parsingBatch++;
      if (this._queue.length < (aedes as unknown as { queueLimit: number }).queueLimit)
        this._queue.push(packet);
      else client.emit('error', new Error('Client queue limit reached'));
      return;
    }
    enqueue.call(this, packet);
  });
}

/**
 * Sets TCP_NODELAY on a listening TCP socket. On Linux an accepted socket inherits it from its
 * listener, which saves a setsockopt per connection (about 5 % of a CONNECT's CPU in
 * `bench:broker`'s connections/s row); elsewhere, or if libuv refuses, each accepted socket
 * gets it as before. Returns whether the accepted sockets have it already.
 */
function setNoDelayOnListener(server: net.Server): boolean {
  if (process.platform !== 'linux') return false;
  const h = (server as unknown as { _handle?: { setNoDelay?(on: boolean): number } })._handle;
  return typeof h?.setNoDelay === 'function' && h.setNoDelay(true) === 0;
}

/** after this long listening, every socket still in the accept queue was made after the option */
export const NO_DELAY_GRACE_MS = 1000;

export class Listeners {
  private servers: { transport: Transport; server: net.Server }[] = [];
  private readonly sockets = new Set<net.Socket>();
  private wss: WebSocketServer[] = [];
  readonly bound: Record<Transport, number | null> = { tcp: null, tls: null, ws: null, wss: null };
  /** TCP_NODELAY is set on the TCP listener, and sockets accepted from now on inherit it (Linux) */
  noDelayOnListener = false;
  private listeningAt = 0;

  constructor(
    private readonly aedes: Aedes,
    private readonly host: string,
    private readonly maxPacket: number,
    /** a connection with more unsent bytes than this after a turn is closed (coalesceWrites) */
    private readonly maxUnsent = Infinity,
  ) {}

  /**
   * Whether an accepted TCP socket has TCP_NODELAY from its listener. Not in the first second of
   * listening: a connection whose handshake completed between \`listen()\` and the option being set
   * on the listener (a reconnect storm meets a restarted broker) did not inherit it; those sockets,
   * accepted first, get it set on their own.
   */
  private inheritsNoDelay() {
    return this.noDelayOnListener && performance.now() - this.listeningAt > NO_DELAY_GRACE_MS;
  }

  async start(ports: ListenerPorts, material: TlsMaterial | null) {
    const handle = (s: Duplex, req?: http.IncomingMessage) =>
      guard(this.aedes, s, req, this.maxPacket, this.maxUnsent);
    if (ports.tcp !== null) {
      await this.listen(
        'tcp',
        ports.tcp,
        net.createServer((s) => handle(this.inheritsNoDelay() ? s : s.setNoDelay(true))),
      );
    }
    if (ports.tls !== null && material) {
      await this.listen(
        'tls',
        ports.tls,
        tls.createServer({ ...material, handshakeTimeout: 10_000 }, (s) => handle(s.setNoDelay(true))),
      );
    }
    if (ports.ws !== null) await this.listen('ws', ports.ws, this.websocket(http.createServer(), handle));
    if (ports.wss !== null && material)
      await this.listen('wss', ports.wss, this.websocket(https.createServer(material), handle));
  }

  private websocket(server: http.Server, handle: (s: Duplex, req?: http.IncomingMessage) => void) {
    server.on('request', (_req, res) => {
      res
        .writeHead(426, { 'content-type': 'text/plain' })
        .end(`MQTT over WebSocket: connect to ${WS_PATH}\n`);
    });
    // ws refuses a frame over maxPayload with close code 1009 before buffering it.
    const wss = new WebSocketServer({
      server,
      path: WS_PATH,
      maxPayload: this.maxPacket,
      handleProtocols: (p) => (p.has('mqtt') ? 'mqtt' : (p.values().next().value ?? false)),
    });
    wss.on('connection', (ws, req) => {
      const stream = createWebSocketStream(ws);
      stream.on('error', () => stream.destroy());
      handle(stream, req);
    });
    this.wss.push(wss);
    return server;
  }

  private listen(transport: Transport, port: number, server: net.Server) {
    return new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.on('connection', (s: net.Socket) => {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
      });
      server.listen(port, this.host, () => {
        server.off('error', reject);
        if (transport === 'tcp') {
          this.noDelayOnListener = setNoDelayOnListener(server);
          this.listeningAt = performance.now();
        }
        this.bound[transport] = (server.address() as AddressInfo).port;
        this.servers.push({ transport, server });
        resolve();
      });
    });
  }

  /** Stops accepting; the broker closes the connected clients. */
  async stop() {
    for (const w of this.wss) {
      for (const c of w.clients) c.terminate();
      w.close();
    }
    for (const s of this.sockets) s.destroy();
    await Promise.all(
      this.servers.map(
        ({ server }) =>
          new Promise<void>((r) => {
            server.close(() => r());
          }),
      ),
    );
    this.servers = [];
  }
}
