// What an auditor can ask for, validated once, in one shape both stores answer.
// Every text condition means the same everywhere: the value occurs in the field as a
// whole run of tokens, case-insensitively, with SLS's default token delimiters. SLS does
// that natively (`field: "value"`); MySQL does it with the regex from tokenRegex().
import { DateTime } from 'luxon';
import { z } from 'zod';
import { ValidationError } from '../core/errors.js';

export const OBJECT_KINDS = ['task', 'sku', 'store', 'label', 'ap'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Fields the free-text search looks in (ids, hashes, ip and time are not text). */
export const TEXT_FIELDS = [
  'actor',
  'action',
  'objectType',
  'objectId',
  'refs',
  'summary',
  'before',
  'after',
] as const;

export interface AuditFilter {
  /** Inclusive, whole seconds. */
  from: Date;
  /** Exclusive, whole seconds. */
  to: Date;
  actor?: string;
  action?: string;
  /** kind -> value: matches a `kind:value` ref token, or the record's own object of that type. */
  objects: Partial<Record<ObjectKind, string>>;
  text?: string;
  /**
   * The reader's store scope, as store codes (never from the query string): only records that
   * name one of these stores (a `store:` ref, or the store itself as the object). Absent = all.
   */
  stores?: string[] | null;
}

// Far enough back for any trail; SLS needs a bounded range, and both stores get the same one.
const EARLIEST = new Date(Date.UTC(2000, 0, 1));
const clean = z
  .string()
  .trim()
  .max(190, 'at most 190 characters')
  // Control characters cannot be typed in a form and have no business in a query.
  .refine(
    (s) => ![...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f),
    'no control characters',
  )
  .optional()
  .transform((s) => (s ? s : undefined));
const time = z.string().trim().optional();

/**
 * A form's date-time (datetime-local sends YYYY-MM-DDTHH:mm[:ss]) as the wall time of the
 * reader's zone, or an explicit instant (Z or an offset); to the second.
 */
function instant(s: string | undefined, zone: string): Date | undefined | null {
  if (!s) return undefined;
  const wall = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(s);
  const d = wall
    ? DateTime.fromISO(s, { zone }).toJSDate()
    : /^\d{4}-\d{2}-\d{2}/.test(s)
      ? new Date(s)
      : new Date(NaN);
  if (Number.isNaN(d.getTime())) return null;
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

const schema = z.object({
  from: time,
  to: time,
  actor: clean,
  action: clean,
  q: clean,
  task: clean,
  sku: clean,
  store: clean,
  label: clean,
  ap: clean,
});

export type FilterInput = Record<string, unknown>;

/** Parses query-string input; names the offending fields. `now` fixes the open end. */
export function parseFilter(input: FilterInput, now = new Date(), zone = 'UTC'): AuditFilter {
  const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  const raw = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [
      k,
      one(input[k]) === undefined ? undefined : String(one(input[k])),
    ]),
  );
  const parsed = schema.safeParse(raw);
  const fields: Record<string, string> = {};
  const at = (k: 'from' | 'to') => {
    const d = instant(raw[k]?.trim(), zone);
    if (d === null) fields[k] = `a date and time like 2026-05-01T08:00 (${zone})`;
    return d ?? undefined;
  };
  const asked = { from: at('from'), to: at('to') };
  if (!parsed.success) for (const i of parsed.error.issues) fields[String(i.path[0])] ??= i.message;
  if (!parsed.success || Object.keys(fields).length)
    throw new ValidationError('Please correct the highlighted fields.', fields);
  const p = parsed.data;
  const from = asked.from ?? EARLIEST;
  // A day ahead covers clock skew between nodes; both stores get this same bound.
  const to = asked.to ?? new Date(Math.floor(now.getTime() / 1000) * 1000 + 86_400_000);
  if (from >= to)
    throw new ValidationError('Please correct the highlighted fields.', { to: 'must be after From' });
  // A value of punctuation alone has no token to look for; say so rather than match everything.
  const empty: Record<string, string> = {};
  for (const k of ['actor', 'action', 'q', ...OBJECT_KINDS] as const)
    if (p[k] && tokens(p[k]!).length === 0) empty[k] = 'needs a letter or digit';
  if (Object.keys(empty).length) throw new ValidationError('Please correct the highlighted fields.', empty);
  const objects: AuditFilter['objects'] = {};
  // Refs are stored with whitespace folded to `_` (formatRefs); fold the question the same way.
  for (const k of OBJECT_KINDS) if (p[k]) objects[k] = p[k]!.replace(/\s+/g, '_');
  return { from, to, actor: p.actor, action: p.action, objects, text: p.q };
}

/** The filter as query-string pairs (links, pager, CSV export). */
export function filterToQuery(
  f: AuditFilter,
  explicit: { from?: boolean; to?: boolean } = {},
  zone = 'UTC',
): Record<string, string> {
  const q: Record<string, string> = {};
  const wall = (d: Date) => DateTime.fromJSDate(d, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
  if (explicit.from) q.from = wall(f.from);
  if (explicit.to) q.to = wall(f.to);
  if (f.actor) q.actor = f.actor;
  if (f.action) q.action = f.action;
  for (const k of OBJECT_KINDS) if (f.objects[k]) q[k] = f.objects[k]!;
  if (f.text) q.q = f.text;
  return q;
}

// SLS's default delimiters for text indexes, plus space: , '";=()[]{}?@&<>/: \n\t\r
const DELIMS = /[, '";=()[\]{}?@&<>/:\n\t\r]+/;
const DELIM_CLASS = `[\\], '";=(){}?@&<>/:\\n\\t\\r\\[]`;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A value as SLS's text index splits it. A question is compared token run to token run. */
export function tokens(value: string): string[] {
  return value.split(DELIMS).filter(Boolean);
}

/**
 * A MySQL/MariaDB REGEXP that holds where SLS's `field: "value"` holds: the value's tokens
 * occur in the field consecutively, separated by delimiters, each a whole token.
 */
export function tokenRegex(value: string): string {
  return `(^|${DELIM_CLASS})${tokens(value).map(escapeRegex).join(`${DELIM_CLASS}+`)}(${DELIM_CLASS}|$)`;
}

/** The value as an SLS quoted phrase; its tokens hold no quote, so only `\` needs escaping. */
export function slsPhrase(value: string): string {
  return `"${tokens(value).join(' ').replace(/\\/g, '\\\\')}"`;
}
