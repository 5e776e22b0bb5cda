// The closed lists of label commands, declared once: used by the service, the zod and OpenAPI
// schemas, the pages, the simulator's protocol and the CHECK constraints of `label_commands`
// (test/db/check-constraints.test.ts compares them with migrations/022_label_commands.sql).

/** flash: the LED in a colour and pattern; find: the locating pattern; page: show another page. */
export const COMMAND_KINDS = ['flash', 'find', 'page'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/**
 * queued: stored, not yet published; sent: published to the serving AP, waiting for its ack;
 * acked: the AP carried it out; failed: it could not be carried out (no serving AP, AP offline,
 * the AP answered failed, the publish failed); refused: the serving AP does not declare the
 * capability, so nothing was sent; timed_out: no ack within LABEL_COMMAND_ACK_SECONDS.
 */
export const COMMAND_STATES = ['queued', 'sent', 'acked', 'failed', 'refused', 'timed_out'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];
export const FINAL_COMMAND_STATES = ['acked', 'failed', 'refused', 'timed_out'] as const;

export const LED_COLOURS = ['red', 'green', 'blue', 'yellow', 'cyan', 'magenta', 'white'] as const;
export type LedColour = (typeof LED_COLOURS)[number];

/** solid: on; blink: 1 Hz; fast: 4 Hz; locate: bursts meant to be seen across an aisle (find). */
export const LED_PATTERNS = ['solid', 'blink', 'fast', 'locate'] as const;
export type LedPattern = (typeof LED_PATTERNS)[number];

/** Why a command did not end acked (the `reason` column; an AP's own error text is kept as sent). */
export const COMMAND_REASONS = [
  'no_serving_ap',
  'ap_offline',
  'not_supported',
  'no_ack',
  'publish_failed',
  'ap_error',
] as const;
export type CommandReason = (typeof COMMAND_REASONS)[number];

/** The capability (status `caps`) an AP declares to receive each kind of command. */
export const CAPABILITY_OF: Record<CommandKind, string> = { flash: 'led', find: 'led', page: 'page' };

export const DURATION_MIN_SECONDS = 1;
export const DURATION_MAX_SECONDS = 300;
/** A bulk command reaches at most this many labels. */
export const MAX_BULK_LABELS = 500;
