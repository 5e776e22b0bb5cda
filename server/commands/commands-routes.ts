// The pages of label commands: the label page's panel (buttons and history, loaded here ahead
// of the label page's own route), the forms that ask for a command for one label or for every
// label of a product, and the list of commands (a batch, a label, a product).
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../core/errors.js';
import { requireRole } from '../web/guards.js';
import { flashKey } from '../web/flash.js';
import { reasonMessage } from './command-rules.js';
import { CommandRefusedError, type LabelCommandsService } from './commands-service.js';
import {
  COMMAND_KINDS,
  DURATION_MAX_SECONDS,
  DURATION_MIN_SECONDS,
  LED_COLOURS,
  LED_PATTERNS,
} from './states.js';

const readers = requireRole('admin', 'operator', 'auditor');
const writers = requireRole('admin', 'operator');
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** The form's fields as the API takes them (empty = the default). */
function formInput(b: Record<string, unknown>) {
  const out: Record<string, string> = {};
  for (const k of ['command', 'colour', 'pattern', 'durationSeconds', 'page', 'store'])
    if (str(b[k]).trim()) out[k] = str(b[k]).trim();
  return out;
}

/** Where a form returns to: the page it was on (label page or aisle page), nowhere else. */
function backTo(req: Request, fallback: string) {
  const b = str(req.body?.back);
  return /^\/(catalog\/labels\/|aisle(\?|$))/.test(b) && !b.includes('//') ? b : fallback;
}

export const COMMAND_FORM = {
  kinds: COMMAND_KINDS,
  colours: LED_COLOURS,
  patterns: LED_PATTERNS.filter((p) => p !== 'locate'),
  minSeconds: DURATION_MIN_SECONDS,
  maxSeconds: DURATION_MAX_SECONDS,
};

export function commandsRoutes(commands: LabelCommandsService) {
  const fieldsText = (req: Request, err: ValidationError) =>
    Object.entries(err.fields)
      .map(([f, m]) => `${req.t(`commands.field.${f}`)}: ${req.tm(m)}`)
      .join('; ') || req.tm(err.message);

  return (app: Router) => {
    // The label page (server/render) shows this panel when it is here: mounted before it.
    app.get('/catalog/labels/:labelId', async (req: Request, res: Response, next) => {
      try {
        if (req.user) {
          res.locals.labelCommands = await commands.panel(str(req.params.labelId), req.actor);
          res.locals.commandForm = COMMAND_FORM;
          res.locals.commandReason = (r: Parameters<typeof reasonMessage>[0], ap: string | null) =>
            req.t(`commands.reason.${r}`, { ap: ap ?? '', seconds: commands.ackSeconds });
        }
        next();
      } catch (err) {
        next(err);
      }
    });

    // The product page (server/catalog) shows the bulk form when the form's choices are here.
    app.get('/catalog/products/:id', (_req, res, next) => {
      res.locals.commandForm = COMMAND_FORM;
      next();
    });

    app.post('/catalog/labels/:labelId/commands', writers, async (req, res) => {
      const labelId = str(req.params.labelId);
      const back = backTo(req, `/catalog/labels/${encodeURIComponent(labelId)}`);
      try {
        const c = await commands.forLabel(req.actor, labelId, formInput(req.body ?? {}));
        if (c.state === 'failed')
          flashKey(req, 'error', 'commands.flash.failed', {
            kind: req.t(`commands.kind.${c.kind}`),
            why: req.t(`commands.reason.${c.reason}`, {
              ap: c.ap_client_id ?? '',
              seconds: commands.ackSeconds,
            }),
          });
        else
          flashKey(req, 'ok', 'commands.flash.sent', { kind: req.t(`commands.kind.${c.kind}`), id: labelId });
      } catch (err) {
        if (err instanceof CommandRefusedError)
          flashKey(req, 'error', 'commands.flash.refused', { ap: err.command?.ap_client_id ?? '' });
        else if (err instanceof ValidationError)
          flashKey(req, 'error', 'commands.flash.invalid', { why: fieldsText(req, err) });
        else throw err;
      }
      res.redirect(back);
    });

    app.post('/catalog/products/:id/label-commands', writers, async (req, res) => {
      const id = Number(req.params.id);
      try {
        const r = await commands.forProduct(
          req.actor,
          { id: Number.isInteger(id) && id > 0 ? id : -1 },
          formInput(req.body ?? {}),
        );
        const queued = r.commands.filter((c) => c.state === 'queued' || c.state === 'sent').length;
        flashKey(req, 'ok', 'commands.flash.bulk', { total: r.commands.length, queued });
        res.redirect(`/commands?batch=${r.batchUid}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        flashKey(req, 'error', 'commands.flash.invalid', { why: fieldsText(req, err) });
        res.redirect(`/catalog/products/${id}`);
      }
    });

    app.get('/commands', readers, async (req, res) => {
      const batch = /^[0-9a-f-]{36}$/.test(str(req.query.batch)) ? str(req.query.batch) : undefined;
      const label = str(req.query.label).slice(0, 64) || undefined;
      const product = Number(req.query.product) > 0 ? Number(req.query.product) : undefined;
      const rows = await commands.history(
        { batchUid: batch, labelId: label, productId: product },
        200,
        req.actor,
      );
      const byState: Record<string, number> = {};
      for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1;
      res.render('commands/list', {
        title: req.t('commands.listTitle'),
        rows,
        byState,
        filter: { batch, label, product },
        ackSeconds: commands.ackSeconds,
        here: req.originalUrl,
      });
    });
  };
}
