// The AP's page shows its connection history (kind, reason, node, IP, credential; paginated)
// and its connects per hour, in both languages; screenshots with SHOTS_DIR set.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { CONNECTION_EVENTS_QUEUE, type ConnectionEventBatch } from '../../broker/index.js';
import { createLogger } from '../../server/core/logger.js';
import { bullConnection } from '../../server/core/redis.js';
import { ConnectionHistoryPruner } from '../../server/devices/connection-history-pruner.js';
import { addChurn, insertHistory } from '../../server/devices/connection-history-repo.js';
import { queryRows } from '../../server/db/query.js';
import { launchBrowser, signInAs } from '../support/browser.js';
import { connectDevice, startBroker, type BrokerFixture } from '../support/mqtt.js';
import { waitFor } from '../support/wait.js';
import { adminClient, WebClient } from '../support/web-client.js';

const SHOTS = process.env.SHOTS_DIR;
const PASSWORD = 'operator-password-1234';
let f: BrokerFixture;
let op: WebClient;
let clientId: string;

beforeAll(async () => {
  f = await startBroker();
  const g = await f.newGroup();
  clientId = `${g.groupId}@@@P1`;
  for (let i = 0; i < 27; i++) await (await connectDevice(f, g, 'P1')).endAsync();
  const events = async () =>
    Number(
      (
        await queryRows<{ n: number }>(
          f.platform.ctx.pool,
          'SELECT COUNT(*) AS n FROM ap_connection_events WHERE client_id = ?',
          [clientId],
        )
      )[0].n,
    );
  await waitFor('connects and disconnects written', events, { until: (n) => n === 54 });
  // a resume after node loss, as a broker node reports it when the AP's previous node died
  const q = new Queue(CONNECTION_EVENTS_QUEUE, {
    connection: bullConnection(f.platform.ctx.redisUrl),
    prefix: f.platform.config.REDIS_PREFIX,
  });
  const at = new Date().toISOString();
  const base = {
    clientId,
    groupId: g.groupId,
    deviceId: 'P1',
    ip: '10.1.2.3',
    at,
    brokerNode: f.broker.opts.nodeId,
  };
  const batch: ConnectionEventBatch = {
    events: [
      { ...base, type: 'resumed', reason: 'node_lost', previousNode: 'broker-1' },
      { ...base, type: 'connect', credentialKind: 'signature', accessKeyId: g.accessKeyId },
    ],
  };
  await q.add('events', batch);
  await q.close();
  await waitFor('history written', events, { until: (n) => n === 56 });
  const admin = await adminClient(f.platform);
  await admin.createUser({ username: 'op-conn', role: 'operator', password: PASSWORD });
  op = new WebClient(f.platform.baseUrl);
  await op.login('op-conn', PASSWORD);
}, 120_000);

afterAll(async () => {
  await f?.close();
});

const page = (q = '', lang = 'en-US,en;q=0.9') =>
  op.request('GET', `/health/aps/${encodeURIComponent(clientId)}${q}`, {
    headers: { 'accept-language': lang },
  });

describe("the AP's connection history", () => {
  it('lists the newest 50 events first, pages through the rest, and counts connects per hour', async () => {
    const first = await page();
    expect(first.status).toBe(200);
    const kinds = [...first.text.matchAll(/data-kind="([a-z_]+)"/g)].map((m) => m[1]);
    expect(kinds).toHaveLength(50);
    expect(kinds.slice(0, 2).sort()).toEqual(['connect', 'resumed']);
    expect(first.text).toContain('resumed after node loss');
    expect(first.text).toContain('broker node lost');
    expect(first.text).toContain('before: broker-1');
    expect(first.text).toContain('10.1.2.3');
    expect(first.text).toContain('clean DISCONNECT');
    expect(first.text).toContain('56 event(s), newest first');
    expect(first.text).toContain('data-testid="ap-connections-page">Page 1 of 2');
    const second = await page('?cpage=2');
    expect([...second.text.matchAll(/data-kind="([a-z_]+)"/g)]).toHaveLength(6);
    expect(second.text).toContain('Page 2 of 2');
    expect((await page('?cpage=0')).status).toBe(400);
    // the churn summary: this hour's counts (or the last two hours', at an hour's turn)
    const churn = [...first.text.matchAll(/<tr data-hour="[^"]+">[\s\S]*?<\/tr>/g)].map((m) =>
      [...m[0].matchAll(/<td class="num">(?:<span[^>]*>)?(\d+)/g)].map((x) => Number(x[1])),
    );
    const sum = (i: number) => churn.reduce((s, r) => s + r[i], 0);
    expect([sum(0), sum(1), sum(2), sum(3)]).toEqual([28, 27, 0, 1]);

    const zh = await page('', 'zh-CN,zh;q=0.9');
    expect(zh.text).toContain('节点失联后恢复');
    expect(zh.text).toContain('每小时连接次数');
    expect(zh.text).toContain('第 1 / 2 页');
  });

  it('forgets events and hourly counts older than the retention, and only those', async () => {
    const pool = f.platform.ctx.pool;
    const old = 'GID_prune01@@@OLD';
    const day = 86_400_000;
    const row = (daysAgo: number) => ({
      at: new Date(Date.now() - daysAgo * day),
      clientId: old,
      groupId: 'GID_prune01',
      kind: 'connect' as const,
      reason: null,
      brokerNode: 'n1',
      previousNode: null,
      credentialKind: 'signature',
      accessKeyId: 'LTAIprune',
      ip: '10.0.0.9',
      cleanSession: true,
    });
    const rows = [row(45), row(31), row(29), row(1)];
    await insertHistory(pool, rows);
    await addChurn(pool, rows);
    const left = async (table: string, col: string) =>
      (
        await queryRows<{ t: Date }>(
          pool,
          `SELECT ${col} AS t FROM ${table} WHERE client_id = ? ORDER BY ${col}`,
          [old],
        )
      ).length;
    expect([await left('ap_connection_events', 'at'), await left('ap_connection_churn', 'hour')]).toEqual([
      4, 4,
    ]);
    const pruned = await new ConnectionHistoryPruner(pool, 30, createLogger('silent')).prune();
    expect(pruned).toBe(4);
    expect([await left('ap_connection_events', 'at'), await left('ap_connection_churn', 'hour')]).toEqual([
      2, 2,
    ]);
    // the AP of the page above keeps all of its recent history
    expect((await page()).text).toContain('56 event(s), newest first');
  });

  it.skipIf(!SHOTS)(
    'takes screenshots at 1280 and 390 px in both languages (SHOTS_DIR)',
    async () => {
      fs.mkdirSync(SHOTS!, { recursive: true });
      const browser = await launchBrowser();
      try {
        for (const locale of ['zh-CN', 'en']) {
          const ctx = await browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
          const p = await ctx.newPage();
          await signInAs(p, f.platform.baseUrl, 'op-conn', PASSWORD);
          await p.goto(`${f.platform.baseUrl}/health/aps/${encodeURIComponent(clientId)}`);
          for (const width of [1280, 390]) {
            await p.setViewportSize({ width, height: 900 });
            await p.screenshot({ path: `${SHOTS}/ap-connections-${locale}-${width}.png`, fullPage: true });
            await p.screenshot({ path: `${SHOTS}/ap-connections-${locale}-${width}-top.png` });
          }
          await ctx.close();
        }
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
