// The import pages. The CSV travels as form text (a file picker fills the textarea via
// /static/catalog-import.js): a multipart body is parsed only after the app-wide CSRF
// check, which reads the token from the urlencoded body or a header, never from multipart.
import type { Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { flash } from '../web/flash.js';
import { readers, str, writers } from './route-helpers.js';
import { ImportRejected, MAX_IMPORT_BYTES, type ImportService } from './import-service.js';
import { COLUMNS } from './import-parse.js';

const importId = (v: unknown) => {
  const s = String(v);
  if (!/^[0-9a-f]{32}$/.test(s)) throw new ValidationError('Invalid import id.');
  return s;
};

export function importRoutes(imports: ImportService) {
  return (app: Router) => {
    const form = { title: 'Import prices', columns: COLUMNS, maxKb: MAX_IMPORT_BYTES / 1024, problems: [] };

    app.get('/catalog/imports', writers, (_req, res) => res.render('catalog/import', form));

    app.post('/catalog/imports', writers, async (req, res) => {
      try {
        const { id } = await imports.validate(
          req.actor,
          str(req.body.csv),
          str(req.body.fileName).slice(0, 255),
        );
        res.redirect(`/catalog/imports/${id}`);
      } catch (err) {
        if (!(err instanceof ImportRejected)) throw err;
        res.status(400).render('catalog/import', {
          ...form,
          problems: err.lines,
          message: err.message,
          values: { csv: str(req.body.csv), fileName: str(req.body.fileName) },
        });
      }
    });

    app.get('/catalog/imports/:id', readers, async (req, res) => {
      res.render('catalog/import-preview', {
        title: 'Import preview',
        ...(await imports.preview(importId(req.params.id))),
      });
    });

    app.post('/catalog/imports/:id/confirm', writers, async (req, res) => {
      const id = importId(req.params.id);
      const r = await imports.confirm(req.actor, id, str(req.body.hash));
      if (r.already)
        flash(
          req,
          'error',
          `This import was already applied${r.taskId ? ` (task ${r.taskId})` : ''}; nothing was applied again.`,
        );
      else
        flash(
          req,
          'ok',
          `Import applied: ${r.applied} price(s) changed${r.taskId ? `, task ${r.taskId} updates ${r.items} label(s)` : ''}${r.scheduled.length ? `, ${r.scheduled.length} scheduled` : ''}.`,
        );
      res.redirect(`/catalog/imports/${id}`);
    });
  };
}
