// The `{ id, msg }` msgpack of mqemitter-redis, encoded without msgpack-lite for the messages
// aedes publishes (a flat packet: strings, numbers, booleans, undefined, one Buffer payload).
// msgpack-lite walks every value through its generic type table (about 7 µs for a 256-byte
// uplink publish on the development VM, for every message of the node); this writes the same
// msgpack types in one pass over a buffer of the exact size. Decoded by msgpack-lite (other
// nodes, stock mqemitter-redis) to the same object, undefined becoming null as msgpack-lite
// writes it (test/broker/emitter-encoding.test.ts). Anything else (a nested object such as MQTT
// 5 properties, an array, a bigint, more than 15 fields) is left to msgpack-lite.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const msgpack = createRequire(require.resolve('mqemitter-redis'))('msgpack-lite') as {
  encode(v: unknown): Buffer;
};

/** UTF-8 length of a short string in JS (a native call costs more than the loop), else Buffer.byteLength. */
function utf8Length(s: string) {
  if (s.length > 64) return Buffer.byteLength(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}

/** bytes of a msgpack str header + body */
function strSize(s: string) {
  const n = utf8Length(s);
  return n + (n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5);
}

function numSize(n: number) {
  if (Number.isInteger(n)) {
    if (n >= 0) return n < 128 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n <= 0xffffffff ? 5 : 9;
    return n >= -32 ? 1 : n >= -128 ? 2 : n >= -32768 ? 3 : n >= -2147483648 ? 5 : 9;
  }
  return 9;
}

/** -1: a value this encoder leaves to msgpack-lite */
function valueSize(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return strSize(v);
    case 'number':
      return numSize(v);
    case 'boolean':
    case 'undefined':
      return 1;
    case 'object':
      if (v === null) return 1;
      if (Buffer.isBuffer(v)) return v.length + (v.length < 0x100 ? 2 : v.length < 0x10000 ? 3 : 5);
      return -1;
    default:
      return -1;
  }
}

function putStr(buf: Buffer, at: number, s: string) {
  const n = utf8Length(s);
  if (n < 32) buf[at++] = 0xa0 | n;
  else if (n < 0x100) {
    buf[at++] = 0xd9;
    buf[at++] = n;
  } else if (n < 0x10000) {
    buf[at++] = 0xda;
    at = buf.writeUInt16BE(n, at);
  } else {
    buf[at++] = 0xdb;
    at = buf.writeUInt32BE(n, at);
  }
  if (n === s.length && n <= 64) {
    // short ASCII (utf8Length checked it): byte by byte, cheaper than a native write
    for (let i = 0; i < n; i++) buf[at++] = s.charCodeAt(i);
    return at;
  }
  return at + buf.write(s, at, 'utf8');
}

function putNum(buf: Buffer, at: number, n: number) {
  if (Number.isInteger(n)) {
    if (n >= 0) {
      if (n < 128) buf[at++] = n;
      else if (n < 0x100) {
        buf[at++] = 0xcc;
        buf[at++] = n;
      } else if (n < 0x10000) {
        buf[at++] = 0xcd;
        at = buf.writeUInt16BE(n, at);
      } else if (n <= 0xffffffff) {
        buf[at++] = 0xce;
        at = buf.writeUInt32BE(n, at);
      } else {
        buf[at++] = 0xcb;
        at = buf.writeDoubleBE(n, at);
      }
      return at;
    }
    if (n >= -32) buf[at++] = n & 0xff;
    else if (n >= -128) {
      buf[at++] = 0xd0;
      at = buf.writeInt8(n, at);
    } else if (n >= -32768) {
      buf[at++] = 0xd1;
      at = buf.writeInt16BE(n, at);
    } else if (n >= -2147483648) {
      buf[at++] = 0xd2;
      at = buf.writeInt32BE(n, at);
    } else {
      buf[at++] = 0xcb;
      at = buf.writeDoubleBE(n, at);
    }
    return at;
  }
  buf[at++] = 0xcb;
  return buf.writeDoubleBE(n, at);
}

function putValue(buf: Buffer, at: number, v: unknown): number {
  switch (typeof v) {
    case 'string':
      return putStr(buf, at, v);
    case 'number':
      return putNum(buf, at, v);
    case 'boolean':
      buf[at] = v ? 0xc3 : 0xc2;
      return at + 1;
    case 'undefined':
      buf[at] = 0xc0;
      return at + 1;
    default: {
      if (v === null) {
        buf[at] = 0xc0;
        return at + 1;
      }
      const b = v as Buffer;
      if (b.length < 0x100) {
        buf[at++] = 0xc4;
        buf[at++] = b.length;
      } else if (b.length < 0x10000) {
        buf[at++] = 0xc5;
        at = buf.writeUInt16BE(b.length, at);
      } else {
        buf[at++] = 0xc6;
        at = buf.writeUInt32BE(b.length, at);
      }
      return at + b.copy(buf, at);
    }
  }
}

/** msgpack of `{ id, msg }` as mqemitter-redis sends it on Redis. */
export function encodeEmitted(id: string, msg: object): Buffer {
  const fields = msg as Record<string, unknown>;
  const keys = Object.keys(fields);
  if (keys.length > 15) return msgpack.encode({ id, msg });
  // fixmap of 2, "id", the id, "msg", fixmap of the fields
  let size = 1 + 3 + strSize(id) + 4 + 1;
  for (const k of keys) {
    const n = valueSize(fields[k]);
    if (n < 0) return msgpack.encode({ id, msg });
    size += strSize(k) + n;
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 0x82;
  buf[1] = 0xa2;
  buf[2] = 0x69; // i
  buf[3] = 0x64; // d
  let at = putStr(buf, 4, id);
  buf[at++] = 0xa3;
  buf[at++] = 0x6d; // m
  buf[at++] = 0x73; // s
  buf[at++] = 0x67; // g
  buf[at++] = 0x80 | keys.length;
  for (const k of keys) {
    at = putStr(buf, at, k);
    at = putValue(buf, at, fields[k]);
  }
  return buf;
}
