// The auditor's pages: query, page, export, check the chain. Read-only, for auditors and
// admins. URL contract other pages link to: /audit?task=<id> (sku=, store=, label=, ap= alike).
import { scopeCodes } from '../core/identity.js';
import { once } from 'node:events';
import type { Request, Response, Router } from 'express';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { requireRole } from '../web/guards.js';
import { CSV_BOM, csvHeader, csvRow, csvTruncatedRow } from './audit-csv.js';
import { filterToQuery, OBJECT_KINDS, parseFilter, type AuditFilter } from './audit-filter.js';
import {
  AuditStoreUnavailableError,
  type AuditQueryService,
  type AuditSource,
} from './audit-query-service.js';
import type { AuditRecord } from './audit-chain.js';
import { plainRecord, type Reader } from './audit-plain.js';
import { toView } from './audit-view.js';

export const PAGE_SIZE = 50;
export const CSV_MAX = 100_000;

const FORM_FIELDS = ['from', 'to', 'actor', 'action', 'q', ...OBJECT_KINDS, 'source'] as const;
const str = (v: unknown) =>
  typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;

function parseId(v: unknown, field: string): string | null {
  const s = str(v)?.trim();
  if (!s) return null;
  if (!/^\d{1,19}$/.test(s) || BigInt(s) < 1n)
    throw new ValidationError('Please correct the highlighted fields.', {
      [field]: 'a record id (a positive number)',
    });
  return s;
}

/** The summariser's view of the reader: language, catalogue, times in their zone. */
const readerOf = (req: Request, res: Response): Reader => ({
  t: req.t,
  locale: req.locale,
  fmtTime: (iso: string) => String(res.locals.fmtTime(iso)),
  tm: (text: string) => String(res.locals.tm(text)),
  has: (key: string) => Boolean(res.locals.hasKey(key)),
});

/** Records written per names look-up in the export. */
const CSV_CHUNK = 500;

interface Asked {
  source: AuditSource;
  filter: AuditFilter;
  /** The question as a query string, for the pager and the export link. */
  qs: string;
}

function ask(svc: AuditQueryService, req: Request, res: Response): Asked {
  const source = svc.source(str(req.query.source));
  // The form's times are the reader's wall time (the zone the page shows times in); a
  // store-scoped auditor reads the records of its stores only.
  const zone = String(res.locals.timeZone);
  const filter = { ...parseFilter(req.query, new Date(), zone), stores: scopeCodes(req.actor.stores) };
  const q = new URLSearchParams(
    filterToQuery(filter, { from: !!str(req.query.from), to: !!str(req.query.to) }, zone),
  );
  if (str(req.query.source)) q.set('source', source);
  return { source, filter, qs: q.toString() };
}

export function auditRoutes(svc: AuditQueryService) {
  return (app: Router) => {
    const auditor = requireRole('auditor', 'admin');

    app.get('/audit', auditor, async (req: Request, res: Response) => {
      const values = Object.fromEntries(FORM_FIELDS.map((k) => [k, str(req.query[k]) ?? '']));
      const model = {
        title: req.t('audit.title'),
        values,
        sls: svc.slsInfo,
        status: await svc.shipStatus(),
        source: null as AuditSource | null,
        records: [] as ReturnType<typeof toView>[],
        nextBefore: null as string | null,
        qs: '',
        localHref: '/audit?source=local',
        paged: false,
        storeError: null as string | null,
        errors: {} as Record<string, string>,
      };
      try {
        const { source, filter, qs } = ask(svc, req, res);
        const before = parseId(req.query.before, 'before');
        const local = new URLSearchParams(qs);
        local.set('source', 'local');
        Object.assign(model, { source, qs, paged: !!before, localHref: `/audit?${local}` });
        const page = await svc.page(source, filter, before, PAGE_SIZE);
        const names = await svc.names(page.records);
        const reader = readerOf(req, res);
        model.records = page.records.map((r) => toView(r, names, reader));
        model.nextBefore = page.nextBefore;
      } catch (err) {
        if (err instanceof ValidationError) {
          res.status(400);
          model.errors = Object.keys(err.fields).length ? err.fields : { form: err.message };
        } else if (err instanceof AuditStoreUnavailableError) {
          res.status(503);
          model.storeError = err.message;
        } else {
          throw err;
        }
      }
      res.render('audit/index', model);
    });

    app.get('/audit/records/:id', auditor, async (req: Request, res: Response) => {
      const id = /^\d{1,19}$/.test(String(req.params.id)) ? String(req.params.id) : null;
      const r = id && BigInt(id) > 0n ? await svc.record(id, scopeCodes(req.actor.stores)) : null;
      if (!r) throw new NotFoundError('No such audit record.');
      const names = await svc.names([r]);
      res.render('audit/record', {
        title: req.t('audit.recordTitle', { id: r.id }),
        r: toView(r, names, readerOf(req, res)),
      });
    });

    app.get('/audit/export.csv', auditor, async (req: Request, res: Response) => {
      const { source, filter } = ask(svc, req, res);
      const rows = svc.all(source, filter, CSV_MAX + 1)[Symbol.asyncIterator]();
      // The first page is read before any byte is sent, so a store that is down gets a proper error page.
      let next = await rows.next();
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="audit-${source}-${stamp}.csv"`);
      res.setHeader('Cache-Control', 'no-store');
      const write = async (s: string) => {
        if (!res.write(s)) await once(res, 'drain');
      };
      const reader = readerOf(req, res);
      const flush = async (batch: AuditRecord[]) => {
        const names = await svc.names(batch);
        await write(batch.map((r) => csvRow(r, plainRecord(r, names, reader).summaryText)).join(''));
      };
      try {
        await write(CSV_BOM + csvHeader());
        let n = 0;
        let batch: AuditRecord[] = [];
        while (!next.done) {
          if (n === CSV_MAX) break;
          batch.push(next.value);
          n++;
          if (batch.length === CSV_CHUNK) {
            await flush(batch);
            batch = [];
          }
          next = await rows.next();
        }
        if (batch.length) await flush(batch);
        if (!next.done) await write(csvTruncatedRow(CSV_MAX));
        res.end();
      } catch (err) {
        // Half a file must not look like a whole one: cut the response instead of ending it.
        res.destroy(err as Error);
      }
    });

    app.get('/audit/verify', auditor, async (req: Request, res: Response) => {
      const values = { fromId: str(req.query.fromId) ?? '', toId: str(req.query.toId) ?? '' };
      let check = null;
      let slsCheck = null;
      let slsError: string | null = null;
      let errors: Record<string, string> = {};
      try {
        const fromId = parseId(req.query.fromId, 'fromId') ?? '1';
        const toId = parseId(req.query.toId, 'toId') ?? undefined;
        check = await svc.verify(fromId, toId);
        slsCheck = await svc.compareWithSls(check.fromId, check.toId);
      } catch (err) {
        if (err instanceof AuditStoreUnavailableError) {
          slsError = err.message;
        } else if (err instanceof ValidationError) {
          res.status(400);
          errors = Object.keys(err.fields).length ? err.fields : { fromId: err.message };
        } else {
          throw err;
        }
      }
      res.render('audit/verify', {
        title: req.t('audit.verifyTitle'),
        values,
        check,
        slsCheck,
        slsError,
        sls: svc.slsInfo,
        errors,
      });
    });
  };
}
