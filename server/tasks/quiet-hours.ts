// Quiet hours: a store's daily window in its own local time (e.g. 22:00-07:00, crossing
// midnight) during which its labels are left alone; urgent items go anyway. Wall-clock times
// are turned into instants with the store's IANA zone (luxon), so a window stays right
// across daylight-saving changes. The dispatcher asks `quietGate` per Group ID and round.
import { DateTime } from 'luxon';

/** Minutes after local midnight: [from, to); from > to crosses midnight. */
export interface QuietWindow {
  from: number;
  to: number;
  zone: string;
}

export type QuietState = { quiet: true; until: Date } | { quiet: false; next: Date };

const minutesOf = (d: DateTime) => d.hour * 60 + d.minute;
const at = (day: DateTime, minutes: number) =>
  day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 });

export function inWindow(w: QuietWindow, minutes: number): boolean {
  return w.from < w.to ? minutes >= w.from && minutes < w.to : minutes >= w.from || minutes < w.to;
}

/** Whether `now` is inside the window, and when it ends (quiet) or next begins (not quiet). */
export function quietState(w: QuietWindow, now: Date): QuietState {
  const local = DateTime.fromJSDate(now, { zone: w.zone });
  if (!local.isValid) throw new Error(`unknown time zone "${w.zone}"`);
  const m = minutesOf(local);
  const today = local.startOf('day');
  if (inWindow(w, m)) {
    // The end is today unless the window crosses midnight and we are before it.
    const endDay = w.from > w.to && m >= w.from ? today.plus({ days: 1 }) : today;
    return { quiet: true, until: at(endDay, w.to).toJSDate() };
  }
  const startDay = m < w.from ? today : today.plus({ days: 1 });
  return { quiet: false, next: at(startDay, w.from).toJSDate() };
}

/**
 * What a Group ID of a store may send now: everything, or (inside the quiet window) only
 * urgent items until `until`. No window: everything.
 */
export function quietGate(
  w: QuietWindow | null,
  now: Date,
): { urgentOnly: false } | { urgentOnly: true; until: Date } {
  if (!w) return { urgentOnly: false };
  const s = quietState(w, now);
  return s.quiet ? { urgentOnly: true, until: s.until } : { urgentOnly: false };
}

/**
 * When items created at `now` with `deadlineSeconds` to go may be held by the window: the end
 * of a window that is running or begins before the deadline; null when they are not.
 */
export function quietHoldUntil(w: QuietWindow | null, now: Date, deadlineSeconds: number): Date | null {
  if (!w) return null;
  const s = quietState(w, now);
  if (s.quiet) return s.until;
  if (s.next.getTime() >= now.getTime() + deadlineSeconds * 1000) return null;
  const later = quietState(w, s.next);
  return later.quiet ? later.until : null;
}

/** "22:00" -> 1320; null for anything else. */
export function parseClock(v: string): number | null {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(v.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export const formatClock = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
