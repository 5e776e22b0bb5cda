// The dashboard (home page of every role), its live JSON, the charting library served from
// node_modules (no CDN: strict CSP), and the label health list its numbers link to.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Request, Response, Router } from 'express';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { scopeIds } from '../core/identity.js';
import { requireLogin, requireRole } from '../web/guards.js';
import { blockedSummary } from '../tasks/task-view.js';
import type { LiveHub } from '../core/live-hub.js';
import { PUSH_MS, forRole, type DashboardService, type DashboardSnapshot } from './dashboard-service.js';
import {
  BATTERY_BANDS,
  SEEN_BANDS,
  SIGNAL_BANDS,
  batteryBand,
  signalBand,
  BATTERY_CRITICAL_MV,
  BATTERY_LOW_MV,
  SIGNAL_FAIR_DBM,
  SIGNAL_WEAK_DBM,
  STALE_AFTER_SECONDS,
} from './health-bands.js';
import type { HealthService, LabelHealthFilter } from './health-service.js';

const CHART_JS = path.join(
  path.dirname(createRequire(import.meta.url).resolve('chart.js')),
  'chart.umd.min.js',
);
const PAGE = 100;
const HISTORY_PAGE = 50;

function oneOf<T extends string>(
  v: unknown,
  values: readonly T[],
  name: string,
  fields: Record<string, string>,
) {
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
  fields[name] = `must be one of ${values.join(', ')}`;
  return undefined;
}

function healthFilter(
  q: Request['query'],
): LabelHealthFilter & { page: number; form: Record<string, string> } {
  const fields: Record<string, string> = {};
  const page = q.page === undefined || q.page === '' ? 1 : Number(q.page);
  if (!Number.isInteger(page) || page < 1 || page > 100_000) fields.page = 'must be a whole number from 1';
  const storeId = q.store === undefined || q.store === '' ? undefined : Number(q.store);
  if (storeId !== undefined && (!Number.isInteger(storeId) || storeId < 1))
    fields.store = 'must be a store id';
  const battery = oneOf(q.battery, BATTERY_BANDS, 'battery', fields);
  const signal = oneOf(q.signal, SIGNAL_BANDS, 'signal', fields);
  const seen = oneOf(q.seen, SEEN_BANDS, 'seen', fields);
  const ap = typeof q.ap === 'string' && q.ap ? q.ap : undefined;
  if (ap && ap.length > 64) fields.ap = 'a Client ID has at most 64 characters';
  if (Object.keys(fields).length) throw new ValidationError('Invalid filter.', fields);
  return {
    storeId,
    battery,
    signal,
    seen,
    ap,
    page,
    limit: PAGE,
    offset: (page - 1) * PAGE,
    form: {
      store: storeId ? String(storeId) : '',
      battery: battery ?? '',
      signal: signal ?? '',
      seen: seen ?? '',
      ap: ap ?? '',
    },
  };
}

/** The snapshot (cached, shared by every reader) with its stuck tasks summarised in the reader's language. */
function inReaderLanguage(snap: DashboardSnapshot, req: Request): DashboardSnapshot {
  const stuckTasks = snap.tasks.stuckTasks.map((s) => ({ ...s, summary: blockedSummary(s.blocked, req.t) }));
  return { ...snap, tasks: { ...snap.tasks, stuckTasks } };
}

export function dashboardRoutes(dashboard: DashboardService, health: HealthService, live: LiveHub) {
  const formatted = new WeakMap<DashboardSnapshot, Map<string, Buffer>>();
  return (app: Router) => {
    app.get('/', requireLogin, async (req: Request, res: Response) => {
      res.render('dashboard/home', {
        title: req.t('dashboard.title'),
        d: inReaderLanguage(await dashboard.snapshotFor(req.user!.role, req.actor, { stale: true }), req),
        bands: { BATTERY_CRITICAL_MV, BATTERY_LOW_MV, SIGNAL_WEAK_DBM, SIGNAL_FAIR_DBM, STALE_AFTER_SECONDS },
      });
    });

    app.get('/dashboard.json', requireLogin, async (req: Request, res: Response) => {
      res.set('cache-control', 'no-store');
      res.json(
        inReaderLanguage(await dashboard.snapshotFor(req.user!.role, req.actor, { stale: true }), req),
      );
    });

    // The same JSON pushed (server-sent events): one snapshot per tick for every viewer of every
    // process (server/core/live-hub.ts), each viewer's copy cut to its role and language.
    app.get('/dashboard/events', requireLogin, (req: Request, res: Response) => {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const role = req.user!.role;
      const actor = req.actor;
      // one topic per store scope: a scoped viewer's figures count its stores only
      const scope = scopeIds(actor);
      const topic = scope ? `dashboard:${[...scope].sort((a, b) => a - b).join(',')}` : 'dashboard';
      const unwatch = live.watch<DashboardSnapshot>(
        topic,
        { intervalMs: PUSH_MS, compute: () => dashboard.snapshot(actor) },
        (snap) => {
          // viewers of the same role and language share one formatted event per snapshot
          const perReader = formatted.get(snap) ?? formatted.set(snap, new Map()).get(snap)!;
          const reader = `${role}|${req.locale}`;
          // A viewer whose connection has not taken the last one yet skips this one (a live view
          // needs only the newest): a stalled reader never piles snapshots up in this process.
          if (res.writableNeedDrain) return;
          let event = perReader.get(reader);
          if (event === undefined) {
            // encoded once: every viewer of the group is written the same bytes
            event = Buffer.from(
              `event: snapshot\ndata: ${JSON.stringify(inReaderLanguage(forRole(snap, role), req))}\n\n`,
            );
            perReader.set(reader, event);
          }
          res.write(event);
        },
        () => res.write('event: error\ndata: {}\n\n'),
      );
      res.on('close', unwatch);
    });

    app.get('/static/vendor/chart.umd.min.js', (_req: Request, res: Response) => {
      res.sendFile(CHART_JS, { maxAge: '1d', headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    });

    // One AP: its state, its labels' health, its status and connection history.
    app.get(
      '/health/aps/:clientId',
      requireRole('admin', 'operator', 'auditor'),
      async (req: Request, res: Response) => {
        const clientId = String(req.params.clientId).slice(0, 64);
        const cpage = req.query.cpage === undefined || req.query.cpage === '' ? 1 : Number(req.query.cpage);
        if (!Number.isInteger(cpage) || cpage < 1 || cpage > 100_000)
          throw new ValidationError('Invalid page.', { cpage: 'must be a whole number from 1' });
        const page = await health.apPage(clientId, PAGE, { page: cpage, pageSize: HISTORY_PAGE }, req.actor);
        if (!page) throw new NotFoundError(`No AP ${clientId} has connected yet.`);
        const { ap, labels, total, status, connections, connectionsTotal, churn } = page;
        const oldestFirst = [...status].reverse();
        res.render('dashboard/ap', {
          title: req.t('apHealth.title', { id: clientId }),
          ap,
          labels,
          total,
          status: status.slice(0, 48),
          connections,
          connectionsPage: {
            page: cpage,
            pages: Math.max(1, Math.ceil(connectionsTotal / HISTORY_PAGE)),
            total: connectionsTotal,
          },
          churn,
          series: {
            at: oldestFirst.map((s) => s.at.toISOString()),
            labels: oldestFirst.map((s) => s.labelsReported),
            rssiAvg: oldestFirst.map((s) => s.rssiAvg),
            batteryMin: oldestFirst.map((s) => s.batteryMin),
          },
          batteryBand,
          signalBand,
        });
      },
    );

    app.get(
      '/health/labels',
      requireRole('admin', 'operator', 'auditor'),
      async (req: Request, res: Response) => {
        const f = healthFilter(req.query);
        const { rows, total } = await health.labels(f, req.actor);
        res.render('dashboard/labels', {
          title: req.t('labelHealth.title'),
          rows,
          total,
          page: f.page,
          pageSize: PAGE,
          form: f.form,
          query: new URLSearchParams(f.form).toString(),
          bands: { BATTERY_BANDS, SIGNAL_BANDS, SEEN_BANDS },
          stores: await health.storeChoices(req.actor),
          batteryBand,
          signalBand,
        });
      },
    );
  };
}
