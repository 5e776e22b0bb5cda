// Redis away (a hung connection, through a TCP proxy that stops passing bytes): events keep
// being recorded in the MySQL outbox with their deliveries pending, the process stays up, and
// when Redis answers again the relay queues them and every one is delivered.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SecretBox } from '../../broker/index.js';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { withTx } from '../../server/db/pool.js';
import { recordEvent } from '../../server/webhooks/events.js';
import { WebhookService } from '../../server/webhooks/webhook-service.js';
import { serverUrls } from '../support/env.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';
import { Receiver } from './receiver.js';

let proxy: TcpProxy;
let p: TestPlatform;
let rx: Receiver;

beforeAll(async () => {
  proxy = await startTcpProxy(serverUrls().redisUrl);
  [p, rx] = await Promise.all([
    startTestPlatform(
      { WEBHOOK_RELAY_INTERVAL_MS: '100', WEBHOOK_RETRY_BASE_MS: '100' },
      { redisUrl: proxy.url },
    ),
    new Receiver().start(),
  ]);
});
afterAll(async () => {
  proxy?.thaw();
  await rx?.close();
  await p?.close();
  await proxy?.close();
});

it('keeps events in the outbox while Redis hangs and delivers all of them when it is back', async () => {
  const box = SecretBox.load(p.config.MQTT_SECRET_KEY, p.config.DATA_DIR);
  const hooks = new WebhookService(p.ctx.pool, box, true);
  const url = rx.path('/outage', '');
  const { endpoint, secret } = await hooks.create(SYSTEM_ACTOR, {
    name: 'outage',
    url,
    events: ['task.completed'],
    enabled: true,
  });
  rx.setSecret('/outage', secret);

  proxy.freeze();
  // recorded the way the task finisher does, inside a MySQL transaction (no Redis involved)
  const ids: string[] = [];
  for (let i = 0; i < 3; i++)
    ids.push((await withTx(p.ctx.pool, (c) => recordEvent(c, 'task.completed', { taskId: `outage-${i}` })))!);
  // several relay ticks pass while Redis hangs: nothing is sent, nothing is dropped
  await new Promise((r) => setTimeout(r, 1500));
  const [held] = (await p.ctx.pool.query(
    'SELECT state, COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? GROUP BY state',
    [endpoint.id],
  )) as unknown as [{ state: string; n: number }[]];
  expect(held).toEqual([{ state: 'pending', n: '3' }]);
  expect(rx.at('/outage')).toHaveLength(0);
  // the process is up: the web role still answers what needs no Redis
  expect((await fetch(`${p.baseUrl}/api/v1/openapi.json`)).status).toBe(200);

  proxy.thaw();
  const got = await waitFor('the held events', async () => rx.at('/outage'), {
    until: (l) => l.length >= 3,
    timeoutMs: 60_000,
  });
  expect(got.map((r) => r.json.id).sort()).toEqual([...ids].sort());
  expect(got.every((r) => r.signatureValid)).toBe(true);
  await waitFor(
    'all three succeeded',
    async () =>
      (
        (await p.ctx.pool.query(
          "SELECT COUNT(*) AS n FROM webhook_deliveries WHERE endpoint_id = ? AND state = 'succeeded'",
          [endpoint.id],
        )) as unknown as [{ n: number }[]]
      )[0][0].n,
    { until: (n) => Number(n) === 3, timeoutMs: 30_000 },
  );
}, 120_000);
