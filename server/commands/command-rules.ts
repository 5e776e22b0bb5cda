// Whether a label's serving AP can take a command now, as pure functions of what the platform
// knows: the AP that last reported the label, whether it is online, and the caps of its status.
import { CAPABILITY_OF, type CommandKind, type CommandReason, type CommandState } from './states.js';

export function capsOf(caps: string | null): string[] {
  if (!caps) return [];
  try {
    const v: unknown = JSON.parse(caps);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export interface ApView {
  clientId: string | null;
  online: boolean;
  caps: string[];
}

/**
 * What becomes of a command now: queued (to be sent), or its final state with the reason.
 * A missing capability is checked before the connection: an AP that cannot do it will not
 * do it once back either.
 */
export function verdict(
  kind: CommandKind,
  ap: ApView,
): { state: CommandState; reason: CommandReason | null } {
  if (!ap.clientId) return { state: 'failed', reason: 'no_serving_ap' };
  if (!ap.caps.includes(CAPABILITY_OF[kind])) return { state: 'refused', reason: 'not_supported' };
  if (!ap.online) return { state: 'failed', reason: 'ap_offline' };
  return { state: 'queued', reason: null };
}

/** The English sentence for a reason (services speak English; pages translate through `msg`). */
export function reasonMessage(reason: CommandReason | null, ap: string | null, ackSeconds?: number): string {
  switch (reason) {
    case 'no_serving_ap':
      return 'No AP has reported this label yet, so there is no AP to send the command to.';
    case 'ap_offline':
      return `The label's AP ${ap ?? ''} is offline.`;
    case 'not_supported':
      return `The label's AP ${ap ?? ''} cannot do this: it does not declare the capability (a v1 AP without label commands).`;
    case 'no_ack':
      return `No ack from the AP within ${ackSeconds ?? '?'} s.`;
    case 'publish_failed':
      return 'The command could not be handed to the broker.';
    case 'ap_error':
      return 'The AP reported it could not carry the command out.';
    default:
      return '';
  }
}
