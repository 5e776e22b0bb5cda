// Alerts over a whole platform (real MariaDB, Redis, the platform's broker, a simulated AP on a
// real socket): an admin sets the thresholds, the worker opens an alert for an AP offline longer
// than its threshold, an operator acknowledges it, and it resolves when the AP returns; every
// step is audited and only the right roles may act.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import type { SimAp } from '../../sim/sim-ap.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { adminClient, newUserClient, USER_PASSWORD, WebClient } from '../support/web-client.js';
import { seedStore } from '../tasks/support/fixtures.js';
import { signedSimAp } from '../tasks/support/fleet.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: { groupId: string; accessKeyId: string; secret: string };
let labels: string[];
let ap: SimAp;

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) =>
  ((await f.platform.ctx.pool.query(sql, args)) as unknown as [Row[]])[0];

const newAp = () => signedSimAp(f, g, 'AP0', { labels });

const user = (role: 'operator' | 'auditor') => newUserClient(f.platform, role, `${role}-alerts`);

/** Screenshots for a person to look at (SHOTS_DIR set), at 1280 and 390 px. */
async function screenshots(paths: string[]) {
  const { launchBrowser, signInAs } = await import('../support/browser.js');
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signInAs(page, f.platform.baseUrl, 'operator-alerts', USER_PASSWORD);
    for (const p of paths) {
      await page.goto(`${f.platform.baseUrl}${p}`);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.waitForTimeout(500);
        const name = p.replace(/\//g, '_') || 'home';
        await page.screenshot({
          path: `${process.env.SHOTS_DIR}/alerts${name}-${width}.png`,
          fullPage: true,
        });
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  } finally {
    await browser.close();
  }
}

const RULES = {
  ap_offline_minutes: '0.01', // 0.6 s
  ap_offline_minutes_on: '1',
  battery_below_mv: '2500',
  battery_below_mv_on: '1',
  task_will_miss_labels: '1',
  task_will_miss_labels_on: '1',
  mismatch_minutes: '30',
  mismatch_minutes_on: '1',
  failure_rate_percent: '5',
  failure_rate_percent_on: '1',
};

beforeAll(async () => {
  f = await startBroker({ ALERT_INTERVAL_MS: '300' });
  g = await f.newGroup();
  labels = (await seedStore(f.platform.ctx.pool, { products: 3, labelsPerProduct: 1, groupId: g.groupId }))
    .labelIds;
  ap = newAp();
  await ap.start();
});
afterAll(async () => {
  await ap?.stop();
  await f?.close();
});

describe('alerts', () => {
  it('lets only admins set the rules, with clear errors, audited', async () => {
    const admin = await adminClient(f.platform);
    const bad = await admin.post('/alerts/rules', { ...RULES, ap_offline_minutes: 'soon' }, '/alerts/rules');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('data-field="ap_offline_minutes"');
    expect(await q("SELECT threshold FROM alert_rules WHERE kind = 'ap_offline_minutes'")).toEqual([
      { threshold: '5.00' },
    ]);
    const ok = await admin.post('/alerts/rules', RULES, '/alerts/rules');
    expect(ok.status).toBe(302);
    expect(await q("SELECT threshold, enabled FROM alert_rules WHERE kind = 'ap_offline_minutes'")).toEqual([
      { threshold: '0.01', enabled: 1 },
    ]);
    expect(await q("SELECT actor FROM audit_log WHERE action = 'alert.rules.updated'")).toEqual([
      { actor: 'admin' },
    ]);
    const op = await user('operator');
    expect((await op.post('/alerts/rules', RULES, '/alerts/rules')).status).toBe(403);
    expect((await op.get('/alerts/rules')).status).toBe(200);
  });

  it('opens an alert for an AP offline past its threshold, takes an acknowledgement, and resolves when the AP returns', async () => {
    const clientId = ap.opts.clientId;
    await waitFor('AP online', () => q('SELECT online FROM aps WHERE client_id = ?', [clientId]), {
      until: (r) => r[0]?.online === 1,
      timeoutMs: 30_000,
    });
    expect(await q("SELECT id FROM alerts WHERE kind = 'ap_offline_minutes'")).toEqual([]);
    await ap.stop();
    const [alert] = await waitFor(
      'alert opened',
      () =>
        q(
          `SELECT a.id, a.state, a.summary, TIMESTAMPDIFF(MICROSECOND, p.disconnected_at, a.opened_at) AS after_us
           FROM alerts a JOIN aps p ON p.client_id = a.subject WHERE a.kind = 'ap_offline_minutes' AND a.subject = ?`,
          [clientId],
        ),
      { until: (r) => r.length === 1, timeoutMs: 30_000 },
    );
    expect(alert.state).toBe('open');
    expect(String(alert.summary)).toContain(`AP ${clientId} offline since`);
    // not before its threshold: the AP had been offline 0.6 s at least
    expect(Number(alert.after_us)).toBeGreaterThanOrEqual(600_000);
    const id = String(alert.id);
    expect(
      await q("SELECT actor, refs FROM audit_log WHERE action = 'alert.opened' AND object_id = ?", [id]),
    ).toEqual([{ actor: 'system', refs: expect.stringContaining(`ap:${clientId}`) }]);

    const op = new WebClient(f.platform.baseUrl);
    await op.login('operator-alerts', USER_PASSWORD);
    const list = await op.get('/alerts');
    expect(list.text).toContain(`data-subject="${clientId}" data-state="open"`);
    const dash = await waitFor(
      'dashboard counts the alert',
      async () =>
        JSON.parse(
          (await op.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
        ),
      { until: (d) => d.alerts.open === 1, timeoutMs: 30_000 },
    );
    expect(dash.alerts).toEqual({ open: 1, acknowledged: 0 });

    if (process.env.SHOTS_DIR) await screenshots(['/alerts', '/', '/alerts/rules']);
    const auditor = await user('auditor');
    expect((await auditor.post(`/alerts/${id}/acknowledge`, {}, '/alerts')).status).toBe(403);
    expect((await op.post(`/alerts/${id}/acknowledge`, {}, '/alerts')).status).toBe(302);
    expect(await q('SELECT state, acknowledged_by FROM alerts WHERE id = ?', [id])).toEqual([
      { state: 'acknowledged', acknowledged_by: 'operator-alerts' },
    ]);
    expect((await op.post(`/alerts/${id}/acknowledge`, {}, '/alerts')).status).toBe(409);
    expect(
      await q("SELECT actor FROM audit_log WHERE action = 'alert.acknowledged' AND object_id = ?", [id]),
    ).toEqual([{ actor: 'operator-alerts' }]);

    // the AP returns: the evaluator resolves the alert by itself, and opens no other
    ap = newAp();
    await ap.start();
    await waitFor('alert resolved', () => q('SELECT state, resolved_by FROM alerts WHERE id = ?', [id]), {
      until: (r) => r[0].state === 'resolved',
      timeoutMs: 30_000,
    });
    expect(await q('SELECT resolved_by, active_key FROM alerts WHERE id = ?', [id])).toEqual([
      { resolved_by: 'system', active_key: null },
    ]);
    expect(
      await q("SELECT actor FROM audit_log WHERE action = 'alert.resolved' AND object_id = ?", [id]),
    ).toEqual([{ actor: 'system' }]);
    expect(await q("SELECT COUNT(*) AS n FROM alerts WHERE kind = 'ap_offline_minutes'")).toEqual([
      { n: '1' },
    ]);
    expect((await op.get('/alerts?state=resolved')).text).toContain(`data-alert="${id}"`);
    expect((await op.get('/alerts?state=bogus')).status).toBe(400);
  });

  it('raises the task, failure-rate and battery rules from real data, and clears them when their condition ends', async () => {
    const pool = f.platform.ctx.pool;
    const queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
    try {
      const creator = new TaskCreator(pool, f.platform.config, (id) => queue.enqueueTask(id));
      // a store whose Group ID has no AP: its task will miss every label, then times out
      const lonely = await f.newGroup();
      const s = await seedStore(pool, { products: 2, labelsPerProduct: 1, groupId: lonely.groupId });
      const t = await withTx(pool, (c) =>
        creator.createInTx(
          c,
          { name: 'op', role: 'operator' },
          s.productIds.map((productId) => ({ storeId: s.storeId, productId })),
          { source: 'ui', deadlineSeconds: 4 },
        ),
      );
      await creator.enqueue(t!.taskId);
      const subject = `task:${t!.taskId}`;
      await waitFor(
        'task alert opened',
        () => q("SELECT state FROM alerts WHERE kind = 'task_will_miss_labels' AND subject = ?", [subject]),
        { until: (r) => r.length === 1 && r[0].state === 'open', timeoutMs: 30_000 },
      );
      expect(
        String((await q('SELECT summary FROM alerts WHERE subject = ?', [subject]))[0].summary),
      ).toContain('will miss 2 label(s)');
      // once it has timed out it can miss nothing more; the hour's failure rate is now 100 %
      await waitFor(
        'task alert resolved',
        () => q("SELECT state FROM alerts WHERE kind = 'task_will_miss_labels' AND subject = ?", [subject]),
        { until: (r) => r[0].state === 'resolved', timeoutMs: 30_000 },
      );
      expect((await q('SELECT state FROM tasks WHERE id = ?', [t!.taskId]))[0].state).toBe('timed_out');
      const [rate] = await waitFor(
        'failure rate alert',
        () =>
          q("SELECT state, summary FROM alerts WHERE kind = 'failure_rate_percent' AND subject = 'fleet'"),
        { until: (r) => r.length === 1, timeoutMs: 30_000 },
      );
      expect(rate.state).toBe('open');
      expect(String(rate.summary)).toContain('100.0 % of 2 label(s)');

      // the simulated AP reports 2900-2999 mV: a threshold above that fires for its store
      const admin = await adminClient(f.platform);
      expect(
        (await admin.post('/alerts/rules', { ...RULES, battery_below_mv: '3100' }, '/alerts/rules')).status,
      ).toBe(302);
      const [store] = await q(
        'SELECT s.code FROM stores s JOIN store_groups g ON g.store_id = s.id WHERE g.group_id = ?',
        [g.groupId],
      );
      await waitFor(
        'battery alert opened',
        () =>
          q("SELECT state FROM alerts WHERE kind = 'battery_below_mv' AND subject = ?", [
            `store:${store.code}`,
          ]),
        { until: (r) => r.length === 1 && r[0].state === 'open', timeoutMs: 30_000 },
      );
      // switched off, its alerts resolve
      expect(
        (
          await admin.post(
            '/alerts/rules',
            { ...RULES, battery_below_mv: '3100', battery_below_mv_on: '' },
            '/alerts/rules',
          )
        ).status,
      ).toBe(302);
      await waitFor(
        'battery alert resolved with its rule off',
        () => q("SELECT state FROM alerts WHERE kind = 'battery_below_mv'"),
        { until: (r) => r.length === 1 && r[0].state === 'resolved', timeoutMs: 30_000 },
      );
    } finally {
      await queue.stop();
    }
  });
});
