// The stuck-task rules on their own: which reason holds up an item, and the deadline forecast.
import { describe, expect, it } from 'vitest';
import type { OpenItemBucket } from '../../server/tasks/diagnosis-repo.js';
import { classify, combine, diagnose, storeParts } from '../../server/tasks/task-diagnosis.js';

const G = 'GID_a';
const item = (o: Partial<OpenItemBucket> = {}): OpenItemBucket => ({
  storeId: 1,
  groupId: G,
  ap: `${G}@@@AP0`,
  apGroupId: G,
  apOnline: true,
  apDisconnectedAt: null,
  error: null,
  urgent: false,
  n: 1,
  firstAt: new Date('2026-01-01T10:00:00Z'),
  ...o,
});
const aps = (total: number, online = total) => ({ total, online });

describe('classify', () => {
  it('names the most fundamental reason first', () => {
    expect(classify(item({ apOnline: false }), aps(0))).toEqual({ reason: 'no_ap' });
    expect(classify(item({ apOnline: false }), aps(2, 1))).toEqual({
      reason: 'ap_offline',
      clientId: `${G}@@@AP0`,
    });
    expect(classify(item({ ap: null, apGroupId: null, apOnline: null }), aps(2))).toEqual({
      reason: 'label_unreported',
    });
    expect(classify(item({ error: 'label_unreachable' }), aps(1))).toEqual({
      reason: 'label_unreachable',
      clientId: `${G}@@@AP0`,
    });
    expect(classify(item({ error: 'hash_mismatch: the AP shows different content' }), aps(1))).toMatchObject({
      reason: 'ap_error',
    });
    expect(classify(item(), aps(1))).toBeNull();
  });

  it('does not take an AP of another group as the serving AP', () => {
    expect(classify(item({ ap: 'GID_b@@@X', apGroupId: 'GID_b', apOnline: false }), aps(1))).toEqual({
      reason: 'label_unreported',
    });
  });
});

describe('diagnose', () => {
  const task = {
    createdAt: new Date('2026-01-01T10:00:00Z'),
    dispatchedAt: new Date('2026-01-01T10:00:00Z'),
    deadlineAt: new Date('2026-01-01T10:30:00Z'),
  };
  const groups = new Map([[G, aps(2, 1)]]);

  it('merges alike buckets and counts the blocked labels as missing the deadline', () => {
    const off = new Date('2026-01-01T09:00:00Z');
    const d = diagnose({
      buckets: [
        item({ apOnline: false, apDisconnectedAt: off, n: 3 }),
        item({ apOnline: false, apDisconnectedAt: off, n: 2, error: 'label_unreachable' }),
        item({ n: 4 }),
      ],
      groups,
      task,
      confirmed: 100,
      now: new Date('2026-01-01T10:01:40Z'),
    });
    expect(d.blocked).toEqual([
      { reason: 'ap_offline', groupId: G, clientId: `${G}@@@AP0`, labels: 5, since: off },
    ]);
    // 100 confirmed in 100 s: the 4 unblocked ones are well within reach
    expect(d.forecast).toMatchObject({ open: 9, blocked: 5, willMiss: 5, onTrack: 4, ratePerMinute: 60 });
  });

  it('adds what the pace so far cannot reach by the deadline', () => {
    const d = diagnose({
      buckets: [item({ n: 1000 })],
      groups,
      task,
      confirmed: 10,
      // 10 confirmations in 20 minutes, 10 minutes left: 5 more can make it
      now: new Date('2026-01-01T10:20:00Z'),
    });
    expect(d.blocked).toEqual([]);
    expect(d.forecast).toMatchObject({ open: 1000, blocked: 0, willMiss: 995, onTrack: 5 });
  });

  it('does not guess before the first confirmation', () => {
    const d = diagnose({
      buckets: [item({ n: 50 })],
      groups,
      task,
      confirmed: 0,
      now: new Date('2026-01-01T10:00:05Z'),
    });
    expect(d.forecast).toMatchObject({ willMiss: 0, onTrack: 50, ratePerMinute: null });
  });
});

describe('quiet hours in the diagnosis', () => {
  // 23:00 in UTC, inside 22:00-07:00
  const now = new Date('2026-06-01T23:00:00Z');
  const quiet = { ...aps(1), quiet: { from: 22 * 60, to: 7 * 60, zone: 'UTC' } };
  const task = (deadline: string) => ({
    createdAt: new Date('2026-06-01T22:59:00Z'),
    dispatchedAt: new Date('2026-06-01T22:59:00Z'),
    deadlineAt: new Date(deadline),
  });

  it('names non-urgent items of a store in its window quiet_hours with the end; urgent ones are on their way', () => {
    expect(classify(item(), quiet, now)).toEqual({
      reason: 'quiet_hours',
      until: new Date('2026-06-02T07:00:00Z'),
    });
    expect(classify(item({ urgent: true }), quiet, now)).toBeNull();
    expect(classify(item(), quiet, new Date('2026-06-02T07:00:00Z'))).toBeNull();
    // no AP at all comes first: the window's end would not help
    expect(classify(item(), { ...quiet, total: 0 }, now)).toEqual({ reason: 'no_ap' });
  });

  it('counts waiting labels as missing the deadline only when the window ends after it', () => {
    const buckets = [item({ n: 5 }), item({ n: 2, urgent: true })];
    const groups = new Map([[G, quiet]]);
    const before = diagnose({ buckets, groups, task: task('2026-06-02T07:30:00Z'), confirmed: 0, now });
    expect(before.blocked).toEqual([
      expect.objectContaining({ reason: 'quiet_hours', labels: 5, until: new Date('2026-06-02T07:00:00Z') }),
    ]);
    expect(before.forecast).toMatchObject({ open: 7, blocked: 5, quietHours: 5, willMiss: 0 });
    const after = diagnose({ buckets, groups, task: task('2026-06-02T06:00:00Z'), confirmed: 0, now });
    expect(after.forecast).toMatchObject({ blocked: 5, quietHours: 5, willMiss: 5 });
  });
});

describe('the diagnosis of a store scope', () => {
  const task = {
    createdAt: new Date('2026-01-01T10:00:00Z'),
    dispatchedAt: new Date('2026-01-01T10:00:00Z'),
    deadlineAt: new Date('2026-01-01T10:30:00Z'),
  };
  const H = 'GID_b';
  const groups = new Map([
    [G, aps(1, 0)],
    [H, aps(1)],
  ]);
  const now = new Date('2026-01-01T10:20:00Z');
  // store 1: 3 labels behind an offline AP, 2 on their way; store 2: 1000 on their way
  const buckets = [
    item({ apOnline: false, n: 3 }),
    item({ n: 2 }),
    item({ storeId: 2, groupId: H, ap: `${H}@@@AP0`, apGroupId: H, n: 1000 }),
  ];
  const parts = storeParts({ buckets, groups, task, now });

  it('sums every store for the whole task', () => {
    const all = combine({ parts: parts.values(), task, confirmed: 10, now });
    // 10 confirmed in 20 minutes: 5 of the 1002 flowing labels reachable in the 10 minutes left
    expect(all.blocked).toEqual([expect.objectContaining({ reason: 'ap_offline', groupId: G, labels: 3 })]);
    expect(all.forecast).toMatchObject({ open: 1005, blocked: 3, willMiss: 1000, onTrack: 5 });
  });

  it("counts only the scope's stores: their blocked entries, totals and pace", () => {
    // store 1 alone, 10 of its labels confirmed in 20 minutes: 5 more reachable in the 10 left
    const one = combine({ parts: [parts.get(1)!], task, confirmed: 10, now });
    expect(one.blocked).toEqual([expect.objectContaining({ reason: 'ap_offline', groupId: G, labels: 3 })]);
    expect(one.forecast).toMatchObject({ open: 5, blocked: 3, willMiss: 3, onTrack: 2 });
    const two = combine({ parts: [parts.get(2)!], task, confirmed: 10, now });
    expect(two.blocked).toEqual([]);
    expect(two.forecast).toMatchObject({ open: 1000, blocked: 0, willMiss: 995, onTrack: 5 });
  });
});
