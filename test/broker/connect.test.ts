// CONNECT over real sockets: Client ID and Group ID rules, the three credential modes, the
// platform identity, the four transports, take-over, keepalive bound and CONNECT timeout.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { CONNECTION_EVENTS_QUEUE, hmacB64 } from '../../broker/index.js';
import { bullConnection } from '../../server/core/redis.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import {
  closed,
  connectDevice,
  signed,
  startBroker,
  tryConnect,
  type BrokerFixture,
} from '../support/mqtt.js';
import { uid } from '../support/env.js';
import { queryRows } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let g: Awaited<ReturnType<BrokerFixture['newGroup']>>;

beforeAll(async () => {
  f = await startBroker({ MQTT_CONNECT_TIMEOUT_MS: '500', MQTT_MAX_KEEPALIVE_SECONDS: '2' });
  g = await f.newGroup();
});
afterAll(async () => {
  await f?.close();
});

// This broker holds keepalive to 2 s and closes a client silent for 3 s, but mqtt.js pings only
// after its own keepalive (60 s): a client that must stay connected while the test waits on
// MySQL or Redis asks for the 2 s and pings in time, so only what the test does closes it.
const pinging = { keepalive: 2 };

describe('connect', () => {
  it('accepts a signed AP on TCP, TLS, WS and WSS', async () => {
    for (const t of ['tcp', 'tls', 'ws', 'wss'] as const) {
      const r = await tryConnect(f.url(t), signed(f, g));
      expect(r.code, t).toBe(0);
      await r.client!.endAsync();
    }
  });

  it('serves TLS with the self-signed localhost certificate kept in DATA_DIR, verifiable by a client that trusts it', async () => {
    const pem = fs.readFileSync(path.join(f.platform.config.DATA_DIR, 'broker', 'tls-localhost.pem'), 'utf8');
    const ca = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
    for (const t of ['tls', 'wss'] as const) {
      const url = f.url(t).replace('127.0.0.1', 'localhost');
      const r = await tryConnect(url, { ...signed(f, g), ca, rejectUnauthorized: true });
      expect(r.code, t).toBe(0);
      await r.client!.endAsync();
    }
  });

  it('rejects malformed Client IDs and unregistered Group IDs with code 2', async () => {
    const bad = [
      'nodevice',
      `${g.groupId}@@@`,
      'GID_x@@@d',
      `${g.groupId}@@@dev ice`,
      `${g.groupId}@@@${'d'.repeat(64)}`,
      `GID_${uid(4)}@@@d1`,
    ];
    for (const clientId of bad) {
      const r = await tryConnect(f.url(), {
        clientId,
        username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
        password: hmacB64(g.secret, clientId),
      });
      expect(r.code, clientId).toBe(2);
    }
  });

  it('rejects wrong signatures, instance ids and modes with code 4, a key outside its groups with 5', async () => {
    const o = signed(f, g);
    expect((await tryConnect(f.url(), { ...o, password: hmacB64('wrong', o.clientId!) })).code).toBe(4);
    expect(
      (await tryConnect(f.url(), { ...o, username: `Signature|${g.accessKeyId}|other-instance` })).code,
    ).toBe(4);
    expect(
      (await tryConnect(f.url(), { ...o, username: `Magic|${g.accessKeyId}|${f.broker.instanceId}` })).code,
    ).toBe(4);
    expect((await tryConnect(f.url(), { ...o, username: undefined, password: undefined })).code).toBe(4);
    const other = await f.newGroup();
    expect(
      (await tryConnect(f.url(), signed(f, { ...other, accessKeyId: g.accessKeyId, secret: g.secret }))).code,
    ).toBe(5);
  });

  it('accepts a device credential only for its own Client ID, and revoking it disconnects', async () => {
    const clientId = `${g.groupId}@@@dc${uid(3)}`;
    const cred = await f.registry.issueDeviceCredential(SYSTEM_ACTOR, { clientId });
    const opts = (cid: string) => ({
      clientId: cid,
      username: `DeviceCredential|${cred.deviceAccessKeyId}|${f.broker.instanceId}`,
      password: hmacB64(cred.deviceAccessKeySecret, cid),
    });
    expect((await tryConnect(f.url(), opts(`${g.groupId}@@@another`))).code).toBe(5);
    const ok = await tryConnect(f.url(), { ...opts(clientId), ...pinging });
    expect(ok.code).toBe(0);
    await f.registry.revokeDeviceCredential(SYSTEM_ACTOR, cred.deviceAccessKeyId);
    await closed(ok.client!);
    expect((await tryConnect(f.url(), opts(clientId))).code).toBe(4);
  });

  it('accepts tokens with R, W or both, and refuses expired or foreign ones', async () => {
    const r = await f.registry.issueToken(SYSTEM_ACTOR, { accessKeyId: g.accessKeyId, perms: 'R' });
    const w = await f.registry.issueToken(SYSTEM_ACTOR, { accessKeyId: g.accessKeyId, perms: 'W' });
    const clientId = `${g.groupId}@@@tok${uid(3)}`;
    const user = `Token|${g.accessKeyId}|${f.broker.instanceId}`;
    for (const password of [`R|${r.token}`, `W|${w.token}`, `R|${r.token}|W|${w.token}`]) {
      const c = await tryConnect(f.url(), { clientId, username: user, password });
      expect(c.code, password.slice(0, 1)).toBe(0);
      await c.client!.endAsync();
    }
    expect((await tryConnect(f.url(), { clientId, username: user, password: `W|${r.token}` })).code).toBe(5);
    expect((await tryConnect(f.url(), { clientId, username: user, password: 'R|nonsense' })).code).toBe(4);
    expect((await tryConnect(f.url(), { clientId, username: user, password: r.token })).code).toBe(4);
    await f.registry.revokeToken(SYSTEM_ACTOR, r.id);
    expect((await tryConnect(f.url(), { clientId, username: user, password: `R|${r.token}` })).code).toBe(4);
  });

  it('lets only the platform secret use a platform Client ID', async () => {
    const o = { clientId: `platform-t${uid(3)}`, username: `Platform|${f.broker.instanceId}` };
    expect((await tryConnect(f.url(), { ...o, password: 'guess-guess-guess' })).code).toBe(4);
    // an AP's signature does not open the platform identity
    expect(
      (
        await tryConnect(f.url(), {
          ...o,
          username: `Signature|${g.accessKeyId}|${f.broker.instanceId}`,
          password: hmacB64(g.secret, o.clientId),
        })
      ).code,
    ).toBe(4);
  });

  it('takes the session over on a duplicate Client ID, records it, and reports presence', async () => {
    const dev = `take${uid(3)}`;
    const first = await connectDevice(f, g, dev, pinging);
    const clientId = `${g.groupId}@@@${dev}`;
    await waitFor('presence', async () => (await f.broker.lookup(clientId)) !== null);
    const second = await connectDevice(f, g, dev, pinging);
    await closed(first);
    expect(second.connected).toBe(true);
    const pool = f.platform.ctx.pool;
    await waitFor('takeover recorded', async () => {
      const rows = await queryRows<{ takeovers: number; online: number }>(
        pool,
        'SELECT takeovers, online FROM aps WHERE client_id = ?',
        [clientId],
      );
      return rows[0]?.takeovers === 1 && rows[0]?.online === 1;
    });
    await second.endAsync();
    await waitFor('offline', async () => (await f.broker.lookup(clientId)) === null);
    await waitFor('clean disconnect recorded', async () => {
      const rows = await queryRows<{ online: number; disconnect_reason: string }>(
        pool,
        'SELECT online, disconnect_reason FROM aps WHERE client_id = ?',
        [clientId],
      );
      return rows[0]?.online === 0 && rows[0]?.disconnect_reason === 'clean';
    });
    // the take-over is a security event (audited); the connects and disconnects are history
    const audit = await queryRows<{ action: string }>(
      pool,
      'SELECT action FROM audit_log WHERE object_id = ? ORDER BY id',
      [clientId],
    );
    expect(audit.map((a) => a.action)).toEqual(['ap.taken_over']);
    const history = await queryRows<{ kind: string; reason: string | null }>(
      pool,
      'SELECT kind, reason FROM ap_connection_events WHERE client_id = ? ORDER BY id',
      [clientId],
    );
    expect(history).toEqual(
      expect.arrayContaining([
        { kind: 'connect', reason: null },
        { kind: 'takeover', reason: null },
        { kind: 'disconnect', reason: 'takeover' },
        { kind: 'disconnect', reason: 'clean' },
      ]),
    );
    expect(history.filter((h) => h.kind === 'connect')).toHaveLength(2);
  });

  it('tells a lost connection and a revoked credential apart from a clean DISCONNECT', async () => {
    const pool = f.platform.ctx.pool;
    const reason = async (clientId: string) => {
      const rows = await queryRows<{ online: number; disconnect_reason: string | null }>(
        pool,
        'SELECT online, disconnect_reason FROM aps WHERE client_id = ?',
        [clientId],
      );
      return rows[0] ? `${rows[0].online}:${rows[0].disconnect_reason}` : 'none';
    };
    const dev = `lost${uid(3)}`;
    const c = await connectDevice(f, g, dev, pinging);
    await waitFor('online', async () => (await reason(`${g.groupId}@@@${dev}`)) === '1:null');
    c.stream.destroy(); // no DISCONNECT packet: the network went away
    await waitFor('lost recorded', async () => (await reason(`${g.groupId}@@@${dev}`)) === '0:lost');

    const k = await f.registry.issueAccessKey(SYSTEM_ACTOR, { groupIds: [g.groupId] });
    const kicked = await connectDevice(
      f,
      { ...g, accessKeyId: k.accessKeyId, secret: k.accessKeySecret },
      `kick${dev}`,
      pinging,
    );
    await waitFor('online', async () => (await reason(`${g.groupId}@@@kick${dev}`)) === '1:null');
    await f.registry.revokeAccessKey(SYSTEM_ACTOR, k.accessKeyId);
    await closed(kicked);
    await waitFor('kicked recorded', async () => (await reason(`${g.groupId}@@@kick${dev}`)) === '0:kicked');
  });

  it('queues connection events as ordered batches, and still applies a single-event job of an earlier broker', async () => {
    const pool = f.platform.ctx.pool;
    const queue = new Queue(CONNECTION_EVENTS_QUEUE, {
      connection: bullConnection(f.platform.ctx.redisUrl),
      prefix: f.platform.config.REDIS_PREFIX,
    });
    try {
      const devs = Array.from({ length: 12 }, (_, i) => `burst${uid(3)}${i}`);
      const clients = await Promise.all(devs.map((d) => connectDevice(f, g, d, pinging)));
      const ids = devs.map((d) => `${g.groupId}@@@${d}`);
      const online = async () => {
        const rows = await queryRows<{ n: number }>(
          pool,
          'SELECT COUNT(*) AS n FROM aps WHERE client_id IN (?) AND online = 1',
          [ids],
        );
        return Number(rows[0].n);
      };
      await waitFor('burst online', async () => (await online()) === ids.length);
      // a job is moved to 'completed' just after its transaction commits: the last one may lag the rows
      const burstJobs = async () =>
        (await queue.getJobs(['completed'], 0, 200)).filter(
          (j) =>
            Array.isArray(j.data.events) &&
            j.data.events.some((e: { clientId: string }) => ids.includes(e.clientId)),
        );
      const eventsIn = (jobs: Awaited<ReturnType<typeof burstJobs>>) =>
        jobs.flatMap((j) => j.data.events.filter((e: { clientId: string }) => ids.includes(e.clientId)));
      await waitFor('burst jobs completed', async () => eventsIn(await burstJobs()).length >= ids.length);
      const batched = await burstJobs();
      expect(batched.length).toBeGreaterThan(0);
      expect(eventsIn(batched).length).toBe(ids.length);
      await Promise.all(clients.map((c) => c.endAsync()));
      await waitFor('burst offline', async () => (await online()) === 0);

      // a job in the old shape (one bare event), as an earlier broker version left it in the queue
      const old = `${g.groupId}@@@old${uid(3)}`;
      await queue.add('connect', {
        type: 'connect',
        clientId: old,
        groupId: g.groupId,
        deviceId: old.split('@@@')[1],
        ip: '192.0.2.7',
        at: new Date().toISOString(),
        brokerNode: 'old-node',
        cleanSession: true,
      });
      await waitFor('single-event job applied', async () => {
        const rows = await queryRows<{ online: number; ip: string; node: string }>(
          pool,
          'SELECT online, ip, broker_node AS node FROM aps WHERE client_id = ?',
          [old],
        );
        return rows[0]?.online === 1 && rows[0].ip === '192.0.2.7' && rows[0].node === 'old-node';
      });
    } finally {
      await queue.close();
    }
  });

  it('closes a socket that sends no CONNECT within the timeout', async () => {
    const s = net.connect(f.broker.ports.tcp!, '127.0.0.1');
    const t0 = Date.now();
    await new Promise<void>((resolve) => s.once('close', () => resolve()));
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('holds keepalive 0 to the maximum and drops a silent client after 1.5 x keepalive', async () => {
    const c = await connectDevice(f, g, undefined, { keepalive: 0 });
    // stop the client's own pings: it goes silent as a dead AP would
    (c as unknown as { _destroyKeepaliveManager?: () => void })._destroyKeepaliveManager?.();
    await closed(c, 8000);
  });
});
