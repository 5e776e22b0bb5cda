// The pushed live views in a real browser: a task page and the dashboard, open while a task runs,
// show its progress as it happens (no reload) from the shared snapshots (server/core/live-hub.ts).
// With SHOTS_DIR set, screenshots at 1280 and 390 px for a person to look at.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { launchBrowser, pageProblems, signInAs } from '../support/browser.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { seedStore } from './support/fixtures.js';
import { signedSimAp } from './support/fleet.js';

const SHOTS = process.env.SHOTS_DIR;
let f: BrokerFixture;
let queue: TaskQueue;
let browser: Browser;
const aps: SimAp[] = [];

beforeAll(async () => {
  f = await startBroker({ TASK_RETRY_BASE_MS: '1000' });
  queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await Promise.all(aps.map((a) => a.stop()));
  await queue?.stop();
  await f?.close();
});

describe('live views in the browser', () => {
  it('the task page and the dashboard show a running task confirm, pushed', async () => {
    const g = await f.newGroup();
    const s = await seedStore(f.platform.ctx.pool, { products: 60, labelsPerProduct: 1, groupId: g.groupId });
    const creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
    // its APs are not connected yet: the task runs, its labels wait
    const t = await withTx(f.platform.ctx.pool, (c) =>
      creator.createInTx(
        c,
        { name: 'erp', role: 'api' },
        s.productIds.map((productId) => ({ storeId: s.storeId, productId })),
        { source: 'api' },
      ),
    );
    await creator.enqueue(t!.taskId);

    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const taskPage = await ctx.newPage();
    const problems = pageProblems(taskPage);
    await signInAs(taskPage, f.platform.baseUrl, 'admin', f.platform.adminPassword);
    const dash = await ctx.newPage();
    await dash.goto(`${f.platform.baseUrl}/`);
    await dash.waitForSelector('#dash[data-ready="1"]');
    const finished = Number(await dash.textContent('[data-k="tasks.finishedTodayTotal"]'));
    expect(await dash.textContent('[data-k="tasks.running"]')).toBe('1');
    await taskPage.goto(`${f.platform.baseUrl}/tasks/${t!.taskId}`);
    expect(await taskPage.textContent('#task-done')).toBe('0');
    if (SHOTS)
      for (const width of [1280, 390]) {
        await taskPage.setViewportSize({ width, height: 900 });
        await taskPage.screenshot({ path: `${SHOTS}/live-task-running-${width}.png`, fullPage: true });
      }

    for (let k = 0; k < 2; k++) {
      const ap = signedSimAp(f, g, `AP${k}`, {
        labels: s.labelIds.filter((_l, i) => i % 2 === k),
        latencyMs: 300,
      });
      await ap.start();
      aps.push(ap);
    }
    // the open page follows the task to its end without a reload
    await taskPage.waitForFunction(() => document.getElementById('task-done')?.textContent === '60', null, {
      timeout: 60_000,
    });
    await taskPage.waitForSelector('#task-state[data-state="completed"]', { timeout: 30_000 });
    // and so does the dashboard
    await dash.waitForFunction(
      (n) => Number(document.querySelector('[data-k="tasks.finishedTodayTotal"]')?.textContent) === n + 1,
      finished,
      { timeout: 30_000 },
    );
    expect(await dash.textContent('[data-k="tasks.running"]')).toBe('0');
    expect(problems).toEqual([]);
    if (SHOTS)
      for (const width of [1280, 390]) {
        await taskPage.setViewportSize({ width, height: 900 });
        await taskPage.screenshot({ path: `${SHOTS}/live-task-done-${width}.png`, fullPage: true });
        await dash.setViewportSize({ width, height: 900 });
        await dash.screenshot({ path: `${SHOTS}/live-dashboard-${width}.png`, fullPage: true });
      }
    await ctx.close();
  }, 150_000);
});
