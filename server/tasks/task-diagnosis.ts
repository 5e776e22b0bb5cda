// Why a running task's labels are not confirming, and how many will miss the deadline if nothing
// changes. Pure functions over what diagnosis-repo.ts reads, so the rules are testable alone.
//
// Reasons, most fundamental first (an item gets the first that applies):
//   no_ap             the item's Group ID has no AP at all: nobody can receive it
//   quiet_hours       a non-urgent item whose store is in its quiet hours: it waits for their end
//   ap_offline        the AP that serves the label (last reported or confirmed it) is disconnected
//   label_unreported  no AP has ever reported the label: none may be in its range
//   label_unreachable the serving AP is online and answered that it cannot reach the label
//   ap_error          the serving AP is online and answered `failed` for another reason
// An item with none of these is on its way (sent, awaiting its ack) and is not blocked.
import type { GroupAps, OpenItemBucket } from './diagnosis-repo.js';
import { quietGate } from './quiet-hours.js';

export const BLOCK_REASONS = [
  'no_ap',
  'quiet_hours',
  'ap_offline',
  'label_unreported',
  'label_unreachable',
  'ap_error',
] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

export interface Blocked {
  reason: BlockReason;
  groupId: string;
  clientId?: string;
  /** how many of the task's open labels this holds up */
  labels: number;
  /** since when: the AP's disconnect, the first failure, or the task's dispatch */
  since: Date;
  /** the AP's own words, for label_unreachable and ap_error */
  error?: string;
  /** quiet_hours: when the store's quiet hours end and the labels go */
  until?: Date;
}

export interface Forecast {
  open: number;
  blocked: number;
  /** labels that will not be confirmed by the deadline if nothing changes */
  willMiss: number;
  onTrack: number;
  deadlineAt: Date;
  /** confirmations per minute so far, or null before the first one */
  ratePerMinute: number | null;
  /** labels waiting for their store's quiet hours to end (part of `blocked`) */
  quietHours: number;
}

export interface Diagnosis {
  blocked: Blocked[];
  forecast: Forecast;
}

type ItemFacts = Pick<
  OpenItemBucket,
  'groupId' | 'ap' | 'apGroupId' | 'apOnline' | 'apDisconnectedAt' | 'error'
> & { urgent?: boolean };

/** The reason holding up one item (or a bucket of alike items), or null when it is simply on its way. */
export function classify(
  it: ItemFacts,
  group: GroupAps | undefined,
  now = new Date(),
): { reason: BlockReason; clientId?: string; until?: Date } | null {
  if (!group || group.total === 0) return { reason: 'no_ap' };
  const gate = it.urgent ? null : quietGate(group.quiet ?? null, now);
  if (gate?.urgentOnly) return { reason: 'quiet_hours', until: gate.until };
  // an AP of another group may have reported the label once; it cannot serve this item
  const serving = it.ap && it.apGroupId === it.groupId ? it.ap : null;
  if (serving && it.apOnline === false) return { reason: 'ap_offline', clientId: serving };
  if (!serving) return { reason: 'label_unreported' };
  if (it.error && !it.error.startsWith('cancelled') && !it.error.startsWith('superseded'))
    return {
      reason: it.error.startsWith('label_unreachable') ? 'label_unreachable' : 'ap_error',
      clientId: serving,
    };
  return null;
}

/** What blocks the open items of one store of a task: the part of the diagnosis that can be summed. */
export interface StorePart {
  storeId: number;
  open: number;
  blocked: Blocked[];
}

/**
 * A task's open items, store by store: the blocked entries and the open count of each store. The
 * diagnosis of any store scope is then `combine()` over that scope's parts, with no query more.
 */
export function storeParts(input: {
  buckets: OpenItemBucket[];
  groups: Map<string, GroupAps>;
  task: { createdAt: Date; dispatchedAt: Date | null };
  now: Date;
}): Map<number, StorePart> {
  const { buckets, groups, task, now } = input;
  const started = task.dispatchedAt ?? task.createdAt;
  const parts = new Map<number, { open: number; merged: Map<string, Blocked> }>();
  for (const b of buckets) {
    const part = parts.get(b.storeId) ?? parts.set(b.storeId, { open: 0, merged: new Map() }).get(b.storeId)!;
    part.open += b.n;
    const c = classify(b, groups.get(b.groupId), now);
    if (!c) continue;
    const since =
      c.reason === 'ap_offline'
        ? (b.apDisconnectedAt ?? started)
        : c.reason === 'label_unreachable' || c.reason === 'ap_error'
          ? b.firstAt
          : started;
    const error = c.reason === 'label_unreachable' || c.reason === 'ap_error' ? b.error! : undefined;
    mergeBlocked(part.merged, {
      reason: c.reason,
      groupId: b.groupId,
      ...(c.clientId ? { clientId: c.clientId } : {}),
      labels: b.n,
      since,
      ...(error ? { error } : {}),
      ...(c.until ? { until: c.until } : {}),
    });
  }
  return new Map(
    [...parts].map(([storeId, p]) => [storeId, { storeId, open: p.open, blocked: [...p.merged.values()] }]),
  );
}

function mergeBlocked(merged: Map<string, Blocked>, e: Blocked) {
  const key = `${e.reason}\n${e.groupId}\n${e.clientId ?? ''}\n${e.error ?? ''}`;
  const had = merged.get(key);
  if (!had) merged.set(key, { ...e });
  else {
    had.labels += e.labels;
    if (e.since < had.since) had.since = e.since;
  }
}

/**
 * The diagnosis over some stores' parts (all of them for an unscoped reader): their blocked
 * entries merged, their totals summed, and the forecast from `confirmed`, the confirmations of
 * those same stores, so the pace is theirs too.
 */
export function combine(input: {
  parts: Iterable<StorePart>;
  task: { createdAt: Date; dispatchedAt: Date | null; deadlineAt: Date };
  confirmed: number;
  now: Date;
}): Diagnosis {
  const { task, confirmed, now } = input;
  const started = task.dispatchedAt ?? task.createdAt;
  const merged = new Map<string, Blocked>();
  let open = 0;
  for (const part of input.parts) {
    open += part.open;
    for (const b of part.blocked) mergeBlocked(merged, b);
  }
  const order = (r: BlockReason) => BLOCK_REASONS.indexOf(r);
  const blocked = [...merged.values()].sort(
    (a, b) => order(a.reason) - order(b.reason) || b.labels - a.labels || a.groupId.localeCompare(b.groupId),
  );
  const blockedN = blocked.reduce((a, b) => a + b.labels, 0);
  // Labels waiting for quiet hours go when they end: they miss the deadline only if that is later.
  const quiet = blocked.filter((b) => b.reason === 'quiet_hours');
  const quietN = quiet.reduce((a, b) => a + b.labels, 0);
  const quietLate = quiet.filter((b) => b.until! >= task.deadlineAt).reduce((a, b) => a + b.labels, 0);
  // What is not blocked confirms at the pace seen so far; what that pace cannot reach by the
  // deadline misses it too. Before the first confirmation there is no pace to judge by.
  const elapsedS = Math.max(0, (now.getTime() - started.getTime()) / 1000);
  const remainingS = Math.max(0, (task.deadlineAt.getTime() - now.getTime()) / 1000);
  const rate = confirmed > 0 && elapsedS > 0 ? confirmed / elapsedS : null;
  const flowing = open - blockedN;
  const reachable = rate === null ? flowing : Math.min(flowing, Math.floor(rate * remainingS));
  const willMiss = blockedN - quietN + quietLate + (flowing - reachable);
  return {
    blocked,
    forecast: {
      open,
      blocked: blockedN,
      willMiss,
      onTrack: open - willMiss,
      deadlineAt: task.deadlineAt,
      ratePerMinute: rate === null ? null : Math.round(rate * 60 * 10) / 10,
      quietHours: quietN,
    },
  };
}

/** The whole task's diagnosis (every store). */
export function diagnose(input: {
  buckets: OpenItemBucket[];
  groups: Map<string, GroupAps>;
  task: { createdAt: Date; dispatchedAt: Date | null; deadlineAt: Date };
  confirmed: number;
  now: Date;
}): Diagnosis {
  return combine({ ...input, parts: storeParts(input).values() });
}
