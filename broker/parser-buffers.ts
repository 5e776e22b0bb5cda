// mqtt-packet's parser (aedes makes one per connection) keeps the bytes of the packet it is
// reading in `bl()`, a BufferListStream: a readable-stream Duplex with its two stream states,
// its event emitter and a lazy require, of which the parser uses only the BufferList methods
// (append, consume, length, readUInt8/16BE/32BE, slice, toString). Constructing that stream was
// about 3 % of the broker's CPU per CONNECT, and more in garbage (bench/README.md, "Session
// 15"). usePlainParserBuffers() makes every parser of the process keep a plain BufferList, the
// class whose methods BufferListStream copies: the same bytes and the same reads, no stream.
//
// It replaces one method of mqtt-packet's Parser, checked first: when an mqtt-packet release
// reads its buffer differently, the check fails and the parser is left as it is (and the test
// in test/broker/parser-buffers.test.ts, which parses real packets with the plain list, tells).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface ParserClass {
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

let installed: boolean | null = null;

/**
 * Installs the plain buffer list in mqtt-packet's parser, once per process; false when this
 * mqtt-packet's parser does not read its buffer the way this expects (it is then left alone).
 */
export function usePlainParserBuffers(): boolean {
  if (installed !== null) return installed;
  const Parser = require('mqtt-packet/parser.js') as ParserClass;
  const Packet = require('mqtt-packet/packet.js') as PacketClass;
  // bl's plain list, resolved from mqtt-packet (the copy its parser uses)
  const blPath = require.resolve('bl', { paths: [require.resolve('mqtt-packet/parser.js')] });
  const { BufferList } = require(blPath) as { BufferList: new () => unknown };
  const source = String(Parser.prototype._resetState);
  const used = new Set([...String(Parser).matchAll(/_list\.(\w+)/g)].map((m) => m[1]));
  installed =
    typeof BufferList === 'function' &&
    /this\._list = bl\(\)/.test(source) &&
    [...used].every((m) => USED.has(m));
  if (!installed) return false;
  Parser.prototype._resetState = function (this: ParserState) {
    this.packet = new Packet();
    this.error = null;
    this._list = new BufferList();
    this._stateCounter = 0;
  };
  return true;
}
