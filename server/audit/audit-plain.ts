// A record in plain language, for the reader: a one-line summary ("Price 3.50 -> 2.99 CNY,
// Cola 330ml, Shanghai Xuhui") and its before/after as rows of a table. A view only: the
// record itself (and so its hash) is never touched. Phrases come from the catalogues under
// `audit.act.*` (one per known action, dots as underscores) and `audit.field.*`; an action
// without a phrase reads "<action> on <object>", a field without a label shows its name.
import type { AuditRecord } from './audit-chain.js';
import type { Names } from './audit-names-repo.js';

export type Translate = (key: string, values?: Record<string, unknown>) => string;

export interface Reader {
  t: Translate;
  locale: string;
  fmtTime: (iso: string) => string;
  /** A service's English wording in the reader's language (a task's note, ...); unknown text as is. */
  tm?: (text: string) => string;
  /** Whether the catalogue has a key (for values that may or may not have a name). */
  has?: (key: string) => boolean;
}

export interface FieldRow {
  field: string;
  label: string;
  before: string;
  after: string;
  changed: boolean;
}

export interface PlainRecord {
  summaryText: string;
  fields: FieldRow[];
}

/** Actions with their own phrase in the catalogues (`audit.act.<action with _ for .>`). */
export const PHRASED_ACTIONS = [
  'price.changed',
  'price.scheduled',
  'price.schedule_cancelled',
  'price.promo_started',
  'price.promo_ended',
  'task.created',
  'task.dispatched',
  'task.cancelled',
  'task.retried',
  'task.completed',
  'task.timed_out',
  'task.items.confirmed',
  'task.items.failed',
  'label.created',
  'label.bound',
  'label.unbound',
  'label.mismatch',
  'label.command.requested',
  'label.command.sent',
  'label.command.acked',
  'label.command.failed',
  'label.command.timed_out',
  'label.confirmed',
  'label.failed',
  'product.created',
  'product.updated',
  'store.created',
  'store.updated',
  'store.group_assigned',
  'store.group_unassigned',
  'user.created',
  'user.disabled',
  'user.enabled',
  'user.role_changed',
  'user.stores_changed',
  'user.password_changed',
  'user.password_reset',
  'user.preferences_changed',
  'user.unlocked',
  'auth.login',
  'auth.login_failed',
  'apikey.issued',
  'apikey.revoked',
  'apikey.stores_changed',
  'mqtt.access_key.issued',
  'mqtt.access_key.revoked',
  'mqtt.device_credential.issued',
  'mqtt.device_credential.revoked',
  'mqtt.device_credential.rotated',
  'mqtt.group.created',
  'mqtt.group.deleted',
  'mqtt.parent_topic.created',
  'mqtt.parent_topic.deleted',
  'mqtt.settings.changed',
  'mqtt.token.issued',
  'mqtt.token.revoked',
  'webhook.endpoint.created',
  'webhook.endpoint.updated',
  'webhook.endpoint.deleted',
  'webhook.endpoint.paused',
  'webhook.endpoint.resumed',
  'webhook.endpoint.secret_rotated',
  'webhook.delivery.redelivered',
  'webhook.test_sent',
  'alert.opened',
  'alert.acknowledged',
  'alert.resolved',
  'alert.rules.updated',
  'ap.connected',
  'ap.disconnected',
  'ap.online',
  'ap.offline',
  'ap.taken_over',
  'mqtt.connect.refused',
  'mqtt.connect.revoked_credential',
  'mqtt.connect.rate_limited',
  'broker.node_lost',
  'import.applied',
  'label.model_reported',
  'label.model_set',
  'product.label_details',
  'template.created',
  'template.updated',
  'template.assigned',
  'template.unassigned',
  'mqtt.access_key.permissions_changed',
  'mqtt.application.issued',
  'mqtt.application.revoked',
  'mqtt.group.class_changed',
  'store.quiet_hours_set',
  'label.moved',
] as const;

/** Fields with a label in the catalogues (`audit.field.<name>`). */
export const LABELLED_FIELDS = [
  'confirmedWarnings',
  'price',
  'promoPrice',
  'promoFrom',
  'promoTo',
  'upcomingPromotion',
  'name',
  'unit',
  'currency',
  'timezone',
  'sku',
  'productId',
  'username',
  'role',
  'enabled',
  'url',
  'events',
  'source',
  'note',
  'items',
  'stores',
  'superseded',
  'at',
  'ip',
  'brokerNode',
  'cleanSession',
  'status',
  'locale',
  'timeZone',
  'model',
  'kind',
  'subject',
  'state',
  'version',
  'body',
  'groups',
  'nameLatin',
  'category',
  'netQuantity',
  'netUnit',
  'origin',
  'spec',
  'colour',
  'pattern',
  'durationSeconds',
  'page',
  'reason',
] as const;

const PHRASED = new Set<string>(PHRASED_ACTIONS);
const LABELLED = new Set<string>(LABELLED_FIELDS);
const ALERT_STATES = new Set(['open', 'acknowledged', 'resolved']);
const TASK_STATES = new Set(['queued', 'in_progress', 'completed', 'timed_out', 'cancelled']);
/** Item counts by state (a finished task's record): named like the task pages name the states. */
const ITEM_STATE_FIELDS = new Set(['pending', 'sent', 'confirmed', 'failed', 'timed_out', 'cancelled']);
const MONEY = new Set(['price', 'promoPrice']);
const ROLES = new Set(['admin', 'operator', 'auditor', 'system', 'anonymous', 'api', 'device']);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
/** Changed fields named in the one-line summary; the table has them all. */
const SUMMARY_FIELDS = 3;
/** Characters of one value in the summary line (the table shows it whole). */
const SUMMARY_VALUE = 60;
const clip = (s: string) => (s.length > SUMMARY_VALUE ? `${s.slice(0, SUMMARY_VALUE - 1)}…` : s);

/** The values of each ref kind, in order (` sku:1 store:S1 store:S2 ` -> {sku: [1], store: [S1, S2]}). */
export function refsOf(refs: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const token of refs.trim().split(' ')) {
    const i = token.indexOf(':');
    if (i <= 0) continue;
    const kind = token.slice(0, i);
    const list = out.get(kind) ?? [];
    list.push(token.slice(i + 1));
    out.set(kind, list);
  }
  return out;
}

/** The SKUs and store codes a page of records mentions (what lookupNames is asked for). */
export function namesWanted(records: AuditRecord[]): { skus: string[]; stores: string[] } {
  const skus = new Set<string>();
  const stores = new Set<string>();
  for (const r of records) {
    const refs = refsOf(r.refs);
    for (const s of refs.get('sku') ?? []) skus.add(s);
    for (const s of refs.get('store') ?? []) stores.add(s);
    if (r.objectType === 'product') skus.add(r.objectId);
    if (r.objectType === 'store') stores.add(r.objectId);
  }
  return { skus: [...skus], stores: [...stores] };
}

/** before/after JSON as fields: an object's own keys, anything else as the one field `value`. */
function fieldsOf(json: string | null): Record<string, unknown> | null {
  if (json === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return { value: json };
  }
  if (v === null) return null;
  return typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v };
}

function amount(locale: string, s: string): string {
  const f = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 20 });
  // Intl formats decimal strings exactly; the cast is for lib typings that only list number.
  return f.format(s as unknown as number);
}

function show(reader: Reader, field: string, v: unknown): string {
  if (v === undefined || v === null || v === '') return '—';
  if (typeof v === 'boolean') return reader.t(v ? 'audit.plain.yes' : 'audit.plain.no');
  if (typeof v === 'number' || typeof v === 'string') {
    const s = String(v);
    if (MONEY.has(field) && /^-?\d+(\.\d+)?$/.test(s)) return amount(reader.locale, s);
    if (field === 'role' && ROLES.has(s)) return reader.t(`roles.${s}`);
    if (field === 'state') {
      if (ALERT_STATES.has(s)) return reader.t(`alerts.state.${s}`);
      if (TASK_STATES.has(s)) return reader.t(`state.task.${s}`);
      if (ITEM_STATE_FIELDS.has(s)) return reader.t(`state.item.${s}`);
    }
    if (typeof v === 'string' && ISO_TIME.test(s)) return reader.fmtTime(s);
    if (field === 'note' && reader.tm) return reader.tm(s);
    // a label command's colour or pattern, named in the catalogues (`commands.colour.red`, ...)
    if ((field === 'colour' || field === 'pattern') && reader.has?.(`commands.${field}.${s}`))
      return reader.t(`commands.${field}.${s}`);
    return s;
  }
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.join(', ');
  return JSON.stringify(v);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function fieldRows(r: AuditRecord, reader: Reader): FieldRow[] {
  const before = fieldsOf(r.before);
  const after = fieldsOf(r.after);
  const keys = [...new Set([...Object.keys(after ?? {}), ...Object.keys(before ?? {})])];
  return keys.map((k) => ({
    field: k,
    label: LABELLED.has(k)
      ? reader.t(`audit.field.${k}`)
      : ITEM_STATE_FIELDS.has(k)
        ? reader.t(`state.item.${k}`)
        : k,
    before: before ? show(reader, k, before[k]) : '—',
    after: after ? show(reader, k, after[k]) : '—',
    changed: !before || !after || !same(before[k], after[k]),
  }));
}

/** A list of names, at most two spelled out. */
function listOf(reader: Reader, names: string[]): string {
  const shown = names.slice(0, 2).join(reader.t('audit.plain.and'));
  return names.length > 2 ? reader.t('audit.plain.andMore', { list: shown, count: names.length - 2 }) : shown;
}

export function plainRecord(r: AuditRecord, names: Names, reader: Reader): PlainRecord {
  const { t } = reader;
  const fields = fieldRows(r, reader);
  const refs = refsOf(r.refs);
  const skus = refs.get('sku') ?? (r.objectType === 'product' ? [r.objectId] : []);
  const stores = refs.get('store') ?? (r.objectType === 'store' ? [r.objectId] : []);
  const after = fieldsOf(r.after);
  const currency =
    (typeof after?.currency === 'string' && after.currency) ||
    names.products.get(skus[0])?.currency ||
    names.stores.get(stores[0])?.currency ||
    'CNY';

  const vars = { object: r.objectId, type: r.objectType, action: r.action };
  const phrased = PHRASED.has(r.action);
  const parts: string[] = [];
  // Ids and structured values (a template's body, a list of objects) stay in the details table.
  const changed = fields.filter((f) => f.changed && !/Id$/.test(f.field) && !/^[[{]/.test(f.after));
  // A price change says its prices; the phrase is for a record that carries none.
  if (!(r.action === 'price.changed' && changed.length))
    parts.push(
      phrased ? t(`audit.act.${r.action.replace(/\./g, '_')}`, vars) : t('audit.plain.fallback', vars),
    );
  for (const f of changed.slice(0, SUMMARY_FIELDS)) {
    const unit = MONEY.has(f.field) ? ` ${currency}` : '';
    const to = `${clip(f.after)}${f.after === '—' ? '' : unit}`;
    const value = f.before === '—' || !fieldsOf(r.before) ? to : `${clip(f.before)} -> ${to}`;
    parts.push(`${f.label} ${value}`);
  }
  if (changed.length > SUMMARY_FIELDS)
    parts.push(t('audit.plain.moreFields', { count: changed.length - SUMMARY_FIELDS }));
  if (skus.length)
    parts.push(
      listOf(
        reader,
        skus.map((s) => names.products.get(s)?.name ?? s),
      ),
    );
  if (stores.length)
    parts.push(
      listOf(
        reader,
        stores.map((s) => names.stores.get(s)?.name ?? s),
      ),
    );
  for (const kind of ['label', 'ap'] as const) {
    const ids = (refs.get(kind) ?? []).filter((id) => id !== r.objectId);
    if (ids.length) parts.push(t(`audit.plain.${kind}`, { id: listOf(reader, ids) }));
  }
  // A price applied despite its warnings says so (server/catalog/price-sanity.ts).
  const confirmed = after?.confirmedWarnings;
  if (Array.isArray(confirmed) && confirmed.length)
    parts.push(
      t('audit.plain.confirmedWarnings', {
        list: confirmed.map((c) => t(`audit.plain.warning.${String(c)}`)).join(t('audit.plain.and')),
      }),
    );
  return { summaryText: parts.join(t('audit.plain.sep')), fields };
}
