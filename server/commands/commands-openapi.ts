// Label commands in the OpenAPI document (server/api/openapi.ts): requests are the zod schemas
// the service parses with, answers those of commands-serializers.ts.
import { BulkCommandRequest, CommandRequest } from './command-schemas.js';
import { CommandRefused, LabelCommand, LabelCommandBatch, LabelCommandList } from './commands-serializers.js';
import { MAX_BULK_LABELS } from './states.js';

export const COMMAND_SCHEMAS = {
  LabelCommandRequest: CommandRequest,
  LabelCommandBulkRequest: BulkCommandRequest,
  LabelCommand,
  LabelCommandList,
  LabelCommandBatch,
  LabelCommandRefused: CommandRefused,
};

type Json = (id: string, description: string) => object;

export function commandPaths(h: {
  json: Json;
  body: (id: string) => object;
  errors: Record<number, object>;
  idempotencyKey: object;
}) {
  const tags = ['devices'];
  const labelId = { name: 'labelId', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } };
  return {
    '/api/v1/labels/{labelId}/commands': {
      post: {
        operationId: 'createLabelCommand',
        tags,
        summary: "Flash the label's LED, make it findable, or switch its page (scope prices:write)",
        description:
          'Sent over P2P to the AP that last reported the label (docs/ap-protocol.md section 12). The answer is the stored command: `queued` (on its way; poll `GET /api/v1/label-commands/{id}` for `sent`, `acked`, `failed` or `timed_out`), or `failed` at once with its reason (`no_serving_ap`, `ap_offline`). An AP that does not declare the capability is refused with 409 and nothing is sent.',
        parameters: [labelId, h.idempotencyKey],
        requestBody: h.body('LabelCommandRequest'),
        responses: {
          201: h.json('LabelCommand', 'Stored (queued, or failed with its reason)'),
          ...h.errors,
          404: h.json('Error', 'No such label'),
          409: h.json(
            'LabelCommandRefused',
            "The label's AP does not declare the capability (stored as refused), or the Idempotency-Key is in use",
          ),
          422: h.json('Error', 'This Idempotency-Key was used for a different request'),
        },
      },
      get: {
        operationId: 'listLabelCommands',
        tags,
        summary: "The label's latest 100 commands, newest first (scope tasks:read)",
        parameters: [labelId],
        responses: { 200: h.json('LabelCommandList', 'Commands'), ...h.errors },
      },
    },
    '/api/v1/label-commands/{id}': {
      get: {
        operationId: 'getLabelCommand',
        tags,
        summary: 'One label command and its state (scope tasks:read)',
        parameters: [
          {
            name: 'id',
            in: 'path',
            required: true,
            schema: { type: 'string' },
            description: 'The command id (digits) or its cmdId',
          },
        ],
        responses: {
          200: h.json('LabelCommand', 'The command'),
          ...h.errors,
          404: h.json('Error', 'No such command'),
        },
      },
    },
    '/api/v1/products/{sku}/label-commands': {
      post: {
        operationId: 'createProductLabelCommands',
        tags,
        summary:
          'The same command for every label bound to a product, of one store or all (scope prices:write)',
        description: `At most ${MAX_BULK_LABELS} labels (name a store for more). Each label gets its own command with its own state; those its AP cannot take are stored failed or refused with the reason, the others are sent.`,
        parameters: [
          { name: 'sku', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } },
          h.idempotencyKey,
        ],
        requestBody: h.body('LabelCommandBulkRequest'),
        responses: {
          201: h.json('LabelCommandBatch', 'The commands, with counts per state'),
          ...h.errors,
          404: h.json('Error', 'No such product'),
          409: h.json('Error', 'A request with this Idempotency-Key is still being processed'),
          422: h.json('Error', 'This Idempotency-Key was used for a different request'),
        },
      },
    },
  };
}
