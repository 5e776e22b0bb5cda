// A real browser on the task page: the counts, the progress bar and the per-AP table follow
// the task to 100 % without a reload (server-sent events, public/tasks.js under the CSP).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { launchBrowser, pageProblems, signInAs } from '../support/browser.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { adminClient, USER_PASSWORD } from '../support/web-client.js';
import { seedStore } from './support/fixtures.js';
import { signedSimAp } from './support/fleet.js';

let f: BrokerFixture;
let browser: Browser;
let queue: TaskQueue;
let ap: SimAp;

beforeAll(async () => {
  // one message of 4 labels at a time, acked after 700 ms: the task takes a few seconds
  [f, browser] = await Promise.all([
    startBroker({ TASK_GROUP_INFLIGHT: '1', TASK_ITEMS_PER_MESSAGE: '4' }),
    launchBrowser(),
  ]);
  queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
});
afterAll(async () => {
  await ap?.stop();
  await browser?.close();
  await queue?.stop();
  await f?.close();
});

describe('task page', () => {
  it('shows live progress to completion without a reload', async () => {
    const g = await f.newGroup();
    const s = await seedStore(f.platform.ctx.pool, { products: 16, labelsPerProduct: 1, groupId: g.groupId });
    const clientId = `${g.groupId}@@@AP0`;
    ap = signedSimAp(f, g, 'AP0', { labels: s.labelIds, latencyMs: 700 });
    await ap.start();
    const admin = await adminClient(f.platform);
    expect(
      (await admin.createUser({ username: 'op-live', role: 'operator', password: USER_PASSWORD })).status,
    ).toBe(200);

    const page = await browser.newPage();
    const problems = pageProblems(page);
    await signInAs(page, f.platform.baseUrl, 'op-live', USER_PASSWORD);

    const creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
    const t = await withTx(f.platform.ctx.pool, (c) =>
      creator.createInTx(
        c,
        { name: 'op-live', role: 'operator' },
        s.productIds.map((productId) => ({ storeId: s.storeId, productId })),
        { source: 'ui' },
      ),
    );
    await page.goto(`${f.platform.baseUrl}/tasks/${t!.taskId}`);
    const first = Number(await page.locator('[data-count=confirmed]').textContent());
    expect(first).toBeLessThan(16);
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    // The task starts only now that the page is loaded and its deferred script follows the events:
    // enqueued before the browser signed in, it could finish before a slow browser showed the page.
    // (It is created just before the page, so the sweeper's 5 s stranded-task pickup starts it no earlier.)
    await creator.enqueue(t!.taskId);
    await page
      .locator('[data-testid=task-state]')
      .filter({ hasText: 'completed' })
      .waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-count=confirmed]').textContent()).toBe('16');
    expect(await page.locator('[data-testid=task-done]').textContent()).toBe('16');
    expect(await page.locator('#task-bar [data-seg=confirmed]').getAttribute('width')).toBe('100');
    expect(await page.locator('[data-testid=task-outcome]').getAttribute('data-tone')).toBe('ok');
    expect(await page.locator('#task-aps').textContent()).toContain(clientId);
    expect(await page.locator('#cancel-form').count()).toBe(0);
    // The per-label rows are swapped in once the task is final: every label shows 'confirmed'.
    await expect
      .poll(() =>
        page
          .locator('#task-items tr td[data-state]')
          .evaluateAll((tds) => tds.map((td) => td.getAttribute('data-state'))),
      )
      .toEqual(Array(16).fill('confirmed'));
    expect(navigations).toBe(0);
    expect(problems).toEqual([]);
  });
});
