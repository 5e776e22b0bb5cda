// The words of the connection history (migrations/016_connection_history.sql), declared once.
export const CONNECTION_KINDS = ['connect', 'disconnect', 'takeover', 'resumed'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

export const DISCONNECT_REASONS = ['clean', 'lost', 'takeover', 'kicked', 'node_lost'] as const;

export interface HistoryRow {
  at: Date;
  clientId: string;
  groupId: string;
  kind: ConnectionKind;
  reason: string | null;
  brokerNode: string;
  previousNode: string | null;
  credentialKind: string | null;
  accessKeyId: string | null;
  ip: string | null;
  cleanSession: boolean | null;
}

/** The UTC hour a time belongs to, for the churn counts. */
export function hourOf(at: Date): Date {
  const h = new Date(at);
  h.setUTCMinutes(0, 0, 0);
  return h;
}
