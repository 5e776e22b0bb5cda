// `npm run sim` as a user runs it: its own process, device credentials from a file, the
// platform's broker. Its APs come online, and a price change confirms on every label.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../server/audit/audit-chain.js';
import { PROJECT_ROOT } from '../../server/config.js';
import { withTx } from '../../server/db/pool.js';
import { TaskCreator } from '../../server/tasks/task-creator.js';
import { TaskQueue } from '../../server/tasks/task-queue.js';
import { startBroker, type BrokerFixture } from '../support/mqtt.js';
import { uid } from '../support/env.js';
import { seedStore } from '../tasks/support/fixtures.js';
import { execute, queryRows } from '../../server/db/query.js';
import { waitFor } from '../support/wait.js';

let f: BrokerFixture;
let queue: TaskQueue;
let sim: ChildProcess | null = null;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esl-sim-'));

beforeAll(async () => {
  f = await startBroker();
  queue = new TaskQueue(f.platform.ctx.redisUrl, f.platform.config.REDIS_PREFIX);
});
afterAll(async () => {
  sim?.kill('SIGTERM');
  await queue?.stop();
  await f?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const q = async (sql: string, args: unknown[] = []) =>
  queryRows<Record<string, unknown>>(f.platform.ctx.pool, sql, args);

describe('npm run sim', () => {
  it('connects APs with device credentials from a file and confirms a price change', async () => {
    const groupId = `GID_${uid(4)}`;
    await f.registry.createGroup(SYSTEM_ACTOR, { groupId });
    const store = await seedStore(f.platform.ctx.pool, { products: 4, labelsPerProduct: 3, groupId });
    const lines = [];
    for (const k of [0, 1]) {
      const c = await f.registry.issueDeviceCredential(SYSTEM_ACTOR, { clientId: `${groupId}@@@SIM-${k}` });
      lines.push(`${c.clientId},${c.deviceAccessKeyId},${c.deviceAccessKeySecret}`);
    }
    const file = path.join(dir, 'creds.csv');
    fs.writeFileSync(file, `# clientId,deviceAccessKeyId,deviceAccessKeySecret\n${lines.join('\n')}\n`);

    sim = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'sim/main.ts',
        '--mysql-url',
        f.platform.ctx.mysqlUrl,
        '--groups',
        groupId,
        '--aps-per-group',
        '2',
        '--url',
        f.url(),
        '--parent',
        f.parent,
        '--credentials-file',
        file,
        '--instance-id',
        f.broker.instanceId,
        '--quiet',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    sim.stdout!.on('data', (d) => (out += d));
    sim.stderr!.on('data', (d) => (out += d));
    await waitFor('sim ready', async () => out, { until: (o) => o.includes('"ready":true') });
    expect(JSON.parse(out.split('\n').find((l) => l.includes('"ready"'))!)).toEqual({
      ready: true,
      aps: 2,
      labels: 12,
    });
    await waitFor(
      'sim APs online',
      () => q('SELECT client_id FROM aps WHERE group_id = ? AND online = 1', [groupId]),
      { until: (r) => r.length === 2 },
    );

    const creator = new TaskCreator(f.platform.ctx.pool, f.platform.config, (id) => queue.enqueueTask(id));
    const t = await withTx(f.platform.ctx.pool, async (c) => {
      await execute(c, "UPDATE prices SET price = '7.77' WHERE store_id = ?", [store.storeId]);
      return creator.createInTx(
        c,
        SYSTEM_ACTOR,
        store.productIds.map((productId) => ({ storeId: store.storeId, productId })),
        { source: 'ui' },
      );
    });
    await creator.enqueue(t!.taskId);
    await waitFor('task completed', () => q('SELECT state FROM tasks WHERE id = ?', [t!.taskId]), {
      until: (r) => r[0]?.state === 'completed',
    });
    expect(
      await q("SELECT COUNT(*) AS n FROM task_items WHERE task_id = ? AND state = 'confirmed'", [t!.taskId]),
    ).toEqual([{ n: '12' }]);

    // 'close', not 'exit': the last line may still be in the pipe when the process has exited.
    const exited = new Promise((r) => sim!.once('close', r));
    sim.kill('SIGTERM');
    await exited;
    sim = null;
    const done = JSON.parse(out.split('\n').find((l) => l.includes('"done"'))!);
    expect(done.applied).toBe(12);
  });

  it('refuses a malformed credentials file with the line number', async () => {
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, 'GID_x@@@SIM-0,onlytwo\n');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'sim/main.ts',
        '--mysql-url',
        f.platform.ctx.mysqlUrl,
        '--groups',
        'GID_x',
        '--credentials-file',
        file,
        '--instance-id',
        'i',
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const code = await new Promise((r) => child.once('close', r)); // (stderr read to the end)
    expect(code).toBe(2);
    expect(err).toContain('bad.csv line 1: expected clientId,deviceAccessKeyId,deviceAccessKeySecret');
  });
});
