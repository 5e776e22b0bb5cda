import { describe, expect, it } from 'vitest';
import type { DispatchRow } from '../../server/tasks/dispatch-repo.js';
import { MessageTooLargeError, packMessages } from '../../server/tasks/task-message.js';

const row = (id: number, taskId = '7', name = `Product ${id}`): DispatchRow => ({
  id: String(id),
  taskId,
  labelId: `ESL-${id}`,
  sku: `SKU${id}`,
  name,
  price: '3.50',
  promoPrice: null,
  currency: 'CNY',
  contentHash: 'a'.repeat(64),
  attempts: 0,
  lastAp: null,
  deadlineAt: new Date('2030-01-01T00:00:00Z'),
});

describe('packMessages', () => {
  it('follows ap-protocol.md: v1 price.update, msgId, expiresAt = the task deadline, decimal strings', () => {
    const [m] = packMessages('esl/task/GID_x', [row(1)], 100, 65536, new Date('2029-01-01T00:00:00Z'));
    const body = JSON.parse(m.payload);
    expect(body).toMatchObject({
      v: 1,
      type: 'price.update',
      taskId: '7',
      issuedAt: '2029-01-01T00:00:00.000Z',
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    expect(body.msgId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.items[0]).toEqual({
      itemId: '1',
      labelId: 'ESL-1',
      sku: 'SKU1',
      name: 'Product 1',
      price: '3.50',
      currency: 'CNY',
      promoPrice: null,
      contentHash: 'a'.repeat(64),
    });
    expect(m.itemIds).toEqual(['1']);
  });

  it('splits by item count, by bytes (64 KB) and by task', () => {
    const rows = Array.from({ length: 250 }, (_, i) => row(i + 1));
    expect(packMessages('t', rows, 100, 65536).map((m) => m.itemIds.length)).toEqual([100, 100, 50]);
    // 500 items with 200-character multi-byte names cannot fit in one 64 KB message
    const big = Array.from({ length: 500 }, (_, i) => row(i + 1, '7', '价'.repeat(200)));
    const msgs = packMessages('t', big, 500, 65536);
    expect(msgs.length).toBeGreaterThan(1);
    for (const m of msgs) expect(Buffer.byteLength(m.payload)).toBeLessThanOrEqual(65536);
    expect(msgs.flatMap((m) => m.itemIds)).toHaveLength(500);
    const mixed = packMessages('t', [row(1, '1'), row(2, '2'), row(3, '1')], 100, 65536);
    expect(mixed.map((m) => [JSON.parse(m.payload).taskId, m.itemIds])).toEqual([
      ['1', ['1', '3']],
      ['2', ['2']],
    ]);
    expect(() => packMessages('t', [row(1, '1', 'x'.repeat(2000))], 10, 1000)).toThrow(MessageTooLargeError);
  });

  it('fills a message with inline images up to its byte limit, and never past it', () => {
    const png = Buffer.alloc(4000, 7);
    const image = { hash: 'b'.repeat(64), width: 296, height: 128, png, data: png.toString('base64') };
    // the same with and without the base64 the port may keep
    for (const img of [image, { ...image, data: undefined }]) {
      const rows = Array.from({ length: 40 }, (_, i) => ({ ...row(i + 1), image: img }));
      const msgs = packMessages('t', rows, 100, 65536);
      const sizes = msgs.map((m) => Buffer.byteLength(m.payload));
      for (const n of sizes) expect(n).toBeLessThanOrEqual(65536);
      // one more item would not have fitted: each full message is within one item of the limit
      const item = Buffer.byteLength(JSON.stringify(JSON.parse(msgs[0].payload).items[0])) + 1;
      for (const n of sizes.slice(0, -1)) expect(n).toBeGreaterThan(65536 - item);
      expect(JSON.parse(msgs[0].payload).items[0].image.data).toBe(image.data);
      expect(msgs.flatMap((m) => m.itemIds)).toHaveLength(40);
    }
  });

  it('writes each payload as the plain JSON of its message, items with and without images', () => {
    const png = Buffer.alloc(3000, 9);
    const image = { hash: 'c'.repeat(64), width: 296, height: 128, png };
    const rows = [
      row(1, '7', 'Cola "330ml" \\ 价'),
      { ...row(2), image },
      { ...row(3), promoPrice: '2.99' },
      { ...row(4), image: { ...image, png: Buffer.alloc(9000, 3) } },
    ];
    const msgs = packMessages('t', rows, 100, 8192);
    const items = msgs.filter((m) => m.itemIds.length);
    expect(items.flatMap((m) => m.itemIds)).toEqual(['1', '2', '3', '4']);
    for (const m of msgs) {
      // the same text JSON.stringify gives for the parsed message: valid JSON, fields in order
      expect(m.payload).toBe(JSON.stringify(JSON.parse(m.payload)));
      expect(Buffer.byteLength(m.payload)).toBeLessThanOrEqual(8192);
    }
    const all = items.flatMap((m) => JSON.parse(m.payload).items);
    expect(all[0].name).toBe('Cola "330ml" \\ 价');
    expect(all[1].image).toEqual({
      type: 'image/png',
      hash: image.hash,
      width: 296,
      height: 128,
      data: png.toString('base64'),
    });
    expect(all[2].promoPrice).toBe('2.99');
    // too large to go inline in 8 KB: named by its number of chunks, which go before it
    expect(all[3].image.chunks).toBe(2);
    expect(Object.keys(JSON.parse(items[0].payload))).toEqual([
      'v',
      'type',
      'msgId',
      'taskId',
      'issuedAt',
      'expiresAt',
      'items',
    ]);
  });
});
