// The demo's simulated APs carry out label commands: they declare caps led and page, and a
// flash asked for one of the demo store's labels is acked by the AP that serves it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../server/db/query.js';
import { DemoFleet, DEMO_GROUP_ID } from '../../server/demo/demo-fleet.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';
import { WebClient } from '../support/web-client.js';

let f: BrokerFixture;
let demo: DemoFleet;
beforeAll(async () => {
  f = await startBroker({ DEMO_APS: '2', DEMO_LABELS_PER_AP: '3' });
  demo = new DemoFleet(f.platform.ctx, f.registry, () => f.broker);
  await demo.start();
});
afterAll(async () => {
  await demo?.stop();
  await f?.close();
});

const q = <T extends object>(sql: string, args: unknown[] = []) =>
  queryRows<T>(f.platform.ctx.pool, sql, args);

describe('label commands in the demo', () => {
  it('every demo AP declares led and page, and acks a flash of one of its labels', async () => {
    const aps = await waitFor(
      'demo APs reported their caps',
      () =>
        q<{ client_id: string; caps: string | null }>('SELECT client_id, caps FROM aps WHERE group_id = ?', [
          DEMO_GROUP_ID,
        ]),
      { until: (r) => r.length === 2 && r.every((a) => a.caps !== null) },
    );
    for (const a of aps) expect(JSON.parse(a.caps!)).toEqual(expect.arrayContaining(['led', 'page']));
    const [label] = await q<{ label_id: string; last_ap_client_id: string }>(
      'SELECT label_id, last_ap_client_id FROM labels WHERE group_id = ? AND last_ap_client_id IS NOT NULL ORDER BY label_id LIMIT 1',
      [DEMO_GROUP_ID],
    );
    const admin = new WebClient(f.platform.baseUrl);
    await admin.login('admin', f.platform.adminPassword);
    const r = await admin.post(
      `/catalog/labels/${label.label_id}/commands`,
      { command: 'find' },
      `/catalog/labels/${label.label_id}`,
    );
    expect(r.status).toBe(302);
    const [cmd] = await waitFor(
      'acked',
      () =>
        q<{ state: string; ap_client_id: string; ap_result: string | null }>(
          'SELECT state, ap_client_id, ap_result FROM label_commands WHERE label_id = ?',
          [label.label_id],
        ),
      { until: (rows) => rows.length === 1 && rows[0].state === 'acked' },
    );
    expect(cmd.ap_client_id).toBe(label.last_ap_client_id);
    expect(JSON.parse(cmd.ap_result!).ledUntil).toEqual(expect.any(String));
  });
});
