// One dispatch round on its own (the pipeline's worker and sweeper stopped), over real MariaDB
// and MQTT (mosquitto): what a round sends, and whether it says the group has more to send now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTx } from '../../server/db/pool.js';
import { execute, queryRows } from '../../server/db/query.js';
import { countInflightMessages } from '../../server/tasks/dispatch-repo.js';
import { GroupDispatcher } from '../../server/tasks/group-dispatcher.js';
import { seedStore } from './support/fixtures.js';
import { startHarness, type Harness } from './support/harness.js';
import { Mosquitto, mqttDownlink } from './support/mosquitto.js';

let h: Harness<Awaited<ReturnType<typeof mqttDownlink>>>;
let broker: Mosquitto;

beforeAll(async () => {
  broker = new Mosquitto();
  await broker.start();
  h = await startHarness({ TASK_ITEMS_PER_MESSAGE: '10', TASK_GROUP_INFLIGHT: '3' }, (prefix) =>
    mqttDownlink(broker.url, `platform-${prefix}`),
  );
  // only the rounds this test runs
  await h.pipeline.sweeper.stop();
  await h.pipeline.dispatch.stop();
});
afterAll(async () => {
  await h?.downlink.close();
  await h?.close();
  await broker?.close();
});

describe('a dispatch round', () => {
  it('fills the window and then reports nothing more to send until answers free it', async () => {
    const store = await seedStore(h.ctx.pool, { products: 45, labelsPerProduct: 1 });
    const task = await withTx(h.ctx.pool, (c) =>
      h.creator.createInTx(
        c,
        { name: 'op1', role: 'operator' },
        store.productIds.map((productId) => ({ storeId: store.storeId, productId })),
        { source: 'api' },
      ),
    );
    await execute(h.ctx.pool, "UPDATE tasks SET state = 'in_progress' WHERE id = ?", [task!.taskId]);
    const d = new GroupDispatcher(h.ctx.pool, h.config, h.downlink, h.ctx.log);

    // 45 items, 10 per message, a window of 3: the round fills the window, and says so
    const first = await d.round(store.groupId);
    expect(first).toEqual({ published: 3, items: 30, more: false });
    expect(await countInflightMessages(h.ctx.pool, store.groupId)).toBe(3);
    expect(await d.round(store.groupId)).toEqual({ published: 0, items: 0, more: false });

    // answers free two places: the rest goes, and nothing is left
    await execute(
      h.ctx.pool,
      'UPDATE task_messages SET answered_at = NOW(3) WHERE task_id = ? ORDER BY id LIMIT 2',
      [task!.taskId],
    );
    expect(await d.round(store.groupId)).toEqual({ published: 2, items: 15, more: false });
    const msgs = await queryRows<{ n: number }>(
      h.ctx.pool,
      'SELECT to_id - from_id + 1 AS n FROM task_messages WHERE task_id = ? ORDER BY id',
      [task!.taskId],
    );
    expect(msgs.map((m) => Number(m.n))).toEqual([10, 10, 10, 10, 5]);
  });
});
