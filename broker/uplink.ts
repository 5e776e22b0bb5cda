// What the broker hands to the backend. Every accepted uplink publish (ack/status topics)
// and every connection event is added to a BullMQ queue *before* the broker acknowledges
// it (PUBACK for QoS 1), so an accepted ack is never lost when a process dies.
// Workers in the backend consume these queues; the broker knows nothing of what they mean.
import { parseTopic, SEPARATOR } from './rules.js';

/**
 * Queue of publishes on uplink topics (`<parent>/ack/G/D`, `<parent>/status/G/D`). A job carries
 * the publishes a broker accepted in one turn of its event loop, in the order they arrived, in
 * the compact form `UplinkJob`; `uplinkPublishesOf` reads every form a job may have.
 */
export const UPLINK_QUEUE = 'mqtt-uplink-2';
/**
 * Version 0.1.0's uplink queue: one bare `UplinkPublish` per job. Brokers of this version never
 * write to it; workers still drain it, so that what a 0.1.0 broker accepted during an upgrade is
 * applied whichever is upgraded first (and a 0.1.0 worker never reads a job it cannot parse: it
 * would count it as malformed and drop it).
 */
export const UPLINK_QUEUE_0_1 = 'mqtt-uplink';
/**
 * Queue of connection events (connect, disconnect, take-over). A job carries a batch of them in
 * the order they happened (`ConnectionEventBatch`); a job that is one bare `ConnectionEvent`
 * (from a broker of an earlier version) is read as a batch of one.
 */
export const CONNECTION_EVENTS_QUEUE = 'mqtt-connections';

export interface ConnectionEventBatch {
  events: ConnectionEvent[];
  /** Summaries of refused CONNECTs over a period (a job of its own, name 'security'). */
  security?: ConnectSummary[];
}

/** One accepted uplink publish, as the worker applies it (and as version 0.1.0 queued each). */
export interface UplinkPublish {
  /** 'ack' or 'status': the second topic level */
  kind: 'ack' | 'status';
  topic: string;
  clientId: string;
  groupId: string;
  deviceId: string;
  /** The payload as received, UTF-8 decoded; the consumer validates it. */
  payload: string;
  qos: 0 | 1 | 2;
  receivedAt: string;
  brokerNode: string;
}

/**
 * One publish of an `UplinkJob`: topic, payload (UTF-8 decoded), QoS, and when it arrived in ms
 * after the job's `at`. The rest follows from the topic: the broker queues a publish only on the
 * publisher's own `<parent>/<ack|status>/<GroupID>/<DeviceID>`, whose Client ID is
 * `<GroupID>@@@<DeviceID>` (neither ID may hold a `/`: broker/rules.ts).
 */
export type UplinkEntry = [topic: string, payload: string, qos: 0 | 1 | 2, afterMs: number];

/**
 * A job of `UPLINK_QUEUE`. About 12 bytes of JSON per publish beside its topic and payload, where
 * an `UplinkPublish` takes about 200 (a small ack: 140 bytes in all instead of 330). The broker
 * writes and Redis holds every accepted publish (a week of them while MySQL is away), and the
 * bytes per publish are most of a job's cost.
 */
export interface UplinkJob {
  /** the broker node that accepted them */
  node: string;
  /** when the earliest of them arrived, ms since the epoch */
  at: number;
  p: UplinkEntry[];
}

/** A job of an unreleased broker between 0.1.0 and the compact form: whole publishes. */
export interface UplinkBatch {
  publishes: UplinkPublish[];
}

/** The publishes of an uplink job, whichever form it has. */
export function uplinkPublishesOf(data: UplinkJob | UplinkBatch | UplinkPublish): UplinkPublish[] {
  if ('p' in data && Array.isArray(data.p)) {
    const { node, at } = data;
    return data.p.map(([topic, payload, qos, afterMs]) => {
      // a topic the broker accepted always parses; anything else reads as malformed in the worker
      const t = parseTopic(topic);
      const [groupId = '', deviceId = ''] = t?.rest ?? [];
      return {
        kind: t?.kind as UplinkPublish['kind'],
        topic,
        clientId: `${groupId}${SEPARATOR}${deviceId}`,
        groupId,
        deviceId,
        payload,
        qos,
        receivedAt: new Date(at + afterMs).toISOString(),
        brokerNode: node,
      };
    });
  }
  return 'publishes' in data && Array.isArray(data.publishes) ? data.publishes : [data as UplinkPublish];
}

export interface ConnectionEvent {
  /**
   * takeover: a second live connection with this Client ID closed the first (MQTT-3.1.4-2);
   * resumed: the Client ID was still registered on another node, which no longer answers (it
   * died): the AP came back after node loss, no duplicate. Both precede the 'connect' event.
   */
  type: 'connect' | 'disconnect' | 'takeover' | 'resumed';
  clientId: string;
  groupId: string;
  deviceId: string;
  ip: string | null;
  at: string;
  brokerNode: string;
  /**
   * disconnect: 'clean' (DISCONNECT packet), 'lost' (socket closed, keepalive, or the node restarted
   * under it), 'takeover', 'kicked' (credential revoked), 'node_lost' (its broker node stopped
   * without a restart; recorded by the worker's stale-presence sweep, not sent by a broker)
   */
  reason?: 'clean' | 'lost' | 'takeover' | 'kicked' | 'node_lost';
  cleanSession?: boolean;
  /** resumed: the node the previous connection was on */
  previousNode?: string;
  /** How the client authenticated: the credential's kind and the AccessKey (or device credential) id. */
  credentialKind?: 'signature' | 'device_credential' | 'token';
  accessKeyId?: string;
}

/**
 * CONNECT attempts refused over one period, one per kind and key (or IP): 'refused' (bad
 * credentials or not authorized), 'revoked_credential' (a revoked AccessKey or device credential
 * was presented), 'rate_limited' (over the per-key or per-IP limit: CONNACK 3).
 */
export interface ConnectSummary {
  kind: 'refused' | 'revoked_credential' | 'rate_limited';
  /** rate_limited: which bucket was empty */
  limit?: 'accessKey' | 'ip';
  accessKeyId: string | null;
  /** the first IP seen; `ips` lists up to 10 distinct ones */
  ip: string | null;
  ips: string[];
  attempts: number;
  /** CONNACK return code -> attempts */
  codes: Record<string, number>;
  /** refusal reason -> attempts (at most 10 reasons) */
  reasons: Record<string, number>;
  clientIds: string[];
  first: string;
  last: string;
  brokerNode: string;
}

/**
 * How uplink and connection-event jobs are retried when their consumer fails (MySQL away):
 * for about a week, at most a minute apart, so an outage of any length loses no accepted
 * message. Consumers pass `uplinkBackoff` as their Worker's `settings.backoffStrategy`.
 */
export const UPLINK_JOB_OPTS = {
  attempts: 10_000,
  backoff: { type: 'uplink' },
  removeOnComplete: 1000,
  removeOnFail: 10_000,
};

/** 1 s, 2 s, 4 s ... capped at 60 s (BullMQ's exponential backoff has no cap). */
export function uplinkBackoff(attemptsMade: number): number {
  return Math.min(1000 * 2 ** Math.max(0, Math.min(attemptsMade - 1, 16)), 60_000);
}
