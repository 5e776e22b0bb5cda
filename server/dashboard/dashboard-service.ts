// The dashboard's one use case: a snapshot of the fleet, the labels' health, the tasks and
// their outcomes over the last day, and the open mismatches. The snapshot is kept for CACHE_MS
// and computed by one request at a time, so any number of open dashboards (each polling) costs
// the database one set of queries per CACHE_MS per web process. The two parts that read every
// label (the health bands, and the mismatches, which hash each label's price) are kept longer,
// SLOW_CACHE_MS: they change with status reports, which come once a minute.
import type { Pool } from '../db/pool.js';
import { countMismatches } from '../devices/mismatch-repo.js';
import type { TaskService } from '../tasks/task-service.js';
import { blockSummary, englishNames, type BlockedBrief } from '../tasks/task-view.js';

import type { UserRole } from '../auth/roles.js';
import { scopeCodes, scopeIds, type Actor } from '../core/identity.js';
import {
  adminFigures,
  apsByStore,
  auditFigures,
  hourlyOutcomes,
  labelHealth,
  taskCounts,
  unresolvedAlerts,
  type LabelHealthCounts,
  type StoreAps,
} from './dashboard-repo.js';

const CACHE_MS = 5000;
const SLOW_CACHE_MS = 30_000;
/** A snapshot up to this many times CACHE_MS old is still handed out while its successor is computed. */
const STALE_FACTOR = 4;
const HOURS = 24;

export interface DashboardSnapshot {
  at: string;
  aps: {
    total: number;
    online: number;
    offline: number;
    storesWithoutAp: number;
    stores: (Omit<StoreAps, 'offlineSince'> & { offline: number; offlineSince: string | null })[];
  };
  labels: LabelHealthCounts;
  tasks: {
    running: number;
    byState: Record<string, number>;
    stuck: number;
    willMiss: number;
    stuckTasks: { id: string; willMiss: number; open: number; summary: string; blocked: BlockedBrief[] }[];
    finishedToday: Record<string, number>;
    finishedTodayTotal: number;
  };
  /** per hour, oldest first; the last entry is the current hour */
  series: {
    /** the start of each hour, oldest first, as ISO instants (pages label them in the reader's zone) */
    hours: string[];
    tasks: number[];
    confirmed: number[];
    timedOut: number[];
    successRate: (number | null)[];
    avgConfirmSeconds: (number | null)[];
  };
  mismatches: number;
  alerts: { open: number; acknowledged: number };
  /** auditors and admins only */
  /** unshipped: null when no SLS is configured (the trail stays in the local store) */
  audit?: { today: number; unshipped: number | null };
  /** admins only */
  admin?: { users: number; apiKeys: number };
}

const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));

/** A snapshot as a role may see it: audit figures for auditors and admins, account figures for admins. */
export function forRole({ audit, admin, ...rest }: DashboardSnapshot, role: UserRole): DashboardSnapshot {
  return {
    ...rest,
    ...(role === 'admin' || role === 'auditor' ? { audit } : {}),
    ...(role === 'admin' ? { admin } : {}),
  };
}

/** How often the dashboard's live snapshot is pushed to its viewers. */
export const PUSH_MS = 3000;

export interface SnapshotOptions {
  /** a snapshot somewhat past its time will do (see STALE_FACTOR) while the next is computed */
  stale?: boolean;
}

export class DashboardService {
  // One snapshot per store scope ('' = every store), each cached and computed once at a time.
  private readonly cached = new Map<string, { at: number; snap: DashboardSnapshot }>();
  private readonly computing = new Map<string, Promise<DashboardSnapshot>>();
  private readonly slow = new Map<
    string,
    { at: number; value: Promise<{ labels: LabelHealthCounts; mismatches: number }> }
  >();

  constructor(
    private readonly pool: Pool,
    private readonly tasks: TaskService,
    private readonly slsConfigured: boolean,
    private readonly cacheMs = CACHE_MS,
    private readonly slowCacheMs = SLOW_CACHE_MS,
  ) {}

  private labelParts(scope: number[] | null) {
    const key = scope?.join(',') ?? '';
    const had = this.slow.get(key);
    if (had && Date.now() - had.at < this.slowCacheMs) return had.value;
    const value = Promise.all([
      labelHealth(this.pool, scope),
      countMismatches(this.pool, undefined, scope),
    ]).then(([labels, mismatches]) => ({
      labels,
      mismatches,
    }));
    this.slow.set(key, { at: Date.now(), value });
    value.catch(() => this.slow.delete(key));
    return value;
  }

  /**
   * The snapshot as a role may see it: audit figures for auditors and admins, account figures for
   * admins; every figure of a store-scoped reader counts its stores only.
   */
  async snapshotFor(role: UserRole, actor?: Actor, opts?: SnapshotOptions): Promise<DashboardSnapshot> {
    return forRole(await this.snapshot(actor, opts), role);
  }

  async snapshot(actor?: Actor, opts: SnapshotOptions = {}): Promise<DashboardSnapshot> {
    const scope = scopeIds(actor);
    const key = scope ? [...scope].sort((a, b) => a - b).join(',') : '';
    const had = this.cached.get(key);
    const age = had ? Date.now() - had.at : Infinity;
    if (had && age < this.cacheMs) return had.snap;
    const computing = this.refresh(key, actor);
    // Past its time but not by much, for a reader that takes it (a page view): the snapshot at
    // hand, while the next one is computed for the readers after it. A page view then never waits
    // for the queries, which a loaded database makes slow; its live stream, which does wait for
    // them, brings the new one within a tick.
    if (opts.stale && had && age < this.cacheMs * STALE_FACTOR) {
      computing.catch(() => {}); // its failure reaches the readers that wait for it
      return had.snap;
    }
    return computing;
  }

  private refresh(key: string, actor?: Actor): Promise<DashboardSnapshot> {
    let computing = this.computing.get(key);
    if (!computing) {
      computing = this.compute(actor)
        .then((snap) => {
          if (this.cached.size > 200) this.cached.clear();
          this.cached.set(key, { at: Date.now(), snap });
          return snap;
        })
        .finally(() => this.computing.delete(key));
      this.computing.set(key, computing);
    }
    return computing;
  }

  private async compute(actor?: Actor): Promise<DashboardSnapshot> {
    const now = new Date();
    const scope = scopeIds(actor);
    const [stores, { labels, mismatches }, counts, hourly, active, alerts, audit, admin] = await Promise.all([
      apsByStore(this.pool, scope),
      this.labelParts(scope),
      taskCounts(this.pool, startOfUtcDay(now), scope),
      hourlyOutcomes(this.pool, HOURS, scope),
      this.tasks.active(actor),
      unresolvedAlerts(this.pool, scope),
      auditFigures(this.pool, startOfUtcDay(now), scopeCodes(actor?.stores)),
      adminFigures(this.pool),
    ]);
    const stuck = active
      .filter((p) => (p.diagnosis?.forecast.willMiss ?? 0) > 0)
      .map((p) => ({
        id: p.task.id,
        willMiss: p.diagnosis!.forecast.willMiss,
        open: p.diagnosis!.forecast.open,
        summary: blockSummary(p.diagnosis, englishNames),
        blocked: p
          .diagnosis!.blocked.slice(0, 3)
          .map((b) => ({ reason: b.reason, groupId: b.groupId, clientId: b.clientId, labels: b.labels })),
      }));
    const total = stores.reduce((a, s) => a + s.total, 0);
    const online = stores.reduce((a, s) => a + s.online, 0);
    const byAgo = new Map(hourly.map((h) => [h.ago, h]));
    const series: DashboardSnapshot['series'] = {
      hours: [],
      tasks: [],
      confirmed: [],
      timedOut: [],
      successRate: [],
      avgConfirmSeconds: [],
    };
    for (let ago = HOURS - 1; ago >= 0; ago--) {
      const h = byAgo.get(ago);
      const at = new Date(now.getTime() - ago * 3600_000);
      // the start of the hour as an instant: each reader's page names it in their own zone
      series.hours.push(new Date(Math.floor(at.getTime() / 3600_000) * 3600_000).toISOString());
      series.tasks.push(h?.tasks ?? 0);
      series.confirmed.push(h?.confirmed ?? 0);
      series.timedOut.push(h?.timedOut ?? 0);
      const decided = h ? h.confirmed + h.timedOut : 0;
      series.successRate.push(decided ? Math.round((h!.confirmed / decided) * 1000) / 10 : null);
      series.avgConfirmSeconds.push(h?.avgMs == null ? null : Math.round(h.avgMs / 100) / 10);
    }
    const byState = counts.running;
    return {
      at: now.toISOString(),
      aps: {
        total,
        online,
        offline: total - online,
        storesWithoutAp: stores.filter((s) => s.total === 0).length,
        stores: stores.map((s) => ({
          ...s,
          offline: s.total - s.online,
          offlineSince: s.offlineSince?.toISOString() ?? null,
        })),
      },
      labels,
      tasks: {
        running: Object.values(byState).reduce((a, b) => a + b, 0),
        byState,
        stuck: stuck.length,
        willMiss: stuck.reduce((a, s) => a + s.willMiss, 0),
        stuckTasks: stuck.slice(0, 10),
        finishedToday: counts.finished,
        finishedTodayTotal: Object.values(counts.finished).reduce((a, b) => a + b, 0),
      },
      series,
      mismatches,
      alerts,
      audit: { today: audit.today, unshipped: this.slsConfigured ? audit.unshipped : null },
      admin,
    };
  }
}
