// The import pages. The CSV travels as form text: pasted into the textarea, or read from the
// chosen file by /static/catalog-import.js and sent as base64 bytes (fileData), so the server
// detects and decodes its encoding. A multipart body is parsed only after the app-wide CSRF
// check, which reads the token from the urlencoded body or a header, never from multipart.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flash, flashKey } from '../web/flash.js';
import { readers, str, writers } from './route-helpers.js';
import { ImportRejected, MAX_IMPORT_BYTES, type ImportService } from './import-service.js';
import { PriceConfirmationError } from './price-sanity.js';
import { ALIASES, COLUMNS, TEMPLATE_HEADERS, type LineError } from './import-parse.js';

const importId = (v: unknown) => {
  const s = String(v);
  if (!/^[0-9a-f]{32}$/.test(s)) throw new ValidationError('Invalid import id.');
  return s;
};

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** One example row per template, so a spreadsheet shows what goes where. */
const TEMPLATE_EXAMPLE = '6901234567890,SH001,3.50,2.99,2026-12-01T00:00:00Z,2026-12-08T00:00:00Z,,';

/** A problem in the reader's language: by its code when it has one, else its English message via the catalogue. */
function problemText(req: Request, p: LineError): string {
  const v = p.params ?? {};
  if (p.code === 'field') return `${v.column}: ${req.tm(String(v.message))}`;
  if (p.code === 'badHeader') {
    const parts = [...String(v.parts).split(','), 'expected'].filter(Boolean);
    const why = parts
      .map((part) => req.t(`import.err.header_${part}`, v))
      .join(req.t('import.err.headerSeparator'));
    return req.t('import.err.badHeader', { why });
  }
  return p.code ? req.t(`import.err.${p.code}`, v) : req.tm(p.message);
}

export function importRoutes(imports: ImportService) {
  return (app: Router) => {
    const form = (req: Request) => ({
      title: req.t('import.title'),
      columns: COLUMNS,
      aliases: ALIASES,
      maxKb: MAX_IMPORT_BYTES / 1024,
      problems: [],
    });

    app.get('/catalog/imports', writers, async (req, res) =>
      res.render('catalog/import', {
        ...form(req),
        history: await imports.history(Number(req.query.page) || 1),
      }),
    );

    app.get('/catalog/imports/template.csv', writers, (req: Request, res: Response) => {
      const lang = req.query.lang === 'zh-CN' || req.query.lang === 'en' ? req.query.lang : req.locale;
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="price-import-template-${lang}.csv"`);
      // UTF-8 with BOM: Excel opens it with the Chinese headers intact.
      res.send(`\uFEFF${TEMPLATE_HEADERS[lang].join(',')}\r\n${TEMPLATE_EXAMPLE}\r\n`);
    });

    app.post('/catalog/imports', writers, async (req, res) => {
      const fileData = str(req.body.fileData).trim();
      const fileName = str(req.body.fileName).slice(0, 255);
      try {
        if (fileData && !BASE64.test(fileData))
          throw new ImportRejected([
            { line: 0, code: 'upload', message: 'the file did not arrive intact; choose it again' },
          ]);
        const { id } = await imports.validate(
          req.actor,
          fileData ? { bytes: Buffer.from(fileData, 'base64') } : { text: str(req.body.csv) },
          fileName,
        );
        res.redirect(`/catalog/imports/${id}`);
      } catch (err) {
        if (!(err instanceof ImportRejected)) throw err;
        res.status(400).render('catalog/import', {
          history: await imports.history(1),
          ...form(req),
          problems: err.lines.map((p) => ({ line: p.line, text: problemText(req, p) })),
          message: err.message,
          values: { csv: fileData ? '' : str(req.body.csv), fileName: fileData ? fileName : '' },
        });
      }
    });

    app.get('/catalog/imports/:id', readers, async (req, res) => {
      res.render('catalog/import-preview', {
        title: req.t('import.previewTitle'),
        ...(await imports.preview(importId(req.params.id), req.actor)),
      });
    });

    app.post('/catalog/imports/:id/confirm', writers, async (req, res) => {
      const id = importId(req.params.id);
      let r;
      try {
        r = await imports.confirm(req.actor, id, str(req.body.hash), req.body.confirm === '1');
      } catch (err) {
        if (!(err instanceof PriceConfirmationError)) throw err;
        // Shown again with its warnings, the confirmation box left to tick.
        flashKey(req, 'error', 'priceSanity.importNeedsConfirm');
        return res.redirect(`/catalog/imports/${id}`);
      }
      if (r.already)
        flashKey(req, 'error', r.taskId ? 'import.alreadyAppliedTask' : 'import.alreadyApplied', {
          task: r.taskId,
        });
      else
        // Composed now, in the language of the user who confirmed (who also reads the next page).
        flash(
          req,
          'ok',
          [
            req.t('import.applied', { count: r.applied }),
            r.taskId ? req.t('import.appliedTask', { task: r.taskId, items: r.items }) : '',
            r.scheduled.length ? req.t('import.appliedScheduled', { count: r.scheduled.length }) : '',
          ].join('') + req.t('import.appliedEnd'),
        );
      res.redirect(`/catalog/imports/${id}`);
    });
  };
}
