// The audit API's query and answers (audit-api-routes.ts) as zod schemas: the routes check their
// queries with them and the OpenAPI document (server/api/openapi-audit.ts) is generated from them.
import { z } from 'zod';
import { listQuery } from '../core/list-page.js';

const text = (description: string) =>
  z.string({ error: 'give it once' }).max(190, 'at most 190 characters').optional().meta({ description });
const time = (description: string) =>
  z
    .string()
    .optional()
    .meta({ description: `${description}; ISO-8601, UTC when no zone is given` });

/** The auditor page's filters (server/audit/audit-filter.ts), with the same meaning. */
export const auditFilterShape = {
  from: time('Records at or after this time'),
  to: time('Records before this time'),
  actor: text('Who acted (user name, apikey:<name>, device Client ID, system)'),
  action: text('The action, e.g. price.changed'),
  q: text('Free text: its words in any field, in order'),
  task: text('Task id: records of or naming the task'),
  sku: text('SKU: records of or naming the product'),
  store: text('Store code: records of or naming the store'),
  label: text('Label id'),
  ap: text('AP Client ID'),
  source: z
    .enum(['sls', 'local'])
    .optional()
    .meta({ description: 'Where to read: SLS when configured (the default then), or the local MySQL store' }),
};

export const AuditListQuery = listQuery(auditFilterShape);

export const AuditRecordJson = z
  .object({
    id: z.string(),
    ts: z.string().meta({ format: 'date-time' }),
    actor: z.string(),
    actorRole: z.string(),
    action: z.string(),
    objectType: z.string(),
    objectId: z.string(),
    refs: z
      .string()
      .meta({ description: 'Space-delimited kind:value tokens (sku:, store:, task:, label:, ap:)' }),
    summary: z.string(),
    before: z.string().nullable().meta({ description: 'JSON text, exactly as hashed' }),
    after: z.string().nullable().meta({ description: 'JSON text, exactly as hashed' }),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    prevHash: z.string(),
    hash: z
      .string()
      .meta({ description: 'sha256 over prevHash and the fields above (docs: the audit chain)' }),
  })
  .meta({ id: 'AuditRecord' });

export const AuditPage = z
  .object({
    source: z.enum(['sls', 'local']),
    records: z.array(AuditRecordJson).meta({ description: 'Newest first' }),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'AuditPage' });

export const AuditEvidenceQuery = listQuery({
  sku: z
    .string({ error: 'give one SKU' })
    .min(1, 'give the SKU')
    .max(190, 'at most 190 characters')
    .meta({ description: 'The SKU' }),
  store: z
    .string({ error: 'give one store code' })
    .min(1, 'give the store code')
    .max(190, 'at most 190 characters')
    .meta({ description: 'The store code' }),
  from: auditFilterShape.from,
  to: auditFilterShape.to,
  source: auditFilterShape.source,
});

const ts = z.string().meta({ format: 'date-time' });

export const AuditEvidence = z
  .object({
    sku: z.string(),
    store: z.string(),
    source: z.enum(['sls', 'local']),
    changes: z
      .array(
        z.object({
          recordId: z.string(),
          at: ts,
          actor: z.string().meta({ description: 'Who changed it' }),
          actorRole: z.string(),
          action: z.string().meta({ examples: ['price.changed', 'label.bound', 'product.updated'] }),
          summary: z.string(),
          taskId: z.string().nullable().meta({ description: 'The task that sent the change to the labels' }),
          before: z.unknown().meta({ description: 'The record\'s "before", parsed' }),
          after: z.unknown().meta({ description: 'The record\'s "after", parsed' }),
        }),
      )
      .meta({ description: 'Records that changed the SKU in the store, newest first' }),
    confirmations: z
      .array(
        z.object({
          recordId: z.string(),
          at: ts,
          taskId: z.string(),
          ap: z.string().meta({ description: 'Client ID of the AP whose acks confirmed the labels' }),
          labels: z.array(z.string()).meta({ description: 'Labels of this SKU in this store it confirmed' }),
        }),
      )
      .meta({ description: 'Confirmation records of labels showing the SKU in the store, newest first' }),
    failures: z.array(
      z.object({
        recordId: z.string(),
        at: ts,
        taskId: z.string(),
        ap: z.string(),
        error: z.string(),
        labels: z.array(z.string()),
      }),
    ),
    nextCursor: z.string().nullable().meta({ description: 'Older records: pass as `cursor`' }),
  })
  .meta({ id: 'AuditEvidence' });
