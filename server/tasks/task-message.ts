// Builds task messages per ap-protocol.md ("Task", v1): at most `maxItems` items and
// `maxBytes` bytes of UTF-8 JSON per message, one task per message.
import crypto from 'node:crypto';
import type { DispatchRow } from './dispatch-repo.js';

export interface TaskMessageItem {
  itemId: string;
  labelId: string;
  sku: string;
  name: string;
  price: string;
  currency: string;
  promoPrice: string | null;
  contentHash: string;
  /** for image-capable APs only (docs/ap-protocol-image.md): inline data, or the number of chunks */
  image?: { type: 'image/png'; hash: string; width: number; height: number; data?: string; chunks?: number };
}

/** The rendered image of an item, attached by the dispatcher for groups with image-capable APs. */
export interface ItemImage {
  hash: string;
  width: number;
  height: number;
  png: Buffer;
  /** the PNG in base64, when the port keeps it (an image sent to many labels is encoded once) */
  data?: string;
}

export interface TaskMessage {
  v: 1;
  type: 'price.update';
  msgId: string;
  taskId: string;
  issuedAt: string;
  expiresAt: string;
  items: TaskMessageItem[];
}

export interface OutgoingMessage {
  topic: string;
  msgId: string;
  itemIds: string[];
  payload: string;
}

export class MessageTooLargeError extends Error {
  override name = 'MessageTooLargeError';
}

const toItem = (r: DispatchRow & { image?: ItemImage }): TaskMessageItem => ({
  itemId: String(r.id),
  labelId: r.labelId,
  sku: r.sku,
  name: r.name,
  price: r.price,
  currency: r.currency,
  promoPrice: r.promoPrice,
  contentHash: r.contentHash,
});

/** Room left in a message for the envelope and the other fields of an image chunk. */
const CHUNK_OVERHEAD = 512;

/**
 * An item's image inline when the item alone fits a message with it; else the item names the
 * number of chunks and the chunks go as `image.chunk` messages on the same topic before it.
 */
function withImage(it: TaskMessageItem, img: ItemImage, emptyBytes: number, maxBytes: number, topic: string) {
  const data = img.data ?? img.png.toString('base64');
  const meta = { type: 'image/png' as const, hash: img.hash, width: img.width, height: img.height };
  // base64 is ASCII and needs no escaping in JSON: spliced into the item's JSON as is, and its
  // length adds to the rest (the image data is not copied through JSON.stringify)
  const open = JSON.stringify({ ...it, image: { ...meta, data: '' } });
  const bytes = Buffer.byteLength(open) + data.length + 1;
  if (emptyBytes + bytes <= maxBytes) {
    // `open` ends with `"data":""}}`: the data goes between those quotes
    const json = `${open.slice(0, -3)}${data}"}}`;
    return { json, bytes, chunks: [] };
  }
  const per = maxBytes - CHUNK_OVERHEAD;
  if (per < 1024)
    throw new MessageTooLargeError(`messages of ${maxBytes} bytes are too small for image chunks`);
  const total = Math.ceil(data.length / per);
  const chunks: OutgoingMessage[] = [];
  for (let index = 0; index < total; index++) {
    const msgId = crypto.randomUUID();
    const payload = JSON.stringify({
      v: 1,
      type: 'image.chunk',
      msgId,
      hash: img.hash,
      index,
      total,
      data: data.slice(index * per, (index + 1) * per),
    });
    chunks.push({ topic, msgId, itemIds: [], payload });
  }
  const json = JSON.stringify({ ...it, image: { ...meta, chunks: total } });
  return { json, bytes: Buffer.byteLength(json) + 1, chunks };
}

/** Packs rows bound for one topic into messages; rows of different tasks never share a message. */
export function packMessages(
  topic: string,
  rows: (DispatchRow & { image?: ItemImage })[],
  maxItems: number,
  maxBytes: number,
  now = new Date(),
): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  const byTask = new Map<string, (DispatchRow & { image?: ItemImage })[]>();
  for (const r of rows) {
    const k = String(r.taskId);
    const list = byTask.get(k) ?? byTask.set(k, []).get(k)!;
    list.push(r);
  }
  for (const [taskId, list] of byTask) {
    // A message expires with its task: after the deadline the platform no longer waits for it.
    const expiresAt = new Date(list[0].deadlineAt).toISOString();
    const envelope = (msgId: string): TaskMessage => ({
      v: 1,
      type: 'price.update',
      msgId,
      taskId,
      issuedAt: now.toISOString(),
      expiresAt,
      items: [],
    });
    // Each item is turned into JSON once: its size is measured on that text and the message's
    // payload is the envelope (`items` last) with the items' texts joined in.
    const emptyBytes = Buffer.byteLength(JSON.stringify(envelope(crypto.randomUUID())));
    let ids: string[] = [];
    let texts: string[] = [];
    let bytes = emptyBytes;
    const flush = () => {
      if (!texts.length) return;
      const msgId = crypto.randomUUID();
      const empty = JSON.stringify(envelope(msgId)); // ends with `"items":[]}`
      out.push({ topic, msgId, itemIds: ids, payload: `${empty.slice(0, -2)}${texts.join(',')}]}` });
      ids = [];
      texts = [];
      bytes = emptyBytes;
    };
    for (const r of list) {
      const it = toItem(r);
      let json: string;
      let size: number;
      if (r.image) {
        const w = withImage(it, r.image, emptyBytes, maxBytes, topic);
        json = w.json;
        size = w.bytes;
        // chunks first, so the AP holds the whole image when the item arrives (MQTT keeps the order per topic)
        out.push(...w.chunks);
      } else {
        json = JSON.stringify(it);
        size = Buffer.byteLength(json) + 1;
      }
      if (emptyBytes + size > maxBytes)
        throw new MessageTooLargeError(`item ${it.itemId} alone exceeds ${maxBytes} bytes`);
      if (texts.length >= maxItems || bytes + size > maxBytes) flush();
      ids.push(it.itemId);
      texts.push(json);
      bytes += size;
    }
    flush();
  }
  return out;
}
