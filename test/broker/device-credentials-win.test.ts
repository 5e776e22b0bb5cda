// Device credentials win (on by default): a Signature AccessKey, valid for every Device ID of
// its Group IDs, is refused for a Client ID that holds its own live device credential, so the
// shared key can neither act as that device nor wipe its persistent session. The admin turns
// it off and on (audited); a revoked credential no longer counts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacB64 } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { uid } from '../support/env.js';
import { inbox, signed, startBroker, tryConnect, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: Awaited<ReturnType<BrokerFixture['newGroup']>>;

beforeAll(async () => {
  f = await startBroker();
  g = await f.newGroup();
});
afterAll(async () => {
  await f?.close();
});

async function issue(deviceId: string) {
  const clientId = `${g.groupId}@@@${deviceId}`;
  const c = await f.registry.issueDeviceCredential(SYSTEM_ACTOR, { clientId });
  return {
    id: c.deviceAccessKeyId,
    login: (extra: Record<string, unknown> = {}) => ({
      clientId,
      username: `DeviceCredential|${c.deviceAccessKeyId}|${f.broker.instanceId}`,
      password: hmacB64(c.deviceAccessKeySecret, clientId),
      ...extra,
    }),
  };
}

const signature = async (deviceId: string, extra: Record<string, unknown> = {}) => {
  const r = await tryConnect(f.url(), signed(f, g, deviceId, extra));
  await r.client?.endAsync();
  return r.code;
};

describe('device credentials win', () => {
  it('is on by default: the group-wide AccessKey is refused (5) for a Device ID with its own credential', async () => {
    const d = `own${uid(3)}`;
    expect(await signature(d)).toBe(0); // before it has one
    const cred = await issue(d);
    expect(await signature(d)).toBe(5);
    expect(await signature(`other${uid(3)}`)).toBe(0);
    const own = await tryConnect(f.url(), cred.login());
    expect(own.code).toBe(0);
    await own.client!.endAsync();
  });

  it("keeps the device's persistent session: a clean Signature CONNECT cannot wipe it", async () => {
    const d = `ps${uid(3)}`;
    const cred = await issue(d);
    const task = `${f.parent}/task/${g.groupId}`;
    const first = await tryConnect(f.url(), cred.login({ clean: false }));
    expect(first.code).toBe(0);
    await first.client!.subscribeAsync(task, { qos: 1 });
    await first.client!.endAsync();
    // the shared key tries to take the Client ID with a clean session
    expect(await signature(d, { clean: true })).toBe(5);
    await f.broker.publish(task, 'kept-while-away', 1);
    const back = await tryConnect(f.url(), cred.login({ clean: false }));
    expect(back.code).toBe(0);
    const got = inbox(back.client!);
    await waitFor('the offline message', () => got.some((m) => m.payload === 'kept-while-away'), {
      timeoutMs: 30_000,
    });
    await back.client!.endAsync();
  });

  it('can be turned off and on by an admin (audited), and a revoked credential no longer counts', async () => {
    const d = `opt${uid(3)}`;
    const cred = await issue(d);
    expect(await signature(d)).toBe(5);
    await f.registry.updateSettings(SYSTEM_ACTOR, { deviceCredentialsWin: false });
    expect(await f.registry.getSettings()).toEqual({ deviceCredentialsWin: false });
    expect(await signature(d)).toBe(0);
    await f.registry.updateSettings(SYSTEM_ACTOR, { deviceCredentialsWin: true });
    expect(await signature(d)).toBe(5);
    const [audit] = (await f.platform.ctx.pool.query(
      "SELECT before_json AS b, after_json AS a FROM audit_log WHERE action = 'mqtt.settings.changed' ORDER BY id",
    )) as unknown as [{ b: unknown; a: unknown }[]];
    expect(audit.map((r) => [r.b, r.a].map((j) => (typeof j === 'string' ? JSON.parse(j) : j)))).toEqual([
      [{ deviceCredentialsWin: true }, { deviceCredentialsWin: false }],
      [{ deviceCredentialsWin: false }, { deviceCredentialsWin: true }],
    ]);
    await f.registry.revokeDeviceCredential(SYSTEM_ACTOR, cred.id);
    expect(await signature(d)).toBe(0);
  });
});
