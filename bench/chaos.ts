// `npm run chaos`: Redis down for longer than 5 minutes, then MariaDB down for longer than 5
// minutes, each under a running task and each crossing aedes' real will-sweep tick (every 4
// heartbeats of 60 s). A Redis and a MariaDB of its own, the broker and the web+worker roles as
// OS processes, a simulated fleet. Prints what survived and whether each task completed.
// CHAOS_OUTAGE_SECONDS (default 330) sets the length of each outage. Not part of `npm test`.
import { CONNECTION_EVENTS_QUEUE, UPLINK_QUEUE } from '../broker/index.js';
import { OutageRig } from '../test/platform/support/outage-rig.js';

const outageMs = Number(process.env.CHAOS_OUTAGE_SECONDS ?? 330) * 1000;
const t0 = Date.now();
const stamp = () => `[${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s]`;
const say = (m: string) => process.stdout.write(`${stamp()} ${m}\n`);

interface Round {
  service: 'redis' | 'mariadb';
  brokerAlive: boolean;
  appAlive: boolean;
  webAnswers: boolean;
  completed: boolean;
  confirmed: number;
  labels: number;
  failedJobs: Record<string, number>;
  completedAfterMs: number;
  /** the broker's log lines for failed will sweeps (or offline enqueues) during the round */
  storeFailures: number;
}

async function round(rig: OutageRig, service: 'redis' | 'mariadb'): Promise<Round> {
  const failuresBefore = rig.storeFailuresLogged();
  const id = await rig.startTask();
  say(`task ${id} running: ${await rig.confirmed(id)} of ${rig.labels} labels confirmed`);
  await rig.outage(service, outageMs);
  const back = Date.now();
  const r: Round = {
    service,
    brokerAlive: rig.broker.alive,
    appAlive: rig.app.alive,
    webAnswers: false,
    completed: false,
    confirmed: 0,
    labels: rig.labels,
    failedJobs: {},
    completedAfterMs: 0,
    storeFailures: rig.storeFailuresLogged() - failuresBefore,
  };
  try {
    await rig.completed(id, 600_000);
    r.completed = true;
    r.completedAfterMs = Date.now() - back;
  } catch (err) {
    say(`task ${id} did not complete: ${(err as Error).message}`);
  }
  r.confirmed = await rig.confirmed(id);
  r.webAnswers = await rig.webAnswers();
  r.failedJobs = await rig.failedJobs();
  say(
    `${service} round: broker ${r.brokerAlive ? 'alive' : 'DEAD'}, web+worker ${r.appAlive ? 'alive' : 'DEAD'}, ` +
      `task ${r.completed ? `completed ${Math.round(r.completedAfterMs / 1000)} s after ${service} returned` : 'NOT completed'} ` +
      `(${r.confirmed}/${r.labels} confirmed)`,
  );
  return r;
}

async function main() {
  say(`outages of ${outageMs / 1000} s each; aedes' will sweep every 240 s (heartbeat 60 s)`);
  const rig = await OutageRig.start({ groups: 2, labelsPerGroup: 200, log: say });
  const rounds: Round[] = [];
  try {
    rounds.push(await round(rig, 'redis'));
    rounds.push(await round(rig, 'mariadb'));
  } finally {
    await rig.close();
  }
  const ok = rounds.every(
    (r) =>
      r.brokerAlive &&
      r.appAlive &&
      r.webAnswers &&
      r.completed &&
      r.failedJobs[UPLINK_QUEUE] === 0 &&
      r.failedJobs[CONNECTION_EVENTS_QUEUE] === 0,
  );
  process.stdout.write(
    '\noutage   | down (s) | broker | web+worker | web answers | task              | failed uplink/connection jobs | will-sweep failures logged\n',
  );
  for (const r of rounds) {
    process.stdout.write(
      `${r.service.padEnd(8)} | ${String(outageMs / 1000).padStart(8)} | ${(r.brokerAlive ? 'alive' : 'DEAD').padEnd(6)} | ` +
        `${(r.appAlive ? 'alive' : 'DEAD').padEnd(10)} | ${(r.webAnswers ? 'yes' : 'NO').padEnd(11)} | ` +
        `${(r.completed ? `completed ${r.confirmed}/${r.labels}` : `open ${r.confirmed}/${r.labels}`).padEnd(17)} | ` +
        `${`${r.failedJobs[UPLINK_QUEUE]}/${r.failedJobs[CONNECTION_EVENTS_QUEUE]}`.padEnd(29)} | ${r.storeFailures}\n`,
    );
  }
  process.stdout.write(`\n${ok ? 'PASS' : 'FAIL'}: every role survived and every task completed\n`);
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  process.stderr.write(`chaos run failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
