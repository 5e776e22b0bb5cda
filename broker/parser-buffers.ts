// mqtt-packet's parser (aedes makes one per connection) keeps the bytes of the packet it is
// reading in `bl()`, a BufferListStream: a readable-stream Duplex with its two stream states,
// its event emitter and a lazy require, of which the parser uses only the BufferList methods
// (append, consume, length, readUInt8/16BE/32BE, slice, toString). Constructing that stream was
// about 3 % of the broker's CPU per CONNECT, and more in garbage (bench/README.md, "Session
// 15"). usePlainParserBuffers() makes every parser of the process keep a plain BufferList, the
// class whose methods BufferListStream copies: the same bytes and the same reads, no stream.
// Its readUInt8/16BE/32BE read the first buffer directly when the bytes are in it: bl's own make
// a Buffer view and an offset pair per read (a PUBLISH takes five or more reads: header, length,
// topic length, packet identifier), garbage a broker made tens of thousands of times a second
// (bench/README.md, "Session 16"). Bytes across buffers are read by bl's own methods.
//
// It replaces one method of mqtt-packet's Parser, and only after checking that parser (else it
// is left as it is and the broker logs a warning): `_resetState` must be, token for token, the
// one of mqtt-packet 9 (so no reset a later release adds is lost; the replacement leaves out its
// debug line), the parser's methods must use the list only through the BufferList methods above
// (no stream method, the list handed to nothing else), and the parser checked is the one aedes
// loads. test/broker/parser-buffers.test.ts parses real packets with the plain list and shows a
// changed parser left alone; test/broker/wire.test.ts that a live connection has the plain list.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface ParserClass {
  prototype: {
    _resetState(this: ParserState): void;
  };
}
interface ParserState {
  packet: unknown;
  error: unknown;
  _list: unknown;
  _stateCounter: number;
}
type PacketClass = new () => unknown;

/** What the patch works on: mqtt-packet's Parser and Packet, and bl's plain BufferList. */
export interface ParserModules {
  Parser: ParserClass;
  Packet: PacketClass;
  BufferList: new () => unknown;
}

/** The methods mqtt-packet 9's parser calls on its buffer list. */
const USED = new Set([
  'append',
  'consume',
  'length',
  'readUInt8',
  'readUInt16BE',
  'readUInt32BE',
  'slice',
  'toString',
]);

/** mqtt-packet 9's `_resetState`, whitespace aside: the method the replacement stands for. */
const RESET_STATE = [
  '_resetState () {',
  "debug('_resetState: resetting packet, error, _list, and _stateCounter')",
  'this.packet = new Packet()',
  'this.error = null',
  'this._list = bl()',
  'this._stateCounter = 0',
  '}',
].join(' ');

const squeeze = (source: string) => source.replace(/\s+/g, ' ').trim();

/** mqtt-packet as aedes loads it (a copy of its own, if it has one), and bl as that parser does. */
function aedesParserModules(): ParserModules {
  const fromAedes = createRequire(require.resolve('aedes'));
  const parserPath = fromAedes.resolve('mqtt-packet/parser.js');
  const fromParser = createRequire(parserPath);
  return {
    Parser: fromParser(parserPath) as ParserClass,
    Packet: fromParser('./packet.js') as PacketClass,
    BufferList: (fromParser('bl') as { BufferList: new () => unknown }).BufferList,
  };
}

/** Whether `m` is the parser this patch was written for (see the top of the file). */
export function parserAsExpected(m: ParserModules): boolean {
  if (typeof m.BufferList !== 'function' || typeof m.Packet !== 'function') return false;
  const proto = m.Parser.prototype as unknown as Record<string, unknown>;
  if (squeeze(String(proto._resetState)) !== RESET_STATE) return false;
  // the parser's code: its class (or constructor) without `_resetState`, and every method not in
  // it (one assigned to the prototype, as earlier releases did)
  let code = squeeze(String(m.Parser)).replace(RESET_STATE, '');
  for (const k of Object.getOwnPropertyNames(proto)) {
    const v = Object.getOwnPropertyDescriptor(proto, k)?.value;
    if (k === 'constructor' || k === '_resetState' || typeof v !== 'function') continue;
    const src = squeeze(String(v));
    if (!code.includes(src)) code += `\n${src}`;
  }
  // a debug() line may show the list (util.inspect, as for any object); only when DEBUG is set
  code = code.replace(/\bdebug\([^()]*\)/g, '');
  const uses = [...code.matchAll(/_list\b(\.(\w+))?/g)];
  return uses.length > 0 && uses.every((u) => u[2] !== undefined && USED.has(u[2]));
}

type Reads = Record<'readUInt8' | 'readUInt16BE' | 'readUInt32BE', (offset?: number) => number>;
interface ListLike {
  getBuffers(): Buffer[];
}

/**
 * BufferList with the three reads the parser makes served from the list's first buffer
 * (`getBuffers()`, bl's documented view of its buffers) when the bytes are in it; else, and for
 * anything odd (an offset that is not a whole number in range), bl's own method, errors included.
 */
export function directReads(BufferList: new () => unknown): new () => unknown {
  const base = BufferList.prototype as Partial<Reads & ListLike>;
  // a bl without these (not 6.x) keeps its own reads
  if (
    ![base.getBuffers, base.readUInt8, base.readUInt16BE, base.readUInt32BE].every(
      (f) => typeof f === 'function',
    )
  )
    return BufferList;
  const own = base as Reads;
  const { readUInt8, readUInt16BE, readUInt32BE } = own;
  const first = (list: ListLike, offset: number, n: number) => {
    const b = list.getBuffers()[0];
    return b !== undefined && Number.isInteger(offset) && offset >= 0 && offset + n <= b.length ? b : null;
  };
  const Direct = class DirectReadList extends (BufferList as new () => ListLike) {
    readUInt8(offset = 0) {
      const b = first(this, offset, 1);
      return b ? b[offset] : readUInt8.call(this, offset);
    }
    readUInt16BE(offset = 0) {
      const b = first(this, offset, 2);
      return b ? b.readUInt16BE(offset) : readUInt16BE.call(this, offset);
    }
    readUInt32BE(offset = 0) {
      const b = first(this, offset, 4);
      return b ? b.readUInt32BE(offset) : readUInt32BE.call(this, offset);
    }
  };
  return Direct as unknown as new () => unknown;
}

let installed: boolean | null = null;

/**
 * Installs the plain buffer list in mqtt-packet's parser, once per process; false when the parser
 * is not the one this expects, or cannot be found (it is then left alone). `modules`: another
 * parser to patch (the tests'); the default is the one aedes loads.
 */
export function usePlainParserBuffers(modules?: ParserModules): boolean {
  if (!modules && installed !== null) return installed;
  let ok = false;
  try {
    const m = modules ?? aedesParserModules();
    ok = parserAsExpected(m);
    if (ok) {
      const { Packet } = m;
      const BufferList = directReads(m.BufferList);
      m.Parser.prototype._resetState = function (this: ParserState) {
        this.packet = new Packet();
        this.error = null;
        this._list = new BufferList();
        this._stateCounter = 0;
      };
    }
  } catch {
    ok = false;
  }
  if (!modules) installed = ok;
  return ok;
}
