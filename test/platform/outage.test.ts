// Redis and MariaDB outages under a running task, each long enough for every retry budget of
// the clients (ioredis gives up a command after 20 reconnect attempts, about 10 s; BullMQ's
// uplink jobs after 5 attempts, about 31 s) and crossing aedes' will sweep (every 4 heartbeats,
// here 1 s apart). Every process stays up, the task completes once the service is back, and no
// accepted uplink message or connection event is given up; a process started during an outage
// waits for the service instead of exiting. `npm run chaos` runs the outages for over 5 minutes
// each across the real 4-minute tick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTION_EVENTS_QUEUE, UPLINK_QUEUE } from '../../broker/index.js';
import { waitFor } from '../support/wait.js';
import { OutageRig } from './support/outage-rig.js';

let rig: OutageRig;

beforeAll(async () => {
  rig = await OutageRig.start({ heartbeatMs: 1000, groups: 2, labelsPerGroup: 150 });
}, 180_000);
afterAll(async () => {
  await rig?.close();
});

async function expectSurvivedAndCompleted(taskId: string) {
  expect(rig.broker.alive, `broker process\n${rig.tails()}`).toBe(true);
  expect(rig.app.alive, `web+worker process\n${rig.tails()}`).toBe(true);
  const done = await rig.completed(taskId, 240_000);
  expect(done.items).toEqual({ confirmed: rig.labels });
  expect(await rig.webAnswers()).toBe(true);
  expect(await rig.failedJobs()).toEqual({ [UPLINK_QUEUE]: 0, [CONNECTION_EVENTS_QUEUE]: 0 });
}

describe('outages', () => {
  it('a Redis outage across the will sweep kills no process, and the task completes after it', async () => {
    const id = await rig.startTask();
    const before = rig.storeFailuresLogged();
    // down for 25 s at least, and until a will sweep has failed for want of Redis (ioredis gives a
    // command up after 20 reconnect attempts; a loaded machine makes those slower)
    await rig.outage('redis', 25_000, () => rig.storeFailuresLogged() > before);
    expect(rig.storeFailuresLogged()).toBeGreaterThan(before);
    await expectSurvivedAndCompleted(id);
  }, 400_000);

  it('a MariaDB outage kills no process, loses no accepted uplink message, and the task completes after it', async () => {
    const id = await rig.startTask();
    await rig.outage('mariadb', 45_000);
    await expectSurvivedAndCompleted(id);
  }, 400_000);

  it('a process started while MariaDB is down waits for it and then starts', async () => {
    const late = rig.role('late web', { ROLES: 'web', HTTP_PORT: '0' });
    await rig.mariadb.stop();
    let up = false;
    try {
      const started = late.start(300_000).then(
        () => true,
        (err: unknown) => err,
      );
      await waitFor(
        'the late process waiting for MariaDB',
        () => late.logged('MySQL or Redis unreachable at start-up; waiting for it') >= 2 || !late.alive,
        { timeoutMs: 120_000 },
      );
      expect(late.alive, late.log.slice(-2000)).toBe(true);
      await rig.mariadb.start();
      up = true;
      expect(await started).toBe(true);
      expect(late.alive).toBe(true);
    } finally {
      if (!up) await rig.mariadb.start();
    }
  }, 400_000);
});
