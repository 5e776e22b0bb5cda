// Times typed for a price change are the store's wall time (the form and a CSV without an
// offset), stored as the instant they name, across the store's daylight-saving changes; a wall
// time the clocks skip is refused with a message that says so; an explicit offset is kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestPlatform } from '../support/platform.js';
import type { WebClient } from '../support/web-client.js';
import {
  makeLabels,
  makeProduct,
  makeStore,
  q,
  setPrice,
  signedIn,
  startCatalogPlatform,
} from './support/fixtures.js';

let p: TestPlatform;
let op: WebClient;
let pid: number;

beforeAll(async () => {
  p = await startCatalogPlatform();
  const admin = await signedIn(p, 'admin');
  op = await signedIn(p, 'operator');
  const st = await makeStore(p, admin, 'BER1');
  const zone = await admin.post(
    `/catalog/stores/${st.id}`,
    { name: 'BER1', timezone: 'Europe/Berlin', currency: 'EUR' },
    `/catalog/stores/${st.id}`,
  );
  expect(zone.status).toBe(302);
  pid = await makeProduct(op, 'TZ-1');
  await makeLabels(op, st, 'TZ-1', ['TZ-L1']);
});
afterAll(() => p?.close());

const lastSchedule = async () =>
  (
    await q<{ effective_at: Date }>(
      p,
      "SELECT effective_at FROM price_schedules WHERE kind = 'price' ORDER BY id DESC LIMIT 1",
    )
  )[0].effective_at;

describe("a price change's times in the store's zone", () => {
  it('reads a summer and a winter wall time with the offset of that day', async () => {
    expect(
      (await setPrice(op, pid, { price: '2.00', stores: 'BER1', effectiveAt: '2027-07-01T09:00' })).status,
    ).toBe(302);
    expect((await lastSchedule()).toISOString()).toBe('2027-07-01T07:00:00.000Z'); // CEST, UTC+2
    expect(
      (await setPrice(op, pid, { price: '2.10', stores: 'BER1', effectiveAt: '2027-12-01T09:00' })).status,
    ).toBe(302);
    expect((await lastSchedule()).toISOString()).toBe('2027-12-01T08:00:00.000Z'); // CET, UTC+1
    // the hour the clocks repeat (02:00-03:00 on 31 October 2027) is the later one, in CET
    expect(
      (await setPrice(op, pid, { price: '2.20', stores: 'BER1', effectiveAt: '2027-10-31T02:30' })).status,
    ).toBe(302);
    expect((await lastSchedule()).toISOString()).toBe('2027-10-31T01:30:00.000Z');
  });

  it('refuses a wall time the clocks skip, naming the zone', async () => {
    const r = await setPrice(op, pid, { price: '2.30', stores: 'BER1', effectiveAt: '2027-03-28T02:30' });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/data-field="effectiveAt">[^<]*does not exist in Europe\/Berlin/);
  });

  it('keeps an explicit offset as written, in a CSV too', async () => {
    expect(
      (await setPrice(op, pid, { price: '2.40', stores: 'BER1', effectiveAt: '2027-07-02T09:00:00Z' }))
        .status,
    ).toBe(302);
    expect((await lastSchedule()).toISOString()).toBe('2027-07-02T09:00:00.000Z');
    const csv =
      'sku,store,price,effective_at\nTZ-1,BER1,2.50,2027-07-03T09:00\nTZ-1,BER1,2.60,2027-07-04T09:00+08:00\n';
    const imp = await op.post('/catalog/imports', { csv }, '/catalog/imports');
    expect(imp.status).toBe(302);
    const preview = await op.get(imp.location!);
    const hash = /name="hash" value="([0-9a-f]{64})"/.exec(preview.text)![1];
    expect((await op.post(`${imp.location}/confirm`, { hash })).status).toBe(302);
    const rows = await q<{ effective_at: Date }>(
      p,
      "SELECT effective_at FROM price_schedules WHERE kind = 'price' ORDER BY id DESC LIMIT 2",
    );
    expect(rows.map((r) => r.effective_at.toISOString()).sort()).toEqual([
      '2027-07-03T07:00:00.000Z',
      '2027-07-04T01:00:00.000Z',
    ]);
  });
});
