// A dashboard page view never waits for the snapshot's queries while a recent snapshot is at
// hand (real MariaDB): past its time, it gets the one at hand while the next is computed, and
// the readers after it (and the live stream, which always waits) get the new one. Too old a
// snapshot is never handed out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardService } from '../../server/dashboard/dashboard-service.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskFinisher } from '../../server/tasks/task-finisher.js';
import { TaskService } from '../../server/tasks/task-service.js';
import { seedStore } from '../tasks/support/fixtures.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

const CACHE_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let p: TestPlatform;
let dashboard: DashboardService;

beforeAll(async () => {
  p = await startTestPlatform({ ROLES: 'web' });
  const pool = p.ctx.pool;
  const tasks = new TaskService(
    pool,
    new TaskCreator(pool, p.config, async () => {}),
    new TaskFinisher(pool),
  );
  dashboard = new DashboardService(pool, tasks, false, CACHE_MS, 0);
});
afterAll(() => p?.close());

describe('dashboard snapshot past its time', () => {
  it('is handed to a page view while the next is computed, never to the live stream', async () => {
    const first = await dashboard.snapshot();
    // within its time: every reader gets it
    expect(await dashboard.snapshot(undefined, { stale: true })).toBe(first);
    const before = first.aps.stores.length;
    await seedStore(p.ctx.pool, { products: 1, labelsPerProduct: 1 });
    await sleep(CACHE_MS + 50);

    // past its time: the page view gets the one at hand, and the next is computed meanwhile
    const pageView = await dashboard.snapshot(undefined, { stale: true });
    expect(pageView).toBe(first);
    // a reader that waits (the live stream) gets the new one, the one being computed
    const stream = await dashboard.snapshot();
    expect(stream).not.toBe(first);
    expect(stream.aps.stores).toHaveLength(before + 1);
    // and the next page view gets it too
    expect(await dashboard.snapshot(undefined, { stale: true })).toBe(stream);
  });

  it('is not handed out once it is too old (4 x its time)', async () => {
    const old = await dashboard.snapshot();
    await seedStore(p.ctx.pool, { products: 1, labelsPerProduct: 1 });
    await sleep(CACHE_MS * 4 + 50);
    const view = await dashboard.snapshot(undefined, { stale: true });
    expect(view).not.toBe(old);
    expect(view.aps.stores).toHaveLength(old.aps.stores.length + 1);
  });
});
