// PUBLISH, PUBACK and CONNACK written as one buffer each, and a QoS 0 PUBLISH encoded once for all its
// subscribers. aedes writes every packet with mqtt-packet's writeToStream (lib/write.js looks it
// up on the module at each call), which issues one stream.write per field: five for a PUBLISH
// (header, remaining length, topic length, topic, payload), three for a PUBACK, each a chunk in
// the socket's buffer and in its writev. And every subscriber of a message encodes it again,
// though a QoS 0 PUBLISH carries no packet identifier and is byte for byte the same for all.
// Here, for the streams of this broker's listeners only (`fastWrites(stream)`), writeToStream
// builds the whole packet in one buffer and writes it once; a QoS 0 PUBLISH of the same topic,
// payload and flags as the one just written reuses its bytes. The bytes are exactly those of
// mqtt-packet 9 for protocol levels 3 and 4 (aedes passes no options, so it writes 3.1.1
// framing to every client); every other packet, and anything unusual (a Buffer topic, a
// string payload, MQTT 5 options), goes to mqtt-packet as before. The stream is corked and
// uncorked on the next tick as mqtt-packet does, so the write coalescing of listeners.ts
// (one socket write per connection and turn) is unchanged.
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

const require = createRequire(import.meta.url);

interface Packet {
  cmd?: string;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  topic?: unknown;
  payload?: unknown;
  messageId?: unknown;
}
type WriteToStream = (packet: Packet, stream: Duplex, opts?: { protocolVersion?: number }) => boolean;

/** mqtt-packet's CommonJS exports object: the one aedes' ESM default import reads at every call. */
const mqttPacket = require('mqtt-packet') as { writeToStream: WriteToStream };

/** marks the listeners' streams (a symbol, not a WeakSet entry per connection) */
const OURS = Symbol('esl.fastWrites');
type Marked = { [OURS]?: true };
let installed = false;

/** Turns the fast path on for one connection's stream (called for each stream the listeners hand to aedes). */
export function fastWrites(stream: Duplex) {
  install();
  (stream as unknown as Marked)[OURS] = true;
}

/** 2 bytes of remaining length and more: the variable byte integer of MQTT 3.1.1 section 2.2.3. */
function varIntLength(n: number) {
  return n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
}

function putVarInt(buf: Buffer, at: number, n: number) {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    buf[at++] = b;
  } while (n > 0);
  return at;
}

/**
 * The last QoS 0 PUBLISH encoded: the next subscriber of the same message gets the same bytes.
 * Matched by topic, flags and the payload's content (compared with the bytes, so a payload
 * buffer changed in place since is never sent stale).
 */
let last: { topic: string; header: number; payloadAt: number; bytes: Buffer } | null = null;

const sameAsLast = (topic: string, header: number, payload: Buffer) =>
  last !== null &&
  last.header === header &&
  last.topic === topic &&
  last.bytes.length - last.payloadAt === payload.length &&
  payload.compare(last.bytes, last.payloadAt) === 0;

const flags = (p: Packet) => (p.dup ? 0x08 : 0) | (p.retain ? 0x01 : 0);

/** header: the fixed header's first byte; id: the packet identifier, -1 for none (QoS 0). */
function encode(header: number, topic: string, payload: Buffer, id: number): Buffer | null {
  const hasId = id >= 0;
  if (!hasId && sameAsLast(topic, header, payload)) return last!.bytes;
  const topicLength = Buffer.byteLength(topic);
  if (topicLength > 0xffff) return null;
  const length = 2 + topicLength + (hasId ? 2 : 0) + payload.length;
  if (length > 268_435_455) return null;
  const buf = Buffer.allocUnsafe(1 + varIntLength(length) + length);
  buf[0] = header;
  let at = putVarInt(buf, 1, length);
  buf[at++] = topicLength >> 8;
  buf[at++] = topicLength & 0xff;
  at += buf.write(topic, at, 'utf8');
  if (hasId) {
    buf[at++] = id >> 8;
    buf[at++] = id & 0xff;
  }
  payload.copy(buf, at);
  if (!hasId) last = { topic, header, payloadAt: at, bytes: buf };
  return buf;
}

/**
 * The last message a pass of writeQos0 calls encoded (qos0-deliveries.ts: the deliveries of one
 * turn, written in one synchronous loop, in which nothing changes a payload already published):
 * the next delivery of the same payload object reuses the bytes without comparing them.
 */
export interface Qos0Memo {
  payload?: Buffer;
  topic?: string;
  header?: number;
  bytes?: Buffer;
}

/**
 * Writes a QoS 0 PUBLISH (the bytes aedes' deliver0 would write for `p` at QoS 0); false when
 * the stream's buffer is full (wait for 'drain'), as a stream write answers. Throws nothing:
 * a packet it cannot encode (a Buffer topic, a string payload) goes through mqtt-packet.
 */
export function writeQos0(stream: Duplex, p: Packet, memo?: Qos0Memo): boolean {
  const { topic, payload } = p;
  if (typeof topic === 'string' && Buffer.isBuffer(payload)) {
    const header = 0x30 | flags(p);
    // the same payload object, topic and flags as the delivery just before in this pass
    if (memo && memo.payload === payload && memo.topic === topic && memo.header === header)
      return write(stream, memo.bytes!);
    const buf = encode(header, topic, payload, -1);
    if (buf) {
      if (memo) Object.assign(memo, { payload, topic, header, bytes: buf });
      return write(stream, buf);
    }
  }
  return mqttPacket.writeToStream({ ...p, qos: 0 }, stream);
}

const packetId = (v: unknown): number | null =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff ? v : null;

const uncork = (s: Duplex) => s.uncork();

function write(stream: Duplex, buf: Buffer) {
  stream.cork();
  process.nextTick(uncork, stream);
  return stream.write(buf);
}

function install() {
  if (installed) return;
  installed = true;
  const original = mqttPacket.writeToStream;
  mqttPacket.writeToStream = function writeToStream(packet, stream, opts) {
    if (!(stream as unknown as Marked)[OURS] || (opts?.protocolVersion ?? 4) === 5 || !packet)
      return original(packet, stream, opts);
    if (packet.cmd === 'publish') {
      const qos = packet.qos || 0;
      const { topic, payload } = packet;
      const id = qos === 0 ? -1 : packetId(packet.messageId);
      if (
        typeof topic === 'string' &&
        Buffer.isBuffer(payload) &&
        (qos === 0 || qos === 1 || qos === 2) &&
        id !== null
      ) {
        const buf = encode(0x30 | (qos << 1) | flags(packet), topic, payload, id);
        if (buf) return write(stream, buf);
      }
    } else if (packet.cmd === 'connack') {
      const rc = (packet as { returnCode?: unknown }).returnCode;
      if (typeof rc === 'number' && Number.isInteger(rc) && rc >= 0 && rc <= 0xff) {
        const sp = (packet as { sessionPresent?: boolean }).sessionPresent ? 1 : 0;
        write(stream, Buffer.from([0x20, 0x02, sp, rc]));
        // mqtt-packet answers true for a CONNACK, whatever the stream said
        return true;
      }
    } else if (packet.cmd === 'puback') {
      const id = packetId(packet.messageId);
      if (id !== null) return write(stream, Buffer.from([0x40, 0x02, id >> 8, id & 0xff]));
    }
    return original(packet, stream, opts);
  };
}
