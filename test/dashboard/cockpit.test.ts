// The operations cockpit over a whole platform (real MariaDB, Redis, the platform's own MQTT
// broker, simulated APs on real sockets, headless Chromium): a fleet of three stores, one AP
// stopped, one store with no AP. The dashboard shows the AP offline (count and chart data), the
// task API and page name what blocks which labels and how many will miss the deadline, a
// `failed` ack is retried after its own short backoff while silence keeps the long schedule,
// and the task page follows the task live to its end.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { ApiKeysService } from '../../server/auth/api-keys-service.js';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { launchBrowser, pageProblems, signInAs } from '../support/browser.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { adminClient, USER_PASSWORD, WebClient } from '../support/web-client.js';
import { seedStore, type SeededStore } from '../tasks/support/fixtures.js';
import { signedSimAp } from '../tasks/support/fleet.js';
import { waitFor } from '../support/wait.js';

const SILENCE_MS = 240_000; // an unanswered message waits this long (under the 5 min cap): never within this test
const FAILED_MS = 300;
const SHOTS = process.env.SHOTS_DIR;

let f: BrokerFixture;
let browser: Browser;
let queue: TaskQueue;
let creator: TaskCreator;
let apiKey: string;
const aps: SimAp[] = [];

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) =>
  ((await f.platform.ctx.pool.query(sql, args)) as unknown as [Row[]])[0];

let groups: Map<string, { groupId: string; accessKeyId: string; secret: string }>;
const simAp = (
  g: { groupId: string; accessKeyId: string; secret: string },
  device: string,
  labels: string[],
  failFirst = 0,
) => signedSimAp(f, g, device, { labels, failFirst, random: () => 0.5 });

let A: SeededStore; // three APs, one of them stopped
let B: SeededStore; // one AP whose labels fail their first delivery
let C: SeededStore; // a Group ID without any AP
let stopped: string;
let stoppedLabels: string[];
let taskId: string;

beforeAll(async () => {
  [f, browser] = await Promise.all([
    startBroker({
      TASK_RETRY_BASE_MS: String(SILENCE_MS),
      TASK_FAILED_RETRY_MS: String(FAILED_MS),
      TASK_ITEMS_PER_MESSAGE: '20',
    }),
    launchBrowser(),
  ]);
  queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
  creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
  groups = new Map();
  const pool = f.platform.ctx.pool;
  for (const name of ['A', 'B', 'C']) groups.set(name, await f.newGroup());
  A = await seedStore(pool, { products: 30, labelsPerProduct: 1, groupId: groups.get('A')!.groupId });
  B = await seedStore(pool, { products: 8, labelsPerProduct: 1, groupId: groups.get('B')!.groupId });
  C = await seedStore(pool, { products: 5, labelsPerProduct: 1, groupId: groups.get('C')!.groupId });
  for (let k = 0; k < 3; k++)
    aps.push(
      simAp(
        groups.get('A')!,
        `AP${k}`,
        A.labelIds.filter((_, i) => i % 3 === k),
      ),
    );
  aps.push(simAp(groups.get('B')!, 'AP0', B.labelIds, 1));
  await Promise.all(aps.map((a) => a.start()));
  ({ key: apiKey } = await new ApiKeysService(pool).issue(SYSTEM_ACTOR, null, {
    name: 'erp',
    scopes: ['tasks:read'],
  }));
  const admin = await adminClient(f.platform);
  await admin.createUser({ username: 'op-dash', role: 'operator', password: USER_PASSWORD });
  await admin.createUser({ username: 'aud-dash', role: 'auditor', password: USER_PASSWORD });
}, 120_000);

afterAll(async () => {
  await Promise.all(aps.map((a) => a.stop()));
  await browser?.close();
  await queue?.stop();
  await f?.close();
});

const signIn = (page: Page) => signInAs(page, f.platform.baseUrl, 'op-dash', USER_PASSWORD);

async function shoot(page: Page, name: string) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
    await page.screenshot({ path: `${SHOTS}/${name}-${width}-top.png` });
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll'))
        .slice(0, 8)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`),
    );
    if (wide.length) console.log(name, width, wide);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

const api = async (path: string) => {
  const res = await fetch(`${f.platform.baseUrl}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

describe('operations cockpit', () => {
  it('counts the stopped AP offline on the dashboard, per store and in the chart data', async () => {
    // every label reported by its AP first (so each has a serving AP)
    await waitFor(
      'labels reported',
      () =>
        q('SELECT COUNT(*) AS n FROM labels WHERE group_id IN (?, ?) AND last_ap_client_id IS NOT NULL', [
          A.groupId,
          B.groupId,
        ]),
      { until: (r) => Number(r[0].n) === 38, timeoutMs: 30_000 },
    );
    const victim = aps[1];
    stopped = victim.opts.clientId;
    stoppedLabels = victim.opts.labels;
    await victim.stop();
    await waitFor(
      'stopped AP recorded offline',
      () => q('SELECT online FROM aps WHERE client_id = ?', [stopped]),
      { until: (r) => r[0]?.online === 0, timeoutMs: 30_000 },
    );
    const op = new WebClient(f.platform.baseUrl);
    await op.login('op-dash', USER_PASSWORD);
    // the snapshot is kept a few seconds: wait for one taken after the disconnect
    const snap = await waitFor(
      'dashboard counts the AP offline',
      async () =>
        JSON.parse(
          (await op.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
        ),
      { until: (d) => d.aps.offline === 1, timeoutMs: 30_000 },
    );
    expect(snap.aps).toMatchObject({ total: 4, online: 3, offline: 1 });
    const byStore = Object.fromEntries(snap.aps.stores.map((s: any) => [s.storeId, s])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(byStore[A.storeId]).toMatchObject({ total: 3, online: 2, offline: 1 });
    expect(byStore[A.storeId].offlineSince).not.toBeNull();
    expect(byStore[B.storeId]).toMatchObject({ total: 1, online: 1, offline: 0 });
    expect(byStore[C.storeId]).toMatchObject({ total: 0 });
    expect(snap.aps.storesWithoutAp).toBe(1);
    expect(snap.labels.total).toBe(43);
    expect(snap.labels.never).toBe(5); // store C's labels: no AP has ever reported them
    // content per role, decided on the server: audit figures for auditors and admins, accounts for admins
    expect(snap.audit).toBeUndefined();
    expect(snap.admin).toBeUndefined();
    expect((await op.get('/')).text).not.toContain('data-testid="tile-audit-today"');
    const admin = await adminClient(f.platform);
    const forAdmin = JSON.parse(
      (await admin.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
    );
    expect(forAdmin.admin).toEqual({ users: 3, apiKeys: 1 });
    expect(forAdmin.audit.today).toBeGreaterThan(0);
    expect(forAdmin.audit.unshipped).toBeNull(); // no SLS configured: the trail stays local
    const aud = new WebClient(f.platform.baseUrl);
    await aud.login('aud-dash', USER_PASSWORD);
    const forAuditor = JSON.parse(
      (await aud.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
    );
    expect(forAuditor.audit.today).toBeGreaterThan(0);
    expect(forAuditor.admin).toBeUndefined();
    expect((await aud.get('/')).text).toContain('data-testid="tile-audit-today"');
    const anonymous = new WebClient(f.platform.baseUrl);
    expect(
      (await anonymous.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).status,
    ).toBe(401);

    // the number links to the list behind it, and that list shows the same AP
    const list = await op.get(`/devices/aps?store=${A.storeId}&online=no`);
    expect(list.text).toContain(stopped);
    expect(list.text).toContain('1 AP(s), 0 online');
  });

  it('lists what blocks the task in GET /api/v1/tasks/{id}, with a forecast of missed labels, and retries failed acks after the short backoff', async () => {
    const t = await withTx(f.platform.ctx.pool, async (c) => {
      for (const s of [A, B, C])
        await c.query('UPDATE prices SET price = price + 1 WHERE store_id = ?', [s.storeId]);
      return creator.createInTx(
        c,
        { name: 'op-dash', role: 'operator' },
        [A, B, C].flatMap((s) => s.productIds.map((productId) => ({ storeId: s.storeId, productId }))),
        { source: 'ui' },
      );
    });
    taskId = t!.taskId;
    await creator.enqueue(taskId);
    // everything that can confirm does: A's two online APs, and B's labels on their second attempt
    await waitFor(
      'reachable labels confirmed',
      () => q("SELECT COUNT(*) AS n FROM task_items WHERE task_id = ? AND state = 'confirmed'", [taskId]),
      { until: (r) => Number(r[0].n) === 20 + 8, timeoutMs: 60_000 },
    );
    // (a diagnosis is kept a moment: one taken while B's labels were still failing may answer first)
    const task = await waitFor(
      'diagnosis after the reachable labels confirmed',
      () => api(`/api/v1/tasks/${taskId}`),
      { until: (t) => t.forecast?.open === 15, timeoutMs: 30_000 },
    );
    expect(task.state).toBe('in_progress');
    const blocked = task.blocked.map((b: any) => ({ ...b, since: typeof b.since })); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(blocked).toEqual([
      { reason: 'no_ap', groupId: C.groupId, labels: 5, since: 'string' },
      { reason: 'ap_offline', groupId: A.groupId, clientId: stopped, labels: 10, since: 'string' },
    ]);
    const [ap] = await q('SELECT disconnected_at FROM aps WHERE client_id = ?', [stopped]);
    expect(task.blocked[1].since).toBe((ap.disconnected_at as Date).toISOString());
    expect(task.forecast).toMatchObject({ open: 15, blocked: 15, willMiss: 15, onTrack: 0 });
    // per item too: the stopped AP's labels name it
    const items = await api(`/api/v1/tasks/${taskId}/items?state=sent`);
    const byLabel = new Map(items.items.map((i: any) => [i.labelId, i.blocked])); // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const l of stoppedLabels) expect(byLabel.get(l)).toBe('ap_offline');
    for (const l of C.labelIds) expect(byLabel.get(l)).toBe('no_ap');

    // B: each label failed once, was sent again after the short backoff, and confirmed
    const b = await q('SELECT attempts, state, error FROM task_items WHERE task_id = ? AND group_id = ?', [
      taskId,
      B.groupId,
    ]);
    expect(b.map((r) => [r.attempts, r.state, r.error])).toEqual(Array(8).fill([2, 'confirmed', null]));
    const acts = await q(
      "SELECT action FROM audit_log WHERE object_id = ? AND action IN ('task.items.failed', 'task.items.confirmed') AND actor = ? ORDER BY id",
      [taskId, `${B.groupId}@@@AP0`],
    );
    expect(acts.map((r) => r.action)).toEqual(['task.items.failed', 'task.items.confirmed']);
    expect(aps[3].counters).toMatchObject({ failed: 8, applied: 8 });
    // silence keeps the long schedule: the stopped AP's labels were sent once and wait SILENCE_MS
    // (as the API shows them: while in flight, a first send's state is its task message's)
    const silent = items.items.filter((i: any) => stoppedLabels.includes(i.labelId)); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(silent).toHaveLength(stoppedLabels.length);
    for (const r of silent) {
      expect(r.attempts).toBe(1);
      expect(Date.parse(r.nextRetryAt) - Date.parse(r.lastSentAt)).toBeGreaterThanOrEqual(SILENCE_MS - 1000);
    }

    // the dashboard: one stuck task, 15 labels that will miss
    const op = new WebClient(f.platform.baseUrl);
    await op.login('op-dash', USER_PASSWORD);
    const snap = await waitFor(
      'dashboard counts the stuck task',
      async () =>
        JSON.parse(
          (await op.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
        ),
      { until: (d) => d.tasks.stuck === 1, timeoutMs: 30_000 },
    );
    expect(snap.tasks).toMatchObject({ running: 1, stuck: 1, willMiss: 15 });
    expect(snap.tasks.stuckTasks[0].id).toBe(taskId);
    const stuckList = await op.get('/tasks?stuck=1');
    expect(stuckList.text).toContain(`href="/tasks/${taskId}"`);
    expect(stuckList.text).toContain('15 will miss the deadline');
  });

  it('shows the dashboard with real data and live charts in Chromium', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = pageProblems(page);
    await signIn(page);
    await page.locator('#dash[data-ready="1"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=tile-aps-offline] .num').textContent()).toBe('1');
    expect(await page.locator('[data-testid=tile-aps-offline]').getAttribute('href')).toBe(
      '/devices/aps?online=no',
    );
    expect(await page.locator('[data-testid=tile-tasks-stuck] .num').textContent()).toBe('1');
    expect(await page.locator('[data-testid=tile-will-miss] .num').textContent()).toBe('15');
    // the chart is drawn by Chart.js (served by the app) from the live data
    const code = (await q('SELECT code FROM stores WHERE id = ?', [A.storeId]))[0].code as string;
    const drawn = await page.evaluate((c) => {
      const ch = (window as any).Chart.getChart('chart-aps'); // eslint-disable-line @typescript-eslint/no-explicit-any
      const i = ch.data.labels.indexOf(c);
      return { online: ch.data.datasets[0].data[i], offline: ch.data.datasets[1].data[i], w: ch.width };
    }, code);
    expect(drawn).toMatchObject({ online: 2, offline: 1 });
    expect(drawn.w).toBeGreaterThan(0);
    await expect
      .poll(() =>
        page.locator(`#dash-stores tr[data-store="${A.storeId}"] [data-testid=store-offline]`).textContent(),
      )
      .toBe('1');
    await shoot(page, 'dashboard');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows the diagnosis on the task page and follows the task live when the AP returns', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = pageProblems(page);
    await signIn(page);
    await page.goto(`${f.platform.baseUrl}/tasks/${taskId}`);
    const offlineRow = page.locator('#task-blocked tr[data-reason=ap_offline]');
    await offlineRow.waitFor();
    expect(await offlineRow.textContent()).toContain(stopped);
    expect(await page.locator('#task-blocked tr[data-reason=no_ap]').textContent()).toContain(C.groupId);
    expect(await page.locator('[data-testid=task-forecast]').textContent()).toContain(
      '15 of 15 open label(s) will miss the deadline',
    );
    expect(await page.locator('#task-items [data-blocked=ap_offline]').count()).toBe(10);
    expect(await page.locator('[data-testid=task-state]').textContent()).toBe('Sending');
    await shoot(page, 'task-blocked');
    // the task list says the same, and follows it live too
    const listPage = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const listProblems = pageProblems(listPage);
    await signIn(listPage);
    await listPage.goto(`${f.platform.baseUrl}/tasks`);
    const summary = listPage.locator(`tr[data-task="${taskId}"] [data-testid=task-blocked-summary]`);
    expect(await summary.textContent()).toMatch(/^15 will miss the deadline/);
    expect(await summary.textContent()).toContain(`10 × AP offline (${stopped})`);
    await shoot(listPage, 'task-list');
    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    listPage.on('framenavigated', () => navigations++);

    // The AP returns (same Client ID, persistent session): the queued message reaches it, and the
    // page follows without a reload: its rows confirm, the diagnosis drops it.
    const back = simAp(groups.get('A')!, 'AP1', stoppedLabels);
    aps[1] = back;
    await back.start();
    await page
      .locator('#task-blocked tr[data-reason=ap_offline]')
      .waitFor({ state: 'detached', timeout: 60_000 });
    await expect
      .poll(() => page.locator('#task-items td[data-state=confirmed]').count(), { timeout: 30_000 })
      .toBe(38);
    // (the diagnosis is kept a moment: it may follow the rows by a second or two)
    await expect
      .poll(() => page.locator('[data-testid=task-forecast]').textContent(), { timeout: 30_000 })
      .toMatch(/^\s*5 of 5 open label\(s\)/);
    await expect.poll(() => summary.textContent(), { timeout: 30_000 }).toMatch(/^5 will miss the deadline/);
    expect(await summary.textContent()).not.toContain('AP offline');
    expect(await listPage.locator(`tr[data-task="${taskId}"] [data-field=confirmed]`).textContent()).toBe(
      '38',
    );
    expect(navigations).toBe(0);
    expect(listProblems).toEqual([]);
    await listPage.close();

    // Cancelled looks different from completed: grey outcome, a cancelled segment, no green.
    // cancelling asks first
    expect(await page.locator('#cancel-form button').isVisible()).toBe(false);
    await page.click('#cancel-confirm summary');
    expect(await page.locator('#task-open').textContent()).toBe('5');
    await Promise.all([
      page.waitForURL(`${f.platform.baseUrl}/tasks/${taskId}`),
      page.click('#cancel-form button'),
    ]);
    expect(await page.locator('[data-testid=task-state]').getAttribute('data-state')).toBe('cancelled');
    expect(await page.locator('[data-testid=task-outcome]').getAttribute('data-tone')).toBe('muted');
    expect(await page.locator('.flash.ok').count()).toBe(0);
    expect(
      Number(await page.locator('#task-bar [data-seg=cancelled]').getAttribute('width')),
    ).toBeGreaterThan(0);
    expect(Number(await page.locator('#task-bar [data-seg=confirmed]').getAttribute('width'))).toBeLessThan(
      100,
    );
    // the cancelled labels can be re-sent
    expect(await page.locator('#retry-form button').textContent()).toContain('5 unconfirmed');
    await shoot(page, 'task-cancelled');
    await Promise.all([page.waitForURL(/\/tasks\/\d+$/), page.click('#retry-form button')]);
    const retryId = page.url().split('/').pop()!;
    expect(retryId).not.toBe(taskId);
    const items = await q('SELECT label_id FROM task_items WHERE task_id = ? ORDER BY label_id', [retryId]);
    expect(items.map((r) => r.label_id)).toEqual([...C.labelIds].sort());
    expect(problems).toEqual([]);
    await page.close();

    // The ended task's outcome is on its row, and the dashboard's chart data for this hour shows it.
    const [row] = await q(
      'SELECT items_total, items_confirmed, items_timed_out, items_cancelled, confirm_avg_ms, confirm_max_ms FROM tasks WHERE id = ?',
      [taskId],
    );
    expect(row).toMatchObject({
      items_total: 43,
      items_confirmed: 38,
      items_timed_out: 0,
      items_cancelled: 5,
    });
    expect(Number(row.confirm_max_ms)).toBeGreaterThanOrEqual(Number(row.confirm_avg_ms));
    const op = new WebClient(f.platform.baseUrl);
    await op.login('op-dash', USER_PASSWORD);
    const snap = await waitFor(
      'dashboard counts the finished task and the re-send',
      async () =>
        JSON.parse(
          (await op.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
        ),
      { until: (d) => d.tasks.finishedTodayTotal === 1 && d.tasks.running === 1, timeoutMs: 30_000 },
    );
    expect(snap.tasks.finishedToday).toEqual({ cancelled: 1 });
    expect(snap.series.hours).toHaveLength(24);
    // hour starts as instants, the last one this hour
    expect(Date.parse(snap.series.hours.at(-1)) % 3_600_000).toBe(0);
    expect(Date.now() - Date.parse(snap.series.hours.at(-1))).toBeLessThan(3_600_000 + 60_000);
    expect(snap.series.confirmed.at(-1)).toBe(38);
    expect(snap.series.successRate.at(-1)).toBe(100); // 38 confirmed, none timed out; cancelled ones do not count
    expect(snap.series.avgConfirmSeconds.at(-1)).toBe(Math.round(Number(row.confirm_avg_ms) / 100) / 10);
    // A reader scoped to one store sees that store's labels in the chart data only: B's 8
    // confirmations and their own average; C's (5 cancelled) none at all.
    const admin = await adminClient(f.platform);
    const scoped = async (username: string, storeId: number) => {
      await admin.createUser({ username, role: 'operator', password: USER_PASSWORD });
      const [u] = await q('SELECT id FROM users WHERE username = ?', [username]);
      expect(
        (await admin.post(`/admin/users/${u.id}/stores`, { stores: String(storeId) }, '/admin/users')).status,
      ).toBe(302);
      const c = new WebClient(f.platform.baseUrl);
      await c.login(username, USER_PASSWORD);
      return JSON.parse(
        (await c.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
      );
    };
    const [bAvg] = await q(
      `SELECT COUNT(*) AS n, AVG(TIMESTAMPDIFF(MICROSECOND, t.created_at, i.confirmed_at)) / 1000 AS ms
       FROM task_items i JOIN tasks t ON t.id = i.task_id WHERE i.task_id = ? AND i.store_id = ? AND i.state = 'confirmed'`,
      [taskId, B.storeId],
    );
    expect(Number(bAvg.n)).toBe(8);
    const forB = await scoped('op-only-b', B.storeId);
    expect(forB.series.confirmed.at(-1)).toBe(8);
    expect(forB.series.tasks.at(-1)).toBe(1);
    expect(forB.series.successRate.at(-1)).toBe(100);
    expect(forB.series.avgConfirmSeconds.at(-1)).toBe(Math.round(Number(bAvg.ms) / 100) / 10);
    const forC = await scoped('op-only-c', C.storeId);
    expect(forC.series.confirmed.at(-1)).toBe(0);
    expect(forC.series.successRate.at(-1)).toBeNull();
    expect(forC.series.avgConfirmSeconds.at(-1)).toBeNull();
    const stores = await q(
      'SELECT store_id, items_total, items_confirmed, items_cancelled FROM task_store_outcomes WHERE task_id = ? ORDER BY store_id',
      [taskId],
    );
    expect(stores.map((r) => [r.store_id, r.items_total, r.items_confirmed, r.items_cancelled])).toEqual(
      [
        [A.storeId, 30, 30, 0],
        [B.storeId, 8, 8, 0],
        [C.storeId, 5, 0, 5],
      ].sort((x, y) => x[0] - y[0]),
    );
    // the re-send of store C's labels runs, and is stuck: its Group ID still has no AP
    expect(snap.tasks).toMatchObject({ running: 1, stuck: 1, willMiss: 5 });
    expect(snap.tasks.stuckTasks[0].id).toBe(retryId);

    // an ended task has nothing blocking it and no forecast
    const ended = await api(`/api/v1/tasks/${taskId}`);
    expect(ended).toMatchObject({ state: 'cancelled', blocked: [], forecast: null });
    // and the OpenAPI document describes the diagnosis
    const doc = (await (await fetch(`${f.platform.baseUrl}/api/v1/openapi.json`)).json()) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(doc.components.schemas.TaskBlocked.properties.reason.enum).toEqual([
      'no_ap',
      'quiet_hours',
      'ap_offline',
      'label_unreported',
      'label_unreachable',
      'ap_error',
    ]);
    expect(doc.components.schemas.Task.required).toEqual(expect.arrayContaining(['blocked', 'forecast']));

    // one label at a time: a cancelled one is re-sent alone; a confirmed one, or one not in the task, is refused
    await op.get(`/tasks/${taskId}`);
    const one = await op.post(`/tasks/${taskId}/retry`, { labelId: C.labelIds[0] });
    expect(one.status).toBe(302);
    const oneId = /\/tasks\/(\d+)$/.exec(one.location!)![1];
    expect(
      (await q('SELECT label_id FROM task_items WHERE task_id = ?', [oneId])).map((r) => r.label_id),
    ).toEqual([C.labelIds[0]]);
    for (const labelId of [A.labelIds[0], 'ESL-not-in-this-task']) {
      await op.get(`/tasks/${taskId}`);
      const refused = await op.request('POST', `/tasks/${taskId}/retry`, {
        json: { labelId },
        headers: { 'x-csrf-token': op.lastCsrf },
      });
      expect(refused.status).toBe(409);
    }
    // an auditor re-sends nothing
    const aud = new WebClient(f.platform.baseUrl);
    await aud.login('aud-dash', USER_PASSWORD);
    const page2 = await aud.get(`/tasks/${taskId}`);
    expect(page2.text).not.toContain('id="retry-form"');
    expect((await aud.post(`/tasks/${taskId}/retry`, { labelId: C.labelIds[1] })).status).toBe(403);
  });

  it('shows label and AP health: the bands behind the numbers, one AP with its labels and histories, mismatches with what they display', async () => {
    const op = new WebClient(f.platform.baseUrl);
    await op.login('op-dash', USER_PASSWORD);
    const snap = JSON.parse(
      (await op.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
    );
    // each band's number is the total of the list it links to
    for (const [query, n] of [
      ['seen=never', snap.labels.never],
      ['signal=good', snap.labels.signal.good],
      ['battery=ok', snap.labels.battery.ok],
      ['battery=critical', snap.labels.battery.critical],
    ] as const) {
      const page = await op.get(`/health/labels?${query}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`data-testid="health-total">${n} label(s)`);
    }
    expect(snap.labels.never).toBe(5);
    expect(snap.labels.signal.good).toBe(38); // the simulator reports -65 dBm with its random at 0.5
    const never = await op.get('/health/labels?seen=never');
    for (const l of C.labelIds) expect(never.text).toContain(`data-label="${l}"`);
    expect((await op.get('/health/labels?battery=full')).status).toBe(400);

    // the AP that was stopped and came back: its labels, its status samples, its connections
    const apPage = await op.get(`/health/aps/${encodeURIComponent(stopped)}`);
    expect(apPage.status, apPage.text.slice(0, 3000)).toBe(200);
    expect(apPage.text).toContain('data-testid="ap-health-state">online');
    for (const l of stoppedLabels) expect(apPage.text).toContain(`data-label="${l}"`);
    const actions = [...apPage.text.matchAll(/data-kind="([a-z_]+)"/g)].map((m) => m[1]);
    expect(actions.slice(0, 3)).toEqual(['connect', 'disconnect', 'connect']); // newest first
    const samples = await q('SELECT labels_reported FROM ap_status_log WHERE client_id = ?', [stopped]);
    expect(samples.map((r) => r.labels_reported)).toEqual([10]); // a second report within 5 min adds none
    expect(apPage.text).toContain('data-testid="ap-status-history"');
    expect((await op.get('/health/aps/GID_nope@@@X')).status).toBe(404);
    const apList = await op.get(`/devices/aps?q=${encodeURIComponent(stopped)}`);
    expect(apList.text).toContain(`href="/health/aps/${encodeURIComponent(stopped)}"`);

    // a price changed behind the labels' back: they still show the price our task put there
    await f.platform.ctx.pool.query('UPDATE prices SET price = 7.00 WHERE store_id = ?', [B.storeId]);
    const mm = await op.get(`/devices/mismatches?store=${B.storeId}`);
    expect(mm.text).toContain('data-testid="mismatch-total">8 label(s)');
    const shown = [...mm.text.matchAll(/data-testid="mismatch-displayed">([^<]+)</g)].map((m) => m[1].trim());
    expect(shown).toEqual(Array(8).fill('2.00'));
    const states = [...mm.text.matchAll(/data-testid="mismatch-ap-state">([a-z]+)</g)].map((m) => m[1]);
    expect(states).toEqual(Array(8).fill('online'));

    // in the browser: the AP page draws its status chart under the CSP
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = pageProblems(page);
    await signIn(page);
    await page.goto(`${f.platform.baseUrl}/health/aps/${encodeURIComponent(stopped)}`);
    await expect
      .poll(
        () => page.evaluate(() => (window as any).Chart?.getChart('chart-ap-status')?.data.datasets[0].data), // eslint-disable-line @typescript-eslint/no-explicit-any
      )
      .toEqual([10]);
    await shoot(page, 'ap-health');
    await page.goto(`${f.platform.baseUrl}/health/labels?store=${A.storeId}`);
    await shoot(page, 'label-health');
    await page.goto(`${f.platform.baseUrl}/devices/mismatches?store=${B.storeId}`);
    await shoot(page, 'mismatches');
    expect(problems).toEqual([]);
    await page.close();
  });
});
