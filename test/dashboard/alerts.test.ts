// Alerts over a whole platform (real MariaDB, Redis, the platform's broker, a simulated AP on a
// real socket): an admin sets the thresholds, the worker opens an alert for an AP offline longer
// than its threshold, an operator acknowledges it, and it resolves when the AP returns; every
// step is audited and only the right roles may act.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { SimAp } from '../../sim/sim-ap.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { WebClient } from '../support/web-client.js';
import { seedStore } from '../pipeline/support/fixtures.js';
import { waitFor } from '../pipeline/support/wait.js';

let f: BrokerFixture;
let g: { groupId: string; accessKeyId: string; secret: string };
let labels: string[];
let ap: SimAp;

type Row = Record<string, unknown>;
const q = async (sql: string, args: unknown[] = []) =>
  ((await f.platform.ctx.pool.query(sql, args)) as unknown as [Row[]])[0];

const newAp = () => {
  const clientId = `${g.groupId}@@@AP0`;
  return new SimAp({
    url: f.url(),
    clientId,
    parentTopic: f.parent,
    statusIntervalMs: 60_000,
    username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
    password: hmacB64(g.secret, clientId),
    labels,
  });
};

async function user(role: 'operator' | 'auditor') {
  const admin = new WebClient(f.platform.baseUrl);
  await admin.login('admin', f.platform.adminPassword);
  const name = `${role}-alerts`;
  await admin.post('/admin/users', { username: name, role, password: 'a-long-password-123' }, '/admin/users');
  const c = new WebClient(f.platform.baseUrl);
  await c.login(name, 'a-long-password-123');
  return c;
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
    const admin = new WebClient(f.platform.baseUrl);
    await admin.login('admin', f.platform.adminPassword);
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
    await waitFor(
      () => q('SELECT online FROM aps WHERE client_id = ?', [clientId]),
      (r) => r[0]?.online === 1,
      30_000,
      'AP online',
    );
    expect(await q("SELECT id FROM alerts WHERE kind = 'ap_offline_minutes'")).toEqual([]);
    await ap.stop();
    const [alert] = await waitFor(
      () =>
        q(
          `SELECT a.id, a.state, a.summary, TIMESTAMPDIFF(MICROSECOND, p.disconnected_at, a.opened_at) AS after_us
           FROM alerts a JOIN aps p ON p.client_id = a.subject WHERE a.kind = 'ap_offline_minutes' AND a.subject = ?`,
          [clientId],
        ),
      (r) => r.length === 1,
      30_000,
      'alert opened',
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
    await op.login('operator-alerts', 'a-long-password-123');
    const list = await op.get('/alerts');
    expect(list.text).toContain(`data-subject="${clientId}" data-state="open"`);
    const dash = await waitFor(
      async () =>
        JSON.parse(
          (await op.request('GET', '/dashboard.json', { headers: { accept: 'application/json' } })).text,
        ),
      (d) => d.alerts.open === 1,
      30_000,
      'dashboard counts the alert',
    );
    expect(dash.alerts).toEqual({ open: 1, acknowledged: 0 });

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
    await waitFor(
      () => q('SELECT state, resolved_by FROM alerts WHERE id = ?', [id]),
      (r) => r[0].state === 'resolved',
      30_000,
      'alert resolved',
    );
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
});
