// The JSON of label commands in the REST API (camelCase, ISO-8601 UTC), with its zod schema for
// the OpenAPI document.
import { z } from 'zod';
import { reasonMessage } from './command-rules.js';
import type { CommandRow } from './commands-repo.js';
import { COMMAND_KINDS, COMMAND_REASONS, COMMAND_STATES, LED_COLOURS, LED_PATTERNS } from './states.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const LabelCommand = z.object({
  id: z.string().describe('The command id (digits)'),
  cmdId: z.string().describe('The id on the wire: what the AP acks'),
  batchId: z.string().nullable().describe('Shared by the commands of one bulk request'),
  labelId: z.string(),
  command: z.enum(COMMAND_KINDS),
  colour: z.enum(LED_COLOURS).nullable(),
  pattern: z.enum(LED_PATTERNS).nullable(),
  durationSeconds: z.number().int().nullable(),
  page: z.number().int().nullable(),
  state: z.enum(COMMAND_STATES),
  reason: z.enum(COMMAND_REASONS).nullable(),
  message: z.string().describe('Why it did not end acked, in words; empty when acked or under way'),
  ap: z.string().nullable().describe('The Client ID of the AP it went (or would have gone) to'),
  apError: z.string().nullable().describe("The AP's error text of a failed ack, as sent"),
  apResult: z
    .object({ page: z.number().int().optional(), ledUntil: z.string().optional() })
    .nullable()
    .describe('What the AP reported doing'),
  requestedBy: z.string(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  deadlineAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});
export const LabelCommandList = z.object({ items: z.array(LabelCommand) });
export const LabelCommandBatch = z.object({
  batchId: z.string(),
  total: z.number().int(),
  byState: z.record(z.string(), z.number().int()).describe('How many commands are in each state'),
  items: z.array(LabelCommand),
});
export const CommandRefused = z.object({
  error: z.object({ code: z.literal('command_refused'), message: z.string(), requestId: z.string() }),
  command: LabelCommand.nullable(),
});

export function commandJson(r: CommandRow, ackSeconds: number): z.infer<typeof LabelCommand> {
  let apResult: { page?: number; ledUntil?: string } | null = null;
  try {
    apResult = r.ap_result ? (JSON.parse(r.ap_result) as typeof apResult) : null;
  } catch {
    apResult = null;
  }
  return {
    id: String(r.id),
    cmdId: r.uid,
    batchId: r.batch_uid,
    labelId: r.label_id,
    command: r.kind as z.infer<typeof LabelCommand>['command'],
    colour: r.colour as z.infer<typeof LabelCommand>['colour'],
    pattern: r.pattern as z.infer<typeof LabelCommand>['pattern'],
    durationSeconds: r.duration_s,
    page: r.page,
    state: r.state,
    reason: r.reason,
    message: reasonMessage(r.reason, r.ap_client_id, ackSeconds),
    ap: r.ap_client_id,
    apError: r.ap_error,
    apResult,
    requestedBy: r.requested_by,
    createdAt: iso(r.created_at)!,
    sentAt: iso(r.sent_at),
    deadlineAt: iso(r.deadline_at),
    finishedAt: iso(r.finished_at),
  };
}

export function batchJson(batchUid: string, rows: CommandRow[], ackSeconds: number) {
  const byState: Record<string, number> = {};
  for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1;
  return {
    batchId: batchUid,
    total: rows.length,
    byState,
    items: rows.map((r) => commandJson(r, ackSeconds)),
  };
}
