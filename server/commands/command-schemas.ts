// What a label command is, as asked for (the form and the REST API: one zod schema, so both
// name the same field when something is wrong) and as an AP acks it (docs/ap-protocol.md
// section 12; validated strictly, unknown fields ignored).
import { z } from 'zod';
import {
  COMMAND_KINDS,
  DURATION_MAX_SECONDS,
  DURATION_MIN_SECONDS,
  LED_COLOURS,
  LED_PATTERNS,
} from './states.js';

const seconds = z.coerce
  .number({ error: 'must be a whole number of seconds' })
  .int('must be a whole number of seconds')
  .min(DURATION_MIN_SECONDS, `must be ${DURATION_MIN_SECONDS} to ${DURATION_MAX_SECONDS} seconds`)
  .max(DURATION_MAX_SECONDS, `must be ${DURATION_MIN_SECONDS} to ${DURATION_MAX_SECONDS} seconds`);

const fields = z.object({
  command: z.enum(COMMAND_KINDS, { error: `must be one of ${COMMAND_KINDS.join(', ')}` }),
  colour: z
    .enum(LED_COLOURS, { error: `must be one of ${LED_COLOURS.join(', ')}` })
    .optional()
    .describe('LED colour (flash, find); default red for flash, white for find'),
  pattern: z
    .enum(LED_PATTERNS, { error: `must be one of ${LED_PATTERNS.join(', ')}` })
    .optional()
    .describe('LED pattern (flash; find always uses locate); default blink'),
  durationSeconds: seconds
    .optional()
    .describe(
      `How long the LED stays on (flash, find), ${DURATION_MIN_SECONDS}-${DURATION_MAX_SECONDS} s; default 10 (flash), 30 (find)`,
    ),
  page: z.coerce
    .number({ error: 'must be a page number' })
    .int('must be a page number')
    .min(1, 'must be 1 or more')
    .max(8, 'must be 8 or less')
    .optional()
    .describe("The page to show (page); at most the label model's pages"),
});
const pageRequired = (v: { command: string; page?: number }, ctx: z.RefinementCtx) => {
  if (v.command === 'page' && v.page === undefined)
    ctx.addIssue({ code: 'custom', path: ['page'], message: 'required for a page switch' });
};

/** One command for one label. */
export const CommandRequest = fields.superRefine(pageRequired);
export type CommandInput = z.infer<typeof CommandRequest>;

/** The same command for every label of a product (of one store, when named). */
export const BulkCommandRequest = fields
  .extend({ store: z.string().min(1).max(32).optional().describe("Only this store's labels (store code)") })
  .superRefine(pageRequired);

/** The command as it goes on the wire: the LED part for flash and find, the page for page. */
export interface CommandSpec {
  kind: (typeof COMMAND_KINDS)[number];
  colour: (typeof LED_COLOURS)[number] | null;
  pattern: (typeof LED_PATTERNS)[number] | null;
  durationSeconds: number | null;
  page: number | null;
}

/** Fills in the defaults of a kind and drops what it does not use. */
export function specOf(v: CommandInput): CommandSpec {
  if (v.command === 'page')
    return { kind: 'page', colour: null, pattern: null, durationSeconds: null, page: v.page ?? 1 };
  const find = v.command === 'find';
  return {
    kind: v.command,
    colour: v.colour ?? (find ? 'white' : 'red'),
    pattern: find ? 'locate' : (v.pattern ?? 'blink'),
    durationSeconds: v.durationSeconds ?? (find ? 30 : 10),
    page: null,
  };
}

/** An AP's answer to one command, on its ack topic (`type: "command.ack"`). */
export const commandAckSchema = z.discriminatedUnion('status', [
  z.object({
    v: z.literal(1),
    type: z.literal('command.ack'),
    cmdId: z.string().min(1).max(64),
    labelId: z.string().min(1).max(64),
    status: z.literal('ok'),
    /** the page the label shows now (page switch) */
    page: z.number().int().min(1).max(8).optional(),
    /** until when the LED is on (flash, find), the AP's clock */
    ledUntil: z.iso.datetime({ offset: true }).optional(),
  }),
  z.object({
    v: z.literal(1),
    type: z.literal('command.ack'),
    cmdId: z.string().min(1).max(64),
    labelId: z.string().min(1).max(64),
    status: z.literal('failed'),
    error: z.string().max(255).optional(),
  }),
]);
export type CommandAck = z.infer<typeof commandAckSchema>;

/** The P2P message for one command (docs/ap-protocol.md section 12.1). */
export function commandMessage(c: {
  uid: string;
  labelId: string;
  spec: CommandSpec;
  issuedAt: Date;
  expiresAt: Date;
}) {
  const s = c.spec;
  return {
    v: 1,
    type: 'label.command',
    cmdId: c.uid,
    issuedAt: c.issuedAt.toISOString(),
    expiresAt: c.expiresAt.toISOString(),
    labelId: c.labelId,
    command: s.kind,
    ...(s.kind === 'page'
      ? { page: s.page }
      : { led: { colour: s.colour, pattern: s.pattern, durationSeconds: s.durationSeconds } }),
  };
}
