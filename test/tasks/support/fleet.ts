// Simulated APs for a seeded store: its labels dealt round-robin to `aps` APs, on a plain broker
// or signed in to the platform's own.
import { SimAp, type SimApOptions } from '../../../sim/sim-ap.js';
import { signed, type BrokerFixture } from '../../support/mqtt.js';
import { seedStore, type SeededStore } from './fixtures.js';

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

type Group = { groupId: string; accessKeyId: string; secret: string };

/** A simulated AP of the fixture's broker, signing in as `<groupId>@@@<device>` with the group's AccessKey. */
export function signedSimAp(
  f: BrokerFixture,
  g: Group,
  device: string,
  opts: Partial<SimApOptions> & { labels: string[] },
): SimAp {
  const { clientId, username, password } = signed(f, g, device);
  return new SimAp({
    url: f.url(),
    clientId: clientId!,
    parentTopic: f.parent,
    statusIntervalMs: 60_000,
    username,
    password: String(password),
    ...opts,
  });
}

/**
 * A new Group ID with a seeded store and `fleet` signed APs sharing its labels round-robin,
 * started one after the other; each AP is pushed onto `aps` once started, for the caller to stop.
 */
export async function storeWithSignedFleet(
  f: BrokerFixture,
  aps: SimAp[],
  o: { products: number; labelsPerProduct: number; fleet: number },
  knobs: Partial<SimApOptions> = {},
): Promise<SeededStore> {
  const g = await f.newGroup();
  const s = await seedStore(f.platform.ctx.pool, {
    products: o.products,
    labelsPerProduct: o.labelsPerProduct,
    groupId: g.groupId,
  });
  for (let k = 0; k < o.fleet; k++) {
    const ap = signedSimAp(f, g, `AP${k}`, {
      labels: s.labelIds.filter((_, i) => i % o.fleet === k),
      ...knobs,
    });
    await ap.start();
    aps.push(ap);
  }
  return s;
}
