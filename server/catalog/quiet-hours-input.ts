// A store's quiet hours as people write them ("22:00" to "07:00", both empty = none), checked
// into minutes after local midnight. The pipeline applies them (server/tasks/quiet-hours.ts).
export interface QuietHours {
  from: number;
  to: number;
}

const CLOCK = /^([01]?\d|2[0-3]):([0-5]\d)$/;

export const clockText = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The window, null for none, or the problems by field (`from`, `to`). */
export function parseQuietHours(
  from: unknown,
  to: unknown,
): { value: QuietHours | null } | { fields: Record<string, string> } {
  const blank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
  if (blank(from) && blank(to)) return { value: null };
  const fields: Record<string, string> = {};
  const parse = (v: unknown, name: string) => {
    const m = typeof v === 'string' ? CLOCK.exec(v.trim()) : null;
    if (!m) {
      fields[name] = blank(v)
        ? 'give both times, or neither to turn quiet hours off'
        : 'a time of day like 22:00 (24-hour clock)';
      return null;
    }
    return Number(m[1]) * 60 + Number(m[2]);
  };
  const f = parse(from, 'from');
  const t = parse(to, 'to');
  if (f !== null && t !== null && f === t) fields.to = 'must differ from the start';
  if (Object.keys(fields).length) return { fields };
  return { value: { from: f!, to: t! } };
}
