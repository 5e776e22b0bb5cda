// What the task pages show: human names of states and block reasons, the outcome line, the
// segments of the progress bar, and the JSON of the live events (public/tasks.js renders the same).
import type { BlockReason, Diagnosis } from './task-diagnosis.js';
import type { ApBreakdownRow } from './task-query-repo.js';
import type { TaskItem, TaskProgress } from './task-service.js';

/** The diagnosis as JSON (the task API and the task page's live events). */
export const diagnosisJson = (d: Diagnosis | undefined) => ({
  blocked: (d?.blocked ?? []).map((b) => ({ ...b, since: b.since.toISOString() })),
  forecast: d ? { ...d.forecast, deadlineAt: d.forecast.deadlineAt.toISOString() } : null,
});

export const TASK_STATE_NAMES: Record<string, string> = {
  queued: 'Queued',
  in_progress: 'Sending',
  completed: 'Completed',
  timed_out: 'Timed out',
  cancelled: 'Cancelled',
};

export const ITEM_STATE_NAMES: Record<string, string> = {
  pending: 'Waiting to send',
  sent: 'Sent, awaiting confirmation',
  confirmed: 'Confirmed',
  failed: 'Failed, retrying',
  timed_out: 'Timed out',
  cancelled: 'Cancelled',
};

export const BLOCK_NAMES: Record<BlockReason, string> = {
  no_ap: 'no AP in this Group ID',
  ap_offline: 'AP offline',
  label_unreported: 'no AP has reported this label',
  label_unreachable: 'AP cannot reach the label',
  ap_error: 'AP reported an error',
};

/** One line on how the task ended (or stands), and its tone: ok, warn, bad, muted or live. */
export function outcome(p: TaskProgress): { tone: string; text: string } {
  const c = (s: string) => p.counts[s] ?? 0;
  const of = `${c('confirmed')} of ${p.total} label(s) confirmed`;
  switch (p.task.state) {
    case 'completed':
      return { tone: 'ok', text: `Completed: ${of}.` };
    case 'timed_out':
      return { tone: 'bad', text: `Timed out: ${of}; ${c('timed_out')} missed the deadline.` };
    case 'cancelled':
      return {
        tone: 'muted',
        text: `Cancelled: ${of} before it was stopped; ${c('cancelled')} will not be updated.`,
      };
    default: {
      const miss = p.diagnosis?.forecast.willMiss ?? 0;
      return miss
        ? { tone: 'warn', text: `${of}; ${miss} will miss the deadline if nothing changes.` }
        : { tone: 'live', text: `${of}; the rest are on their way.` };
    }
  }
}

/** Segments of the progress bar in per cent: confirmed, missed (timed out or failed), cancelled, open. */
export function barSegments(p: TaskProgress): { cls: string; x: number; w: number; n: number }[] {
  const c = (s: string) => p.counts[s] ?? 0;
  const parts = [
    { cls: 'confirmed', n: c('confirmed') },
    { cls: 'missed', n: c('timed_out') + (p.active ? 0 : c('failed')) },
    { cls: 'cancelled', n: c('cancelled') },
  ];
  const total = p.total || 1;
  let x = 0;
  return parts.map((s) => {
    const w = Math.round((s.n / total) * 10000) / 100;
    const seg = { ...s, x, w };
    x += w;
    return seg;
  });
}

export const itemJson = (i: TaskItem) => ({
  itemId: i.id,
  labelId: i.labelId,
  sku: i.sku,
  name: i.name,
  price: i.price,
  promoPrice: i.promoPrice,
  currency: i.currency,
  state: i.state,
  stateName: ITEM_STATE_NAMES[i.state] ?? i.state,
  attempts: i.attempts,
  confirmedBy: i.confirmedBy,
  confirmedAt: i.confirmedAt?.toISOString() ?? null,
  error: i.error,
  blocked: i.blocked,
  blockedName: i.blocked ? BLOCK_NAMES[i.blocked] : null,
  ap: i.ap,
});

/** The task page's live event: everything the page shows that can change. */
export function liveJson(p: TaskProgress, breakdown: ApBreakdownRow[], items: TaskItem[] | null) {
  return {
    state: p.task.state,
    stateName: TASK_STATE_NAMES[p.task.state] ?? p.task.state,
    counts: p.counts,
    total: p.total,
    done: p.done,
    active: p.active,
    outcome: outcome(p),
    bar: barSegments(p),
    breakdown: breakdown.map((b) => ({ ...b, state: ITEM_STATE_NAMES[b.state] ?? b.state })),
    ...diagnosisJson(p.diagnosis),
    blockedNames: BLOCK_NAMES,
    items: items?.map(itemJson) ?? null,
  };
}

/** A short summary of a running task's diagnosis for the task list. */
export function blockSummary(d: Diagnosis | undefined): string {
  if (!d || !d.blocked.length) return '';
  return d.blocked
    .slice(0, 3)
    .map(
      (b) => `${b.labels} × ${BLOCK_NAMES[b.reason]}${b.clientId ? ` (${b.clientId})` : ` (${b.groupId})`}`,
    )
    .join('; ');
}
