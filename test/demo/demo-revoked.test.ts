// A simulated AP that cannot connect never stops the platform: an admin revoking a demo AP's
// device credential leaves that AP out of the next start (reported at warn with its Client ID),
// and the other demo APs connect as usual. Rotating the credential brings it back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { DemoFleet, DEMO_GROUP_ID } from '../../server/demo/demo-fleet.js';
import { Fleet } from '../../sim/fleet.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { queryRows } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
beforeAll(async () => {
  f = await startBroker({ DEMO_APS: '2', DEMO_LABELS_PER_AP: '3' });
});
afterAll(async () => {
  await f?.close();
});

type Row = Record<string, unknown>;
const q = (sql: string, args: unknown[] = []) => queryRows<Row>(f.platform.ctx.pool, sql, args);
const online = () =>
  q('SELECT client_id FROM aps WHERE group_id = ? AND online = 1 ORDER BY client_id', [DEMO_GROUP_ID]);

/** A demo fleet whose log lines (warn and above) the test can read. */
function demoFleet(lines: { level: number; msg: string; clientId?: string }[]) {
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return new DemoFleet({ ...f.platform.ctx, log }, f.registry, () => f.broker);
}

describe('demo fleet with a revoked credential', () => {
  it('leaves the refused AP out, reports it, and starts the rest', async () => {
    const ap0 = `${DEMO_GROUP_ID}@@@SIMULATED-AP-0`;
    const ap1 = `${DEMO_GROUP_ID}@@@SIMULATED-AP-1`;
    const first = demoFleet([]);
    await first.start();
    await waitFor('both demo APs online', online, { until: (r) => r.length === 2 });
    await first.stop();
    await waitFor('demo APs offline', online, { until: (r) => r.length === 0 });

    // an admin revokes one simulated AP's credential
    const [cred] = await q(
      'SELECT device_access_key_id AS id FROM mqtt_device_credentials WHERE client_id = ?',
      [ap1],
    );
    await f.registry.revokeDeviceCredential({ name: 'admin', role: 'admin' }, String(cred.id));

    // the next start does not fail as a whole
    const lines: { level: number; msg: string; clientId?: string }[] = [];
    const again = demoFleet(lines);
    await again.start();
    await waitFor('the other demo AP online', online, { until: (r) => r.length === 1 });
    expect((await online()).map((r) => r.client_id)).toEqual([ap0]);
    const warned = lines.filter((l) => l.level === 40 && l.clientId === ap1);
    expect(warned.length, JSON.stringify(lines)).toBe(1);
    expect(warned[0].msg).toContain('revoked');
    // the revoked credential stays revoked: starting the demo does not undo an admin's act
    expect(
      await q('SELECT revoked_at IS NOT NULL AS r FROM mqtt_device_credentials WHERE client_id = ?', [ap1]),
    ).toEqual([{ r: 1 }]);
    await again.stop();
    await waitFor('demo APs offline again', online, { until: (r) => r.length === 0 });

    // rotating it (the admin's way back) brings the AP back at the next start
    await f.registry.rotateDeviceCredential(SYSTEM_ACTOR, String(cred.id));
    const third = demoFleet([]);
    await third.start();
    await waitFor('both demo APs online again', online, { until: (r) => r.length === 2 });
    await third.stop();
  });

  it('reports an AP the broker refuses at connect and runs the others; without a handler the start fails', async () => {
    const g = await f.newGroup();
    const opts = {
      url: f.url(),
      parentTopic: f.parent,
      groups: new Map([[g.groupId, ['L-1', 'L-2']]]),
      apsPerGroup: 2,
      devicePrefix: 'T',
      credentials: { accessKeyId: g.accessKeyId, accessKeySecret: g.secret, instanceId: f.broker.instanceId },
      // AP T-1 presents a device credential the registry does not know: the broker refuses it
      deviceCredentials: {
        instanceId: f.broker.instanceId,
        byClientId: new Map([
          [
            `${g.groupId}@@@T-1`,
            { deviceAccessKeyId: 'DEVunknown000000000', deviceAccessKeySecret: 'x'.repeat(30) },
          ],
        ]),
      },
      knobs: { statusIntervalMs: 60_000 },
    };
    const refused: [string, string][] = [];
    const fleet = new Fleet(opts);
    await fleet.start(20, (clientId, err) => refused.push([clientId, err.message]));
    expect(refused).toEqual([[`${g.groupId}@@@T-1`, 'Connection refused: Bad username or password']]);
    expect(fleet.aps.map((a) => a.opts.clientId)).toEqual([`${g.groupId}@@@T-0`]);
    expect(fleet.totals().online).toBe(1);
    await fleet.stop();

    // without a handler (`npm run sim`) a refused AP still fails the start
    const strict = new Fleet(opts);
    await expect(strict.start()).rejects.toThrow('Bad username or password');
    await strict.stop();
  });
});
