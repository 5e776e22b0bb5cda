// One dispatch round for one Group ID: fill the group's window of in-flight messages
// (TASK_GROUP_INFLIGHT) with due retries first, then never-sent items, and publish them.
// Retries go P2P to the AP that last reported the label, when one is known; the rest to
// the group's task topic. Items are marked sent before publishing: a crash in between
// leaves them to be retried, never lost.
import type { DownlinkPublisher } from '../../broker/downlink.js';
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import type { Pool } from '../db/pool.js';
import {
  countInflightMessages,
  markSent,
  pickDueRetries,
  pickPending,
  rearmMessage,
  type DispatchRow,
} from './dispatch-repo.js';
import { packMessages, type OutgoingMessage } from './task-message.js';

export class DownlinkUnavailableError extends Error {
  override name = 'DownlinkUnavailableError';
}

export interface RoundResult {
  published: number;
  items: number;
  /** true when the group may have more to send right now */
  more: boolean;
}

const RETRY_CAP_MS = 5 * 60_000;

/** The settings a round uses. */
export type DispatchConfig = Pick<
  Config,
  | 'TASK_GROUP_INFLIGHT'
  | 'TASK_ITEMS_PER_MESSAGE'
  | 'TASK_RETRY_BASE_MS'
  | 'MQTT_PARENT_TOPIC'
  | 'MQTT_MAX_PAYLOAD_BYTES'
>;

export class GroupDispatcher {
  constructor(
    private readonly pool: Pool,
    private readonly config: DispatchConfig,
    private readonly downlink: DownlinkPublisher,
    private readonly log: Logger,
  ) {}

  async round(groupId: string): Promise<RoundResult> {
    const publisher = this.downlink;
    const t0 = performance.now();
    const { TASK_GROUP_INFLIGHT: window, TASK_ITEMS_PER_MESSAGE: perMsg } = this.config;
    const free = window - (await countInflightMessages(this.pool, groupId));
    if (free <= 0) return { published: 0, items: 0, more: false };
    const limit = free * perMsg;
    const retries = await pickDueRetries(this.pool, groupId, limit);
    const pending =
      retries.length < limit ? await pickPending(this.pool, groupId, limit - retries.length) : [];
    const messages = this.pack(groupId, retries, pending).slice(0, free);
    if (!messages.length) return { published: 0, items: 0, more: false };

    const tPicked = performance.now();
    // One statement (so one transaction, one commit) for the whole round.
    const items = await markSent(this.pool, messages, this.config.TASK_RETRY_BASE_MS, RETRY_CAP_MS);
    const tMarked = performance.now();
    const results = await Promise.allSettled(messages.map((m) => publisher.publish(m.topic, m.payload, 1)));
    let failed = 0;
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r.status === 'rejected') {
        failed++;
        await rearmMessage(this.pool, messages[i].msgId);
        this.log.warn(
          { err: r.reason, groupId, topic: messages[i].topic },
          'task message publish failed; its items are due again',
        );
      }
    }
    const ms = (a: number, b: number) => Math.round(b - a);
    this.log.debug(
      {
        groupId,
        messages: messages.length,
        items,
        ms: ms(t0, performance.now()),
        pickMs: ms(t0, tPicked),
        markMs: ms(tPicked, tMarked),
        publishMs: ms(tMarked, performance.now()),
      },
      'dispatch round',
    );
    if (failed)
      throw new DownlinkUnavailableError(`${failed} of ${messages.length} publishes failed for ${groupId}`);
    return { published: messages.length, items, more: retries.length + pending.length >= limit };
  }

  private pack(groupId: string, retries: DispatchRow[], pending: DispatchRow[]): OutgoingMessage[] {
    const parent = this.config.MQTT_PARENT_TOPIC;
    const byTopic = new Map<string, DispatchRow[]>();
    const add = (topic: string, r: DispatchRow) =>
      (byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!).push(r);
    const groupTopic = `${parent}/task/${groupId}`;
    // A P2P retry only makes sense to an AP of this group; anything else goes to the group.
    for (const r of retries)
      add(r.lastAp && r.lastAp.startsWith(`${groupId}@@@`) ? `${parent}/p2p/${r.lastAp}` : groupTopic, r);
    for (const r of pending) add(groupTopic, r);
    const out: OutgoingMessage[] = [];
    for (const [topic, rows] of byTopic)
      out.push(
        ...packMessages(topic, rows, this.config.TASK_ITEMS_PER_MESSAGE, this.config.MQTT_MAX_PAYLOAD_BYTES),
      );
    return out;
  }
}
