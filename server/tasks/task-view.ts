// What the task pages show: human names of states and block reasons, the outcome line, the
// segments of the progress bar, and the JSON of the live events (public/tasks.js renders the same).
import type { Diagnosis } from './task-diagnosis.js';
import type { ApBreakdownRow } from './task-query-repo.js';
import type { TaskItem, TaskProgress } from './task-service.js';

/** The diagnosis as JSON (the task API and the task page's live events). */
export const diagnosisJson = (d: Diagnosis | undefined) => ({
  blocked: (d?.blocked ?? []).map((b) => ({
    ...b,
    since: b.since.toISOString(),
    ...(b.until ? { until: b.until.toISOString() } : {}),
  })),
  forecast: d ? { ...d.forecast, deadlineAt: d.forecast.deadlineAt.toISOString() } : null,
});

/** A catalogue translator (req.t, the views' t()): a key and its values to the reader's text. */
export type TFn = (key: string, values?: Record<string, unknown>) => string;

/** Block reasons in English, for text that is stored or shared (alert summaries) rather than shown to one reader. */
const BLOCK_NAMES_EN: Record<string, string> = {
  no_ap: 'no AP in this Group ID',
  ap_offline: 'AP offline',
  label_unreported: 'no AP has reported this label',
  label_unreachable: 'AP cannot reach the label',
  ap_error: 'AP reported an error',
  quiet_hours: "waiting for the store's quiet hours to end",
};
/** English names where no reader is known: a key's English text for block reasons, else the value. */
export const englishNames: TFn = (key) => {
  const m = /^state\.block\.(\w+)$/.exec(key);
  return (m && BLOCK_NAMES_EN[m[1]]) || key;
};

/** The catalogue key of a task state's human name (`state.task.completed`). */
export const taskStateKey = (s: string) => `state.task.${s}`;
/** The catalogue key of an item state's human name (`state.item.sent`). */
export const itemStateKey = (s: string) => `state.item.${s}`;
/** The catalogue key of a block reason's human name (`state.block.ap_offline`). */
export const blockKey = (r: string) => `state.block.${r}`;

/** Human names in the reader's language; a value the catalogue does not know shows as it is. */
export const stateNames = (t: TFn) => {
  const name = (key: string, raw: string) => {
    const v = t(key);
    return v === key ? raw : v;
  };
  return {
    task: (s: string) => name(taskStateKey(s), s),
    item: (s: string) => name(itemStateKey(s), s),
    block: (r: string) => name(blockKey(r), r),
  };
};

/** One line on how the task ended (or stands), and its tone: ok, warn, bad, muted or live. */
export function outcome(p: TaskProgress, t: TFn): { tone: string; text: string } {
  const c = (s: string) => p.counts[s] ?? 0;
  const of = t('tasks.outcome.of', { confirmed: c('confirmed'), total: p.total });
  switch (p.task.state) {
    case 'completed':
      return { tone: 'ok', text: t('tasks.outcome.completed', { of }) };
    case 'timed_out':
      return { tone: 'bad', text: t('tasks.outcome.timedOut', { of, n: c('timed_out') }) };
    case 'cancelled':
      return { tone: 'muted', text: t('tasks.outcome.cancelled', { of, n: c('cancelled') }) };
    default: {
      const miss = p.diagnosis?.forecast.willMiss ?? 0;
      return miss
        ? { tone: 'warn', text: t('tasks.outcome.willMiss', { of, n: miss }) }
        : { tone: 'live', text: t('tasks.outcome.onTheirWay', { of }) };
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

export const itemJson = (i: TaskItem, t: TFn) => ({
  itemId: i.id,
  labelId: i.labelId,
  sku: i.sku,
  name: i.name,
  price: i.price,
  promoPrice: i.promoPrice,
  currency: i.currency,
  state: i.state,
  stateName: stateNames(t).item(i.state),
  attempts: i.attempts,
  confirmedBy: i.confirmedBy,
  confirmedAt: i.confirmedAt?.toISOString() ?? null,
  error: i.error,
  blocked: i.blocked,
  blockedName: i.blocked ? stateNames(t).block(i.blocked) : null,
  ap: i.ap,
});

/** How the live event writes times (the reader's zone unless one is given) and money for its reader. */
export interface LiveFormat {
  time: (d: Date, zone?: string) => string;
  money: (amount: string, currency: string) => string;
}

/** The task page's live event: everything the page shows that can change. */
export function liveJson(
  p: TaskProgress,
  breakdown: ApBreakdownRow[],
  items: TaskItem[] | null,
  t: TFn,
  fmt: LiveFormat,
) {
  const names = stateNames(t);
  const diag = diagnosisJson(p.diagnosis);
  return {
    state: p.task.state,
    stateName: names.task(p.task.state),
    counts: p.counts,
    total: p.total,
    done: p.done,
    active: p.active,
    outcome: outcome(p, t),
    bar: barSegments(p),
    breakdown: breakdown.map((b) => ({ ...b, state: names.item(b.state) })),
    ...diag,
    blocked: (p.diagnosis?.blocked ?? []).map((b) => ({
      ...b,
      since: b.since.toISOString(),
      sinceText: fmt.time(b.since),
      name: names.block(b.reason),
      ...(b.until
        ? { until: b.until.toISOString(), untilText: t('quiet.until', { time: fmt.time(b.until) }) }
        : {}),
    })),
    items:
      items?.map((i) => ({
        ...itemJson(i, t),
        priceText: fmt.money(i.price, i.currency),
        promoText: i.promoPrice ? t('tasks.show.promo', { price: fmt.money(i.promoPrice, i.currency) }) : '',
        confirmedText: i.confirmedAt ? fmt.time(i.confirmedAt, i.storeTimezone) : null,
      })) ?? null,
  };
}

/** What one blocked group of labels is: enough to summarise it in any language. */
export type BlockedBrief = { reason: string; groupId: string; clientId?: string; labels: number };

/** A short summary of what holds labels up (the first three reasons), e.g. "2 × AP offline (G@@@D)". */
export function blockedSummary(blocked: BlockedBrief[], t: TFn): string {
  const names = stateNames(t);
  return blocked
    .slice(0, 3)
    .map(
      (b) => `${b.labels} × ${names.block(b.reason)}${b.clientId ? ` (${b.clientId})` : ` (${b.groupId})`}`,
    )
    .join('; ');
}

/** A short summary of a running task's diagnosis for the task list. */
export function blockSummary(d: Diagnosis | undefined, t: TFn): string {
  if (!d || !d.blocked.length) return '';
  return blockedSummary(d.blocked, t);
}
