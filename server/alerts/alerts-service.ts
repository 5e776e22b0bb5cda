// Alerts as people handle them: list, acknowledge, resolve by hand, and the rules' thresholds
// (admins). Each change is audited in its own transaction.
import type { Actor } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../core/errors.js';
import { inStoreScope, outOfScopeMessage, scopeIds } from '../core/identity.js';
import { withTx, type Pool } from '../db/pool.js';
import { ALERT_KINDS, ALERT_KIND_INFO, type AlertKind } from './alert-kinds.js';
import { refsOf } from './alert-evaluator.js';
import * as repo from './alerts-repo.js';
import { recordAlertEvent } from '../webhooks/events.js';
import { pageOf, type PageRequest } from '../core/list-page.js';

export class AlertsService {
  constructor(private readonly pool: Pool) {}

  /** A page of the alerts the actor may see (about its stores, their APs and tasks), with the total. */
  async list(f: { states: string[]; kind?: string; page: number; pageSize?: number }, actor?: Actor) {
    const pageSize = f.pageSize || 100;
    const filter = { states: f.states, kind: f.kind, scope: scopeIds(actor) };
    const [rows, total] = await Promise.all([
      repo.listAlerts(this.pool, { ...filter, limit: pageSize, offset: (f.page - 1) * pageSize }),
      repo.countAlerts(this.pool, filter),
    ]);
    return Object.assign(rows, { total, pageSize, pages: Math.max(1, Math.ceil(total / pageSize)) });
  }

  /** The API's page: newest first, by id, the alerts the actor may see. */
  async page(p: PageRequest<{ state?: string; kind?: string }>, actor?: Actor) {
    return pageOf(await repo.pageAlerts(this.pool, p, scopeIds(actor)), p.limit, (a) => [a.id]);
  }

  rules() {
    return repo.listRules(this.pool);
  }

  countUnresolved() {
    return repo.countUnresolved(this.pool);
  }

  async acknowledge(actor: Actor, id: string) {
    await this.change(actor, id, 'acknowledged', async (c, a) => {
      if (a.state !== 'open') throw new ConflictError(`Alert ${id} is ${a.state} already.`);
      await repo.acknowledge(c, id, actor.name);
    });
  }

  /** Resolved by hand; if its condition still holds, the next evaluation opens a new alert. */
  async resolve(actor: Actor, id: string) {
    await this.change(actor, id, 'resolved', async (c, a) => {
      if (a.state === 'resolved') throw new ConflictError(`Alert ${id} is resolved already.`);
      await repo.resolve(c, id, actor.name);
    });
  }

  private async change(
    actor: Actor,
    id: string,
    to: string,
    fn: (c: Parameters<typeof repo.acknowledge>[0], a: repo.AlertRow) => Promise<void>,
  ) {
    if (!/^[1-9][0-9]{0,18}$/.test(id)) throw new NotFoundError('No such alert.');
    await withTx(this.pool, async (c) => {
      const a = await repo.findAlert(c, id);
      if (!a) throw new NotFoundError(`No alert ${id}.`);
      // An alert about another store (or the whole fleet) is not a store-scoped actor's to handle.
      if (actor.stores) {
        const stores = await repo.alertStores(c, a.subject);
        const outside = stores.find((s) => !inStoreScope(actor, s.id));
        if (outside || !stores.length)
          throw new ForbiddenError(
            outside ? `Alert ${id}: ${outOfScopeMessage(outside)}` : `Alert ${id} concerns every store.`,
          );
      }
      await fn(c, a);
      await recordAlertEvent(c, to === 'acknowledged' ? 'alert.acknowledged' : 'alert.resolved', a, {
        by: actor.name,
        at: new Date(),
        stores: (await repo.alertStores(c, a.subject)).map((s) => s.code),
      });
      await appendAudit(c, actor, [
        {
          action: to === 'acknowledged' ? 'alert.acknowledged' : 'alert.resolved',
          objectType: 'alert',
          objectId: id,
          refs: refsOf(a.subject),
          summary: `${ALERT_KIND_INFO[a.kind]?.title ?? a.kind} ${to} by ${actor.name}: ${a.summary}`,
          before: { state: a.state },
          after: { state: to, by: actor.name },
        },
      ]);
    });
  }

  /** Sets every rule's threshold and switch from a form: `<kind>` (a number) and `<kind>_on`. */
  async updateRules(actor: Actor, form: Record<string, unknown>) {
    const fields: Record<string, string> = {};
    const next = ALERT_KINDS.map((kind: AlertKind) => {
      const raw = typeof form[kind] === 'string' ? (form[kind] as string).trim() : '';
      const threshold = Number(raw);
      if (!raw || !Number.isFinite(threshold) || threshold < 0 || threshold > 1_000_000)
        fields[kind] = `a number from 0 to 1000000 (${ALERT_KIND_INFO[kind].unit})`;
      return { kind, threshold: Math.round(threshold * 100) / 100, enabled: form[`${kind}_on`] === '1' };
    });
    if (Object.keys(fields).length)
      throw new ValidationError('Please correct the highlighted fields.', fields);
    await withTx(this.pool, async (c) => {
      const before = await repo.listRules(c, true);
      for (const r of next) await repo.updateRule(c, r);
      await appendAudit(c, actor, [
        {
          action: 'alert.rules.updated',
          objectType: 'alert_rules',
          objectId: 'all',
          summary: next.map((r) => `${r.kind}=${r.threshold}${r.enabled ? '' : ' (off)'}`).join(', '),
          before,
          after: next,
        },
      ]);
    });
  }
}
