// One simulated smart AP, speaking ap-protocol.md v1 over a real MQTT connection: it applies
// the task items for the labels it serves (once per msgId; an expired message is dropped and
// not acked), acks per label, and reports status. Knobs: latency, failure rate, duplicate
// acks, offline periods. With `caps: ['image/png']` it is an image-capable AP
// (docs/ap-protocol-image.md): it keeps each label's image, checks its hash, and echoes it.
// With `caps` holding 'led' and/or 'page' it carries out label commands (docs/ap-protocol.md
// section 12): it keeps each label's LED and page, and acks each command on its ack topic.
import crypto from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';

export interface SimApOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  parentTopic: string;
  labels: string[];
  /** delay before acking a message */
  latencyMs?: number;
  /** share of items reported failed ('label_unreachable') */
  failureRate?: number;
  /** share of acks sent twice */
  duplicateRate?: number;
  statusIntervalMs?: number;
  /** only for brokers without the seed's P2P rule (plain mosquitto): subscribe to the own P2P topic */
  subscribeP2p?: boolean;
  resultsPerAck?: number;
  /** every label fails its first N deliveries (a flaky radio link), then succeeds */
  failFirst?: number;
  random?: () => number;
  /** declared in every status, e.g. ['image/png'], ['led', 'page'] */
  caps?: string[];
}

/** A label's LED as the last command left it. */
export interface SimLed {
  colour: string;
  pattern: string;
  until: Date;
  command: 'flash' | 'find';
}

interface ItemImage {
  type: string;
  hash: string;
  width: number;
  height: number;
  data?: string;
  chunks?: number;
}

export interface SimApCounters {
  messages: number;
  p2p: number;
  applied: number;
  failed: number;
  redelivered: number;
  expired: number;
  acks: number;
  statuses: number;
}

interface AckResult {
  itemId: string;
  labelId: string;
  status: 'ok' | 'failed';
  contentHash?: string;
  error?: string;
}

const SEEN_MAX = 5000;

// The APs of one process (a fleet) share the parsing of a payload. Every AP of a group receives
// each group message; a real AP spends its own CPU on it, while simulated ones share the cores
// of the platform they stand in front of (bench:e2e), so the text is parsed once and each AP
// reads the same (never modified) object. What each AP does with a message is unchanged.
const parsed = new Map<string, unknown>();
const PARSED_MAX = 256;

/** The payload's JSON, parsed once per distinct text among the last PARSED_MAX; throws as JSON.parse. */
export function parseShared(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  if (parsed.has(text)) return parsed.get(text);
  const value: unknown = JSON.parse(text);
  parsed.set(text, value);
  if (parsed.size > PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  return value;
}

export class SimAp {
  readonly groupId: string;
  readonly deviceId: string;
  readonly displayed = new Map<string, string | null>();
  /** the PNG each label shows (image-capable APs) */
  readonly images = new Map<string, Buffer>();
  // image hash -> the chunks received so far
  private readonly chunks = new Map<string, { total: number; parts: (string | undefined)[] }>();
  /** the LED of each label a flash or find reached (on until `until`) */
  readonly leds = new Map<string, SimLed>();
  /** the page each label shows (multi-page labels; 1 until a page switch) */
  readonly pages = new Map<string, number>();
  /** label commands received, carried out or not */
  readonly commandsSeen: { cmdId: string; labelId: string; command: string; status: 'ok' | 'failed' }[] = [];
  // cmdId -> the ack sent for it (a redelivery is acked again, not carried out twice)
  private readonly commandAcks = new Map<string, Record<string, unknown>>();
  readonly counters: SimApCounters = {
    messages: 0,
    p2p: 0,
    applied: 0,
    failed: 0,
    redelivered: 0,
    expired: 0,
    acks: 0,
    statuses: 0,
  };
  private client: MqttClient | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  // msgId -> the results sent for it, so a redelivery is acked again without re-applying
  private readonly seen = new Map<string, AckResult[]>();
  private readonly rnd: () => number;
  private readonly tries = new Map<string, number>();

  constructor(readonly opts: SimApOptions) {
    [this.groupId, this.deviceId] = opts.clientId.split('@@@');
    for (const l of opts.labels) this.displayed.set(l, null);
    this.rnd = opts.random ?? Math.random;
  }

  get online() {
    return this.client?.connected ?? false;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const client = mqtt.connect(o.url, {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      clean: false, // so tasks published while away are delivered on return (ap-protocol.md)
      keepalive: 30,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      protocolVersion: 4,
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', () => {}); // reconnects by itself; the error is visible as !online
    try {
      await this.connected(client);
    } catch (err) {
      // Refused (bad credentials, a refused subscription): stop retrying, so the AP is simply off.
      this.client = null;
      await new Promise<void>((r) => client.end(true, {}, () => r()));
      throw err;
    }
    const every = o.statusIntervalMs ?? 30_000;
    this.statusTimer = setInterval(() => void this.reportStatus().catch(() => {}), every);
    await this.reportStatus();
  }

  /** Resolves on the first CONNACK with the subscription in place; rejects on a refusal. */
  private connected(client: MqttClient): Promise<void> {
    const o = this.opts;
    return new Promise<void>((resolve, reject) => {
      client.once('connect', (ack) => {
        if (!ack.sessionPresent) {
          const topics = [`${o.parentTopic}/task/${this.groupId}`];
          if (o.subscribeP2p) topics.push(`${o.parentTopic}/p2p/${o.clientId}`);
          client.subscribe(topics, { qos: 1 }, (err, granted) => {
            if (err) return reject(err);
            if (granted?.some((g) => g.qos === 128))
              return reject(new Error(`subscription refused for ${o.clientId}`));
            resolve();
          });
        } else resolve();
      });
      client.once('error', reject);
    });
  }

  /** Goes away without a DISCONNECT (like a power cut) and comes back after `ms`. */
  async offlineFor(ms: number): Promise<void> {
    const c = this.client;
    if (!c) return;
    this.client = null;
    if (this.statusTimer) clearInterval(this.statusTimer);
    await new Promise<void>((r) => c.end(true, {}, () => r()));
    await new Promise((r) => setTimeout(r, ms));
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = null;
    const c = this.client;
    this.client = null;
    // A clean DISCONNECT when connected; when the broker is away, just drop the socket.
    if (c) await new Promise<void>((r) => c.end(!c.connected, {}, () => r()));
  }

  private onMessage(topic: string, payload: Buffer) {
    let m: { v?: unknown; type?: unknown; msgId?: unknown; expiresAt?: unknown; items?: unknown };
    try {
      m = parseShared(payload) as typeof m;
    } catch {
      return;
    }
    if (typeof m !== 'object' || m === null) return;
    if (m.v === 1 && m.type === 'image.chunk' && this.takesImages)
      return this.onChunk(m as Record<string, unknown>);
    if (m.v === 1 && m.type === 'label.command' && this.takesCommands)
      return this.onCommand(m as Record<string, unknown>);
    if (m.v !== 1 || m.type !== 'price.update' || typeof m.msgId !== 'string' || !Array.isArray(m.items))
      return;
    this.counters.messages++;
    if (topic.includes('/p2p/')) this.counters.p2p++;
    if (typeof m.expiresAt !== 'string' || Date.parse(m.expiresAt) <= Date.now()) {
      this.counters.expired++;
      return;
    }
    const msgId = m.msgId;
    let results = this.seen.get(msgId);
    if (results) {
      this.counters.redelivered++;
    } else {
      results = [];
      for (const it of m.items as {
        itemId: string;
        labelId: string;
        contentHash: string;
        image?: ItemImage;
      }[]) {
        if (!this.displayed.has(it.labelId)) continue; // another AP's label
        const tries = (this.tries.get(it.labelId) ?? 0) + 1;
        this.tries.set(it.labelId, tries);
        if (tries <= (this.opts.failFirst ?? 0) || this.rnd() < (this.opts.failureRate ?? 0)) {
          this.counters.failed++;
          results.push({
            itemId: it.itemId,
            labelId: it.labelId,
            status: 'failed',
            error: 'label_unreachable',
          });
        } else if (this.takesImages && it.image) {
          const png = this.imageOf(it.image);
          if (typeof png === 'string') {
            this.counters.failed++;
            results.push({ itemId: it.itemId, labelId: it.labelId, status: 'failed', error: png });
          } else {
            this.counters.applied++;
            this.images.set(it.labelId, png);
            this.displayed.set(it.labelId, it.image.hash);
            results.push({
              itemId: it.itemId,
              labelId: it.labelId,
              status: 'ok',
              contentHash: it.image.hash,
            });
          }
        } else {
          this.counters.applied++;
          this.displayed.set(it.labelId, it.contentHash);
          results.push({ itemId: it.itemId, labelId: it.labelId, status: 'ok', contentHash: it.contentHash });
        }
      }
      this.seen.set(msgId, results);
      if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.keys().next().value!);
    }
    if (!results.length) return;
    const send = () => {
      this.ack(msgId, results);
      if (this.rnd() < (this.opts.duplicateRate ?? 0)) this.ack(msgId, results);
    };
    const lat = this.opts.latencyMs ?? 0;
    if (lat > 0) setTimeout(send, lat);
    else send();
  }

  private get takesCommands() {
    const caps = this.opts.caps ?? [];
    return caps.includes('led') || caps.includes('page');
  }

  /** One label command (P2P): carried out once per cmdId, acked on the ack topic. */
  private onCommand(m: Record<string, unknown>) {
    const { cmdId, labelId, command, expiresAt } = m;
    if (typeof cmdId !== 'string' || typeof labelId !== 'string' || typeof command !== 'string') return;
    if (typeof expiresAt !== 'string' || Date.parse(expiresAt) <= Date.now()) return; // too late: nothing
    let ack = this.commandAcks.get(cmdId);
    if (!ack) {
      const caps = this.opts.caps ?? [];
      const fail = (error: string) => ({ status: 'failed', error });
      let outcome: Record<string, unknown>;
      if (!this.displayed.has(labelId)) outcome = fail('label_unknown');
      else if ((command === 'flash' || command === 'find') && caps.includes('led')) {
        const led = (m.led ?? {}) as { colour?: unknown; pattern?: unknown; durationSeconds?: unknown };
        const seconds = typeof led.durationSeconds === 'number' ? led.durationSeconds : 10;
        const until = new Date(Date.now() + seconds * 1000);
        this.leds.set(labelId, {
          colour: String(led.colour ?? 'white'),
          pattern: String(led.pattern ?? 'blink'),
          until,
          command,
        });
        outcome = { status: 'ok', ledUntil: until.toISOString() };
      } else if (command === 'page' && caps.includes('page') && typeof m.page === 'number') {
        this.pages.set(labelId, m.page);
        outcome = { status: 'ok', page: m.page };
      } else outcome = fail('not_supported');
      ack = { v: 1, type: 'command.ack', cmdId, labelId, ...outcome };
      this.commandAcks.set(cmdId, ack);
      if (this.commandAcks.size > SEEN_MAX) this.commandAcks.delete(this.commandAcks.keys().next().value!);
      this.commandsSeen.push({ cmdId, labelId, command, status: outcome.status as 'ok' | 'failed' });
    }
    const body = JSON.stringify(ack);
    const send = () =>
      this.client?.publish(`${this.opts.parentTopic}/ack/${this.groupId}/${this.deviceId}`, body, { qos: 1 });
    const lat = this.opts.latencyMs ?? 0;
    if (lat > 0) setTimeout(send, lat);
    else send();
  }

  /** Whether a label's LED is on now (a flash or find that has not run out). */
  ledOn(labelId: string): SimLed | null {
    const l = this.leds.get(labelId);
    return l && l.until.getTime() > Date.now() ? l : null;
  }

  private get takesImages() {
    return this.opts.caps?.includes('image/png') ?? false;
  }

  private onChunk(m: Record<string, unknown>) {
    const { hash, index, total, data } = m;
    if (
      typeof hash !== 'string' ||
      typeof index !== 'number' ||
      typeof total !== 'number' ||
      typeof data !== 'string'
    )
      return;
    if (
      !Number.isInteger(total) ||
      total < 1 ||
      total > 1000 ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= total
    )
      return;
    const c = this.chunks.get(hash) ?? { total, parts: new Array<string | undefined>(total) };
    c.parts[index] = data;
    this.chunks.set(hash, c);
    if (this.chunks.size > 200) this.chunks.delete(this.chunks.keys().next().value!);
  }

  /** The item's PNG (inline or from its chunks), checked against its hash; else the error to ack. */
  private imageOf(img: ItemImage): Buffer | string {
    let b64 = img.data;
    if (b64 === undefined && img.chunks) {
      const c = this.chunks.get(img.hash);
      if (!c || c.parts.some((p) => p === undefined)) return 'image_incomplete';
      b64 = c.parts.join('');
    }
    if (b64 === undefined) return 'image_missing';
    const png = Buffer.from(b64, 'base64');
    if (crypto.createHash('sha256').update(png).digest('hex') !== img.hash) return 'image_corrupt';
    return png;
  }

  private ack(msgId: string, results: AckResult[]) {
    const c = this.client;
    if (!c) return;
    const per = this.opts.resultsPerAck ?? 250;
    for (let i = 0; i < results.length; i += per) {
      const body = JSON.stringify({ v: 1, type: 'price.ack', msgId, results: results.slice(i, i + per) });
      c.publish(`${this.opts.parentTopic}/ack/${this.groupId}/${this.deviceId}`, body, { qos: 1 });
      this.counters.acks++;
    }
  }

  async reportStatus(): Promise<void> {
    const c = this.client;
    if (!c) return;
    const all = [...this.displayed];
    for (let i = 0; i < Math.max(1, all.length); i += 400) {
      const labels = all.slice(i, i + 400).map(([labelId, h]) => ({
        labelId,
        battery: 2900 + Math.floor(this.rnd() * 100),
        rssi: -50 - Math.floor(this.rnd() * 30),
        contentHash: h,
      }));
      const body = JSON.stringify({
        v: 1,
        type: 'status',
        ts: new Date().toISOString(),
        fw: 'sim-1.0.0',
        ...(this.opts.caps?.length ? { caps: this.opts.caps } : {}),
        labels,
      });
      await c.publishAsync(`${this.opts.parentTopic}/status/${this.groupId}/${this.deviceId}`, body, {
        qos: 1,
      });
      this.counters.statuses++;
    }
  }
}
