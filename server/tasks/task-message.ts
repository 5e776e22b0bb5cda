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

const toItem = (r: DispatchRow): TaskMessageItem => ({
  itemId: String(r.id),
  labelId: r.labelId,
  sku: r.sku,
  name: r.name,
  price: r.price,
  currency: r.currency,
  promoPrice: r.promoPrice,
  contentHash: r.contentHash,
});

/** Packs rows bound for one topic into messages; rows of different tasks never share a message. */
export function packMessages(
  topic: string,
  rows: DispatchRow[],
  maxItems: number,
  maxBytes: number,
  now = new Date(),
): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  const byTask = new Map<string, DispatchRow[]>();
  for (const r of rows) {
    const k = String(r.taskId);
    const list = byTask.get(k) ?? byTask.set(k, []).get(k)!;
    list.push(r);
  }
  for (const [taskId, list] of byTask) {
    // A message expires with its task: after the deadline the platform no longer waits for it.
    const expiresAt = new Date(list[0].deadlineAt).toISOString();
    const envelope = (items: TaskMessageItem[]): TaskMessage => ({
      v: 1,
      type: 'price.update',
      msgId: crypto.randomUUID(),
      taskId,
      issuedAt: now.toISOString(),
      expiresAt,
      items,
    });
    const emptyBytes = Buffer.byteLength(JSON.stringify(envelope([])));
    let items: TaskMessageItem[] = [];
    let bytes = emptyBytes;
    const flush = () => {
      if (!items.length) return;
      const m = envelope(items);
      out.push({ topic, msgId: m.msgId, itemIds: items.map((i) => i.itemId), payload: JSON.stringify(m) });
      items = [];
      bytes = emptyBytes;
    };
    for (const r of list) {
      const it = toItem(r);
      const size = Buffer.byteLength(JSON.stringify(it)) + 1;
      if (emptyBytes + size > maxBytes)
        throw new MessageTooLargeError(`item ${it.itemId} alone exceeds ${maxBytes} bytes`);
      if (items.length >= maxItems || bytes + size > maxBytes) flush();
      items.push(it);
      bytes += size;
    }
    flush();
  }
  return out;
}
