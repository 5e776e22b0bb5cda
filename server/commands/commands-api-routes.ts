// /api/v1 label commands: one label's (ask, history), one command (to poll its state), and the
// same command for every label of a product. Asking needs prices:write (what operators hold),
// reading tasks:read.
import type { NextFunction, Request, Response, Router } from 'express';
import { requireScope } from '../auth/api-auth.js';
import { CommandRefusedError, type LabelCommandsService } from './commands-service.js';
import { batchJson, commandJson } from './commands-serializers.js';

const str = (v: unknown) => (typeof v === 'string' ? v : '');

function canRead(req: Request, res: Response, next: NextFunction) {
  requireScope('tasks:read')(req, res, (err?: unknown) =>
    err ? requireScope('prices:write')(req, res, next) : next(),
  );
}

export function commandsApiRoutes(commands: LabelCommandsService) {
  const json = (r: Parameters<typeof commandJson>[0]) => commandJson(r, commands.ackSeconds);
  return (app: Router) => {
    app.post('/api/v1/labels/:labelId/commands', requireScope('prices:write'), async (req, res) => {
      try {
        const c = await commands.forLabel(req.actor, str(req.params.labelId), req.body);
        res.status(201).json(json(c));
      } catch (err) {
        if (!(err instanceof CommandRefusedError)) throw err;
        res.status(409).json({
          error: { code: err.code, message: err.message, requestId: String(req.id ?? '') },
          command: err.command ? json(err.command) : null,
        });
      }
    });

    app.get('/api/v1/labels/:labelId/commands', canRead, async (req, res) => {
      const rows = await commands.history({ labelId: str(req.params.labelId) }, 100, req.actor);
      res.json({ items: rows.map(json) });
    });

    app.get('/api/v1/label-commands/:id', canRead, async (req, res) => {
      res.json(json(await commands.get(str(req.params.id), req.actor)));
    });

    app.post('/api/v1/products/:sku/label-commands', requireScope('prices:write'), async (req, res) => {
      const r = await commands.forProduct(req.actor, { sku: str(req.params.sku) }, req.body);
      res.status(201).json(batchJson(r.batchUid, r.commands, commands.ackSeconds));
    });
  };
}
