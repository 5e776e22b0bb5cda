// The worker's alert evaluation, every ALERT_INTERVAL_MS: each enabled rule's condition is read,
// a new firing subject opens an alert, an unresolved alert whose condition no longer holds (or
// whose rule was switched off) is resolved, each with its audit record, in one transaction that
// first locks the rules (so evaluators in several workers take turns and never open one twice).
import { SYSTEM_ACTOR, type AuditEvent } from '../audit/audit-chain.js';
import { appendAudit } from '../audit/audit-repo.js';
import type { Service } from '../core/lifecycle.js';
import type { Logger } from '../core/logger.js';
import { withTx, type Pool } from '../db/pool.js';
import type { TaskService } from '../tasks/task-service.js';
import { blockSummary, englishNames } from '../tasks/task-view.js';

import { ALERT_KIND_INFO, type AlertKind } from './alert-kinds.js';
import { recordAlertEvent } from '../webhooks/events.js';
import {
  alertStores,
  apsOfflineLongerThan,
  lastHourOutcome,
  listRules,
  openAlert,
  resolve,
  setSummary,
  storesWithLowBattery,
  storesWithOldMismatches,
  unresolvedAlerts,
  type AlertRule,
  type Firing,
} from './alerts-repo.js';

export class AlertEvaluator implements Service {
  readonly name = 'alert-evaluator';
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly tasks: TaskService,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  async start() {
    this.timer = setInterval(() => {
      this.running ??= this.evaluate()
        .catch((err: unknown) => this.log.error({ err }, 'alert evaluation failed; next one in a moment'))
        .finally(() => (this.running = null));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private async firing(rule: AlertRule): Promise<Firing[]> {
    switch (rule.kind) {
      case 'ap_offline_minutes':
        return apsOfflineLongerThan(this.pool, rule.threshold);
      case 'battery_below_mv':
        return storesWithLowBattery(this.pool, rule.threshold);
      case 'mismatch_minutes':
        return storesWithOldMismatches(this.pool, rule.threshold);
      case 'task_will_miss_labels':
        return (await this.tasks.active())
          .filter((p) => p.diagnosis && p.diagnosis.forecast.willMiss >= Math.max(1, rule.threshold))
          .map((p) => ({
            subject: `task:${p.task.id}`,
            summary: `task ${p.task.id} will miss ${p.diagnosis!.forecast.willMiss} label(s): ${blockSummary(p.diagnosis, englishNames)}`,
          }));
      case 'failure_rate_percent': {
        const o = await lastHourOutcome(this.pool);
        const decided = o.confirmed + o.timedOut;
        const rate = decided ? (o.timedOut / decided) * 100 : 0;
        return rate > rule.threshold
          ? [
              {
                subject: 'fleet',
                summary: `${rate.toFixed(1)} % of ${decided} label(s) decided in the last hour timed out`,
              },
            ]
          : [];
      }
    }
  }

  /** One evaluation; returns how many alerts it opened and resolved. */
  async evaluate(): Promise<{ opened: number; resolved: number }> {
    // conditions are read outside the transaction (some scan labels); the changes go in one
    const rules = await listRules(this.pool);
    const now = new Map<string, { kind: AlertKind } & Firing>();
    for (const r of rules.filter((x) => x.enabled))
      for (const f of await this.firing(r)) now.set(`${r.kind}|${f.subject}`, { kind: r.kind, ...f });
    return withTx(this.pool, async (c) => {
      await listRules(c, true); // the evaluators' turn
      const audit: AuditEvent[] = [];
      const seen = new Set<string>();
      let resolved = 0;
      for (const a of await unresolvedAlerts(c)) {
        const key = `${a.kind}|${a.subject}`;
        const f = now.get(key);
        seen.add(key);
        if (f) {
          if (f.summary !== a.summary) await setSummary(c, a.id, f.summary);
          continue;
        }
        await resolve(c, a.id, 'system');
        await recordAlertEvent(c, 'alert.resolved', a, {
          by: 'system',
          at: new Date(),
          stores: (await alertStores(c, a.subject)).map((s) => s.code),
        });
        resolved++;
        audit.push({
          action: 'alert.resolved',
          objectType: 'alert',
          objectId: a.id,
          refs: refsOf(a.subject),
          summary: `${ALERT_KIND_INFO[a.kind]?.title ?? a.kind} cleared: ${a.summary}`,
          before: { state: a.state },
          after: { state: 'resolved', by: 'system' },
        });
      }
      let opened = 0;
      for (const [key, f] of now) {
        if (seen.has(key)) continue;
        const id = await openAlert(c, f);
        await recordAlertEvent(
          c,
          'alert.fired',
          { id, kind: f.kind, subject: f.subject, summary: f.summary },
          { by: 'system', at: new Date(), stores: (await alertStores(c, f.subject)).map((s) => s.code) },
        );
        opened++;
        audit.push({
          action: 'alert.opened',
          objectType: 'alert',
          objectId: id,
          refs: refsOf(f.subject),
          summary: `${ALERT_KIND_INFO[f.kind].title}: ${f.summary}`,
          after: { kind: f.kind, subject: f.subject, state: 'open' },
        });
      }
      if (audit.length) await appendAudit(c, SYSTEM_ACTOR, audit);
      return { opened, resolved };
    });
  }
}

/** Makes an alert findable in the audit trail by the AP, store or task it is about. */
export function refsOf(subject: string): Record<string, string> {
  if (subject.startsWith('store:')) return { store: subject.slice(6) };
  if (subject.startsWith('task:')) return { task: subject.slice(5) };
  if (subject === 'fleet') return {};
  return { ap: subject };
}
