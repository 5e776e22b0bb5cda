// Simulated APs for a seeded store: its labels dealt round-robin to `aps` APs.
import { SimAp, type SimApOptions } from '../../../sim/sim-ap.js';
import type { SeededStore } from './fixtures.js';

export async function startFleet(
  url: string,
  store: SeededStore,
  aps: number,
  opts: Partial<SimApOptions> = {},
): Promise<SimAp[]> {
  const fleet = Array.from(
    { length: aps },
    (_, k) =>
      new SimAp({
        url,
        clientId: `${store.groupId}@@@AP${k}`,
        parentTopic: 'esl',
        subscribeP2p: true,
        statusIntervalMs: 60_000,
        labels: store.labelIds.filter((_, i) => i % aps === k),
        ...opts,
      }),
  );
  await Promise.all(fleet.map((a) => a.start()));
  return fleet;
}
