// The confirmation statement on its own, over real MariaDB: each confirmed item row ends exact on
// its own (its AP, time, and its task message's attempts, send time and id when it was confirmed
// out of one) and its label shows what it confirmed, whichever AP answered which items.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTx } from '../../server/db/pool.js';
import { execute, queryRows } from '../../server/db/query.js';
import { confirmItems, type CoveringMessage } from '../../server/tasks/ack-repo.js';
import { migratedDatabase } from '../support/env.js';
import { seedStore } from './support/fixtures.js';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let ids: string[];
let taskId: string;
let groupId: string;

beforeAll(async () => {
  db = await migratedDatabase();
  const store = await seedStore(db.pool, { products: 9, labelsPerProduct: 1 });
  groupId = store.groupId;
  const t = await execute(
    db.pool,
    "INSERT INTO tasks (state, source, created_by, deadline_at) VALUES ('in_progress', 'api', 'op1', NOW(3) + INTERVAL 1 HOUR)",
  );
  taskId = String(t.insertId);
  await execute(
    db.pool,
    `INSERT INTO task_items (task_id, label_id, store_id, group_id, product_id, sku, name, price, currency, content_hash)
     SELECT ?, l.label_id, l.store_id, l.group_id, l.product_id, p.sku, p.name, '1.00', 'CNY', SHA2(l.label_id, 256)
     FROM labels l JOIN products p ON p.id = l.product_id WHERE l.group_id = ? ORDER BY l.label_id`,
    [taskId, groupId],
  );
  ids = (
    await queryRows<{ id: number }>(db.pool, 'SELECT id FROM task_items WHERE task_id = ? ORDER BY id', [
      taskId,
    ])
  ).map((r) => String(r.id));
  // the last item was re-sent on its own: its row carries its attempts, send time and message id
  await execute(
    db.pool,
    "UPDATE task_items SET state = 'sent', attempts = 3, last_sent_at = '2026-01-01 00:00:03.000', last_msg_id = 'own' WHERE id = ?",
    [ids[8]],
  );
});
afterAll(async () => {
  await db?.drop();
});

const message = (id: string, from: number, to: number, attempts: number, sentAt: string, msgId: string) => ({
  id,
  taskId,
  groupId,
  fromId: ids[from],
  toId: ids[to],
  attempts,
  sentAt: new Date(sentAt),
  msgId,
});

describe('confirmItems', () => {
  it('writes each item its own message fields and AP, and its label what it shows', async () => {
    // three messages: two sent in one round (same send time), one re-sent (two attempts)
    const m1: CoveringMessage = message('1', 0, 2, 1, '2026-01-01T00:00:01.000Z', 'msg-1');
    const m2: CoveringMessage = message('2', 3, 5, 1, '2026-01-01T00:00:01.000Z', 'msg-2');
    const m3: CoveringMessage = message('3', 6, 7, 2, '2026-01-01T00:00:02.000Z', 'msg-3');
    const at = new Date('2026-01-01T00:01:00.000Z');
    // AP a answers items of all three messages, AP b the rest and the item re-sent on its own
    const byAp = new Map([
      ['ap-a', [ids[0], ids[1], ids[3], ids[6]]],
      ['ap-b', [ids[2], ids[4], ids[5], ids[7], ids[8]]],
    ]);
    const fromMessages = [
      { ...m1, itemIds: [ids[0], ids[1], ids[2]] },
      { ...m2, itemIds: [ids[3], ids[4], ids[5]] },
      { ...m3, itemIds: [ids[6], ids[7]] },
    ];
    await withTx(db.pool, (c) => confirmItems(c, byAp, at, fromMessages));

    const rows = await queryRows<{
      id: number;
      state: string;
      attempts: number;
      last_sent_at: Date;
      last_msg_id: string;
      confirmed_by: string;
      confirmed_at: Date;
      displayed_hash: string;
      content_hash: string;
      last_ap_client_id: string;
      last_confirmed_at: Date;
    }>(
      db.pool,
      `SELECT i.id, i.state, i.attempts, i.last_sent_at, i.last_msg_id, i.confirmed_by, i.confirmed_at, i.content_hash,
         l.displayed_hash, l.last_ap_client_id, l.last_confirmed_at
       FROM task_items i JOIN labels l ON l.label_id = i.label_id WHERE i.task_id = ? ORDER BY i.id`,
      [taskId],
    );
    const expected = [
      [1, '2026-01-01T00:00:01.000Z', 'msg-1', 'ap-a'],
      [1, '2026-01-01T00:00:01.000Z', 'msg-1', 'ap-a'],
      [1, '2026-01-01T00:00:01.000Z', 'msg-1', 'ap-b'],
      [1, '2026-01-01T00:00:01.000Z', 'msg-2', 'ap-a'],
      [1, '2026-01-01T00:00:01.000Z', 'msg-2', 'ap-b'],
      [1, '2026-01-01T00:00:01.000Z', 'msg-2', 'ap-b'],
      [2, '2026-01-01T00:00:02.000Z', 'msg-3', 'ap-a'],
      [2, '2026-01-01T00:00:02.000Z', 'msg-3', 'ap-b'],
      [3, '2026-01-01T00:00:03.000Z', 'own', 'ap-b'],
    ];
    expect(
      rows.map((r) => [Number(r.attempts), r.last_sent_at.toISOString(), r.last_msg_id, r.confirmed_by]),
    ).toEqual(expected);
    for (const r of rows) {
      expect(r.state).toBe('confirmed');
      expect(r.confirmed_at.toISOString()).toBe(at.toISOString());
      expect(r.displayed_hash).toBe(r.content_hash);
      expect(r.last_ap_client_id).toBe(r.confirmed_by);
      expect(r.last_confirmed_at.toISOString()).toBe(at.toISOString());
    }
  });
});
