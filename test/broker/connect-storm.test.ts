// Connect storms: every connect and disconnect lands in the connection history, while the audit
// trail gets only security events, summarised (a rate-limit trip, a burst of refused
// authentications, use of a revoked credential: one record per key or IP and period). CONNECT
// attempts over the per-AccessKey or per-IP limit get CONNACK 3 and nobody else is affected.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { Queue } from 'bullmq';
import { CONNECTION_EVENTS_QUEUE } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { bullConnection } from '../../server/core/redis.js';
import { queryRows } from '../../server/db/query.js';
import { signed, startBroker, tryConnect, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';

const fixtures: BrokerFixture[] = [];
afterAll(async () => {
  await Promise.all(fixtures.map((f) => f.close()));
});

const count = async (f: BrokerFixture, sql: string, params: unknown[] = []) =>
  Number((await queryRows<{ n: number | string }>(f.platform.ctx.pool, sql, params))[0].n);

const settled = async (q: Queue) => {
  const c = await q.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(c).every((n) => n === 0);
};

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

describe('a storm of 1,000 connects with one AccessKey', () => {
  it('keeps all of them in the connection history and adds at most a handful of audit records', async () => {
    const f = await startBroker();
    fixtures.push(f);
    const g = await f.newGroup();
    const q = new Queue(CONNECTION_EVENTS_QUEUE, {
      connection: bullConnection(f.platform.ctx.redisUrl),
      prefix: f.platform.config.REDIS_PREFIX,
    });
    const before = await count(f, 'SELECT COUNT(*) AS n FROM audit_log');
    const devs = Array.from({ length: 1000 }, (_, i) => `S${i}`);
    const codes = await pool(devs, 40, async (d) => {
      const r = await tryConnect(f.url(), signed(f, g, d));
      await r.client?.endAsync();
      return r.code;
    });
    expect(codes.filter((c) => c !== 0)).toEqual([]);
    // every connect and disconnect event reached the worker and was applied
    await waitFor(
      'every connection event applied',
      () => count(f, 'SELECT COUNT(*) AS n FROM aps WHERE group_id = ?', [g.groupId]),
      { timeoutMs: 120_000, until: (n) => n === 1000 },
    );
    await waitFor('connection events applied', () => settled(q), { timeoutMs: 120_000 });
    const added = (await count(f, 'SELECT COUNT(*) AS n FROM audit_log')) - before;
    expect(added).toBeLessThanOrEqual(5);
    // and each AP is offline: its disconnect applied after its connect, even when it left at once
    await waitFor(
      'every AP recorded offline',
      () => count(f, 'SELECT COUNT(*) AS n FROM aps WHERE group_id = ? AND online = 0', [g.groupId]),
      { timeoutMs: 60_000, until: (n) => n === 1000 },
    );
    const history = await queryRows<{ kind: string; n: number }>(
      f.platform.ctx.pool,
      'SELECT kind, COUNT(*) AS n FROM ap_connection_events WHERE group_id = ? GROUP BY kind ORDER BY kind',
      [g.groupId],
    );
    expect(history.map((h) => ({ kind: h.kind, n: Number(h.n) }))).toEqual([
      { kind: 'connect', n: 1000 },
      { kind: 'disconnect', n: 1000 },
    ]);
    const rows = await queryRows<{ key: string; kind: string; ip: string; node: string }>(
      f.platform.ctx.pool,
      `SELECT DISTINCT access_key_id AS \`key\`, credential_kind AS kind, ip, broker_node AS node
         FROM ap_connection_events WHERE group_id = ?`,
      [g.groupId],
    );
    expect(rows).toEqual([
      { key: g.accessKeyId, kind: 'signature', ip: '127.0.0.1', node: f.broker.opts.nodeId },
    ]);
    // the churn summary: one row per AP and hour, counting its connects and disconnects
    const churn = await queryRows<{ c: string; d: string }>(
      f.platform.ctx.pool,
      `SELECT SUM(connects) AS c, SUM(disconnects) AS d FROM ap_connection_churn
        WHERE client_id LIKE CONCAT(?, '@@@%')`,
      [g.groupId],
    );
    expect(churn[0]).toEqual({ c: '1000', d: '1000' });
    await q.close();
  }, 300_000);
});

describe('CONNECT rate limits per AccessKey and per IP', () => {
  it('answers a burst over the limit with CONNACK 3, leaves other keys and IPs alone, and audits summaries', async () => {
    const f = await startBroker({
      MQTT_CONNECT_RATE_PER_KEY: '0.01',
      MQTT_CONNECT_BURST_PER_KEY: '5',
      MQTT_CONNECT_RATE_PER_IP: '0.01',
      MQTT_CONNECT_BURST_PER_IP: '20',
      // only the explicit flush below writes the summaries, so each is one record
      MQTT_CONNECT_SUMMARY_SECONDS: '3600',
    });
    fixtures.push(f);
    const g1 = await f.newGroup();
    const g2 = await f.newGroup();
    const g3 = await f.newGroup();
    const revoked = await f.newGroup();
    await f.registry.revokeAccessKey(SYSTEM_ACTOR, revoked.accessKeyId);
    const attempt = (g: typeof g1, dev: string, extra = {}) =>
      tryConnect(f.url(), signed(f, g, dev, extra)).then(async (r) => {
        await r.client?.endAsync();
        return r.code;
      });

    // one key's burst: 5 in its bucket, the rest refused with 3 (the rate adds one per 100 s)
    const burst = await Promise.all(Array.from({ length: 15 }, (_, i) => attempt(g1, `b${i}`)));
    expect(burst.filter((c) => c === 0).length).toBeLessThanOrEqual(6);
    expect(burst.filter((c) => c === 3).length).toBe(15 - burst.filter((c) => c === 0).length);
    const limited = burst.filter((c) => c === 3).length;
    // another key from the same IP: unaffected
    expect(await Promise.all([attempt(g2, 'o1'), attempt(g2, 'o2'), attempt(g2, 'o3')])).toEqual([0, 0, 0]);
    // a wrong password, a revoked key: refused as before (4), summarised in the audit trail
    const wrong = await Promise.all(
      Array.from({ length: 4 }, (_, i) => attempt(g3, `w${i}`, { password: 'not-the-signature' })),
    );
    expect(wrong).toEqual([4, 4, 4, 4]);
    expect(await Promise.all([attempt(revoked, 'r1'), attempt(revoked, 'r2')])).toEqual([4, 4]);

    // the IP's bucket (20) is nearly spent by now: user names without a key count only against it
    const used = burst.filter((c) => c === 0).length + 3 + 4 + 2;
    const noKey = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        tryConnect(f.url(), { clientId: `${g2.groupId}@@@n${i}`, username: 'nobody', password: 'x' }).then(
          (r) => r.code,
        ),
      ),
    );
    expect(noKey.filter((c) => c === 3).length).toBeGreaterThanOrEqual(12 - (20 - used) - 1);
    expect(noKey.filter((c) => c !== 3 && c !== 4)).toEqual([]);
    // from the same IP even a good key waits now, while another IP is unaffected
    expect(await attempt(g2, 'o4')).toBe(3);
    const other = await new Promise<number>((resolve) => {
      const opts = signed(f, g2, 'o5');
      const c = new mqtt.MqttClient(
        () => net.connect({ host: '127.0.0.1', port: f.broker.ports.tcp!, localAddress: '127.0.0.2' }),
        { ...opts, protocolVersion: 4, reconnectPeriod: 0 },
      );
      c.once('connect', () => c.end(() => resolve(0)));
      c.once('error', (err: Error & { code?: number }) => {
        c.end(true);
        resolve(typeof err.code === 'number' ? err.code : -1);
      });
    });
    expect(other).toBe(0);

    await f.broker.flushConnectSummaries();
    const audit = async (action: string) =>
      (
        await queryRows<{ a: string; refs: string }>(
          f.platform.ctx.pool,
          'SELECT after_json AS a, refs FROM audit_log WHERE action = ? ORDER BY id',
          [action],
        )
      ).map((r) => ({
        ...(JSON.parse(r.a) as { limit?: string; accessKeyId?: string; ip: string; attempts: number }),
        refs: r.refs,
      }));
    await waitFor('summaries audited', async () => (await audit('mqtt.connect.rate_limited')).length >= 2);
    const rl = await audit('mqtt.connect.rate_limited');
    expect(rl.map((r) => [r.limit, r.accessKeyId ?? null, r.ip, r.attempts])).toEqual(
      expect.arrayContaining([
        ['accessKey', g1.accessKeyId, '127.0.0.1', limited],
        ['ip', null, '127.0.0.1', noKey.filter((c) => c === 3).length + 1],
      ]),
    );
    expect(rl).toHaveLength(2);
    const refused = await audit('mqtt.connect.refused');
    expect(refused.map((r) => [r.accessKeyId ?? null, r.ip, r.attempts])).toEqual(
      expect.arrayContaining([
        [g3.accessKeyId, '127.0.0.1', 4],
        [null, '127.0.0.1', noKey.filter((c) => c === 4).length],
      ]),
    );
    const afterRevocation = await audit('mqtt.connect.revoked_credential');
    expect(afterRevocation.map((r) => [r.accessKeyId, r.ip, r.attempts])).toEqual([
      [revoked.accessKeyId, '127.0.0.1', 2],
    ]);
    // every accepted connect is in the history, none of the refused ones
    const accepted = burst.filter((c) => c === 0).length + 3 + 1;
    await waitFor(
      'accepted connects in the history',
      () => count(f, "SELECT COUNT(*) AS n FROM ap_connection_events WHERE kind = 'disconnect'"),
      { until: (n) => n === accepted },
    );
    expect(await count(f, "SELECT COUNT(*) AS n FROM ap_connection_events WHERE kind = 'connect'")).toBe(
      accepted,
    );
  }, 180_000);
});
