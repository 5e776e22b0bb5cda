// One dispatch round for one Group ID: fill the group's window of in-flight messages
// (TASK_GROUP_INFLIGHT) with due retries first, then never-sent items, and publish them.
// Retries go P2P to the AP that last reported the label, when one is known; the rest to
// the group's task topic. A first send writes one task_messages row per message and moves the
// (task, group) cursor, no item row; a task message whose timeout passes is re-sent whole (its
// pending items); items answered `failed` (and quiet hours' urgent ones) are re-sent one by one,
// marked in their rows. Everything is recorded before publishing: a crash in between leaves it to
// be retried, never lost.
import type { DownlinkPublisher } from '../../broker/downlink.js';
import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import type { Pool } from '../db/pool.js';
import { withTx } from '../db/pool.js';
import {
  adoptMessageAttempts,
  countInflightMessages,
  cursorsToEnd,
  itemsOfMessages,
  markAnswered,
  markSent,
  messagesWithoutPending,
  pickDueMessages,
  pickDueRetries,
  pickPending,
  rearmMessage,
  rearmTaskMessage,
  recordMessagesRetried,
  recordMessagesSent,
  type DispatchRow,
} from './dispatch-repo.js';
import { packMessages, type ItemImage, type OutgoingMessage } from './task-message.js';
import { quietOfGroups } from './quiet-hours-repo.js';
import { quietGate } from './quiet-hours.js';

/** Rendered images for the items of a group with image-capable APs (server/render implements it). */
export interface ItemImagePort {
  /** the image of each item that has one, by item id; none when no AP of the group takes images */
  imagesFor(groupId: string, rows: DispatchRow[]): Promise<Map<string, ItemImage>>;
  /** how many items with their images a message of the group holds; null when no AP of the group takes images */
  itemsPerMessage?(groupId: string, maxBytes: number): Promise<number | null>;
}

export class DownlinkUnavailableError extends Error {
  override name = 'DownlinkUnavailableError';
}

export interface RoundResult {
  published: number;
  items: number;
  /** true when the group may have more to send right now (its window has room left) */
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
    private readonly images: ItemImagePort | null = null,
  ) {}

  async round(groupId: string): Promise<RoundResult> {
    const publisher = this.downlink;
    const t0 = performance.now();
    const { TASK_GROUP_INFLIGHT: window, TASK_ITEMS_PER_MESSAGE: perMsg } = this.config;
    const free = window - (await countInflightMessages(this.pool, groupId));
    if (free <= 0) return { published: 0, items: 0, more: false };
    // Items with images are large: pick only what the window's messages can carry, so items
    // are not looked up, drawn and packed for nothing round after round.
    const imagePerMsg = await this.images
      ?.itemsPerMessage?.(groupId, this.config.MQTT_MAX_PAYLOAD_BYTES)
      .catch(() => null);
    const limit = free * Math.min(perMsg, imagePerMsg ?? perMsg);
    // During the store's quiet hours only urgent items go; the sweeper wakes the group again.
    const { urgentOnly } = quietGate(
      (await quietOfGroups(this.pool, [groupId])).get(groupId) ?? null,
      new Date(),
    );
    // 1. task messages whose timeout passed, re-sent whole (their pending items); during quiet
    //    hours only their urgent items, which then go on one by one.
    const due = await pickDueMessages(this.pool, groupId, free, urgentOnly);
    const dueRows = await itemsOfMessages(this.pool, groupId, due, urgentOnly);
    const withRows = new Set(dueRows.map((r) => r.messageId));
    if (!urgentOnly) {
      const empty = due.filter((m) => !withRows.has(m.id)).map((m) => ({ ...m, groupId }));
      await markAnswered(this.pool, await messagesWithoutPending(this.pool, empty));
    }
    if (urgentOnly) await adoptMessageAttempts(this.pool, dueRows);
    const wholeMessages = urgentOnly ? 0 : withRows.size;
    // 2. items re-sent one by one, 3. never-sent items after each task's cursor
    let left = limit - dueRows.length;
    const retries = [
      ...(urgentOnly ? dueRows : []),
      ...(left > 0 ? await pickDueRetries(this.pool, groupId, left, urgentOnly) : []),
    ];
    left -= retries.length - (urgentOnly ? dueRows.length : 0); // (urgent ones were counted above)
    const { rows: pending, exhausted } =
      left > 0 ? await pickPending(this.pool, groupId, left, urgentOnly) : { rows: [], exhausted: [] };
    // Each kind packed on its own, so that a first-send message holds one id range of one task.
    const resent = urgentOnly ? [] : await this.pack(groupId, dueRows, []);
    let room = free - wholeMessages;
    const single = window_(await this.pack(groupId, retries, urgentOnly ? pending : []), room);
    room -= single.filter((m) => m.itemIds.length).length;
    const fresh = urgentOnly ? [] : window_(await this.pack(groupId, [], pending), room);
    const messages = [...resent, ...single, ...fresh];
    // A task whose pending items after the cursor all go now (or none is left) has its cursor
    // moved to its end, so that the group shows no more first sends to make.
    const going = new Set(fresh.flatMap((m) => m.itemIds));
    const drained = exhausted.filter((t) => pending.every((r) => r.taskId !== t || going.has(r.id)));
    if (!messages.length) {
      await cursorsToEnd(this.pool, groupId, drained);
      return { published: 0, items: 0, more: false };
    }

    const tPicked = performance.now();
    // Where each resent task message's items went (P2P splits it), and each fresh message's range.
    const msgOf = new Map(dueRows.map((r) => [r.id, r.messageId]));
    const resentIds = new Map<string, string>();
    for (const m of resent)
      for (const id of m.itemIds) if (!resentIds.has(msgOf.get(id)!)) resentIds.set(msgOf.get(id)!, m.msgId);
    const taskOf = new Map(pending.map((r) => [r.id, r.taskId]));
    const freshRecords = fresh
      .filter((m) => m.itemIds.length)
      .map((m) => ({
        taskId: taskOf.get(m.itemIds[0])!,
        msgId: m.msgId,
        fromId: m.itemIds[0],
        toId: m.itemIds[m.itemIds.length - 1],
      }));
    const items = await withTx(this.pool, async (c) => {
      const n = await markSent(c, single, this.config.TASK_RETRY_BASE_MS, RETRY_CAP_MS);
      await recordMessagesRetried(
        c,
        [...resentIds].map(([id, msgId]) => ({ id, msgId })),
        this.config.TASK_RETRY_BASE_MS,
        RETRY_CAP_MS,
      );
      await recordMessagesSent(c, groupId, freshRecords, this.config.TASK_RETRY_BASE_MS);
      await cursorsToEnd(c, groupId, drained);
      const count = (ms: OutgoingMessage[]) => ms.reduce((a, m) => a + m.itemIds.length, 0);
      return n + count(resent) + count(fresh);
    });
    const tMarked = performance.now();
    // A publish that failed makes what it carried due again at once.
    const rearm = async (m: OutgoingMessage) => {
      const freshRec = freshRecords.find((f) => f.msgId === m.msgId);
      if (resent.includes(m))
        for (const id of new Set(m.itemIds.map((i) => msgOf.get(i)!)))
          await rearmTaskMessage(this.pool, { id });
      else if (freshRec) await rearmTaskMessage(this.pool, { ...freshRec, groupId });
      else await rearmMessage(this.pool, m.msgId);
    };
    // Image chunks (no items of their own) go first: an AP holds the whole image when its item arrives.
    const chunks = messages.filter((m) => !m.itemIds.length);
    const chunkFailed = (
      await Promise.allSettled(chunks.map((m) => publisher.publish(m.topic, m.payload, 1)))
    ).find((r) => r.status === 'rejected');
    if (chunkFailed) {
      for (const m of messages) if (m.itemIds.length) await rearm(m);
      throw new DownlinkUnavailableError(
        `an image chunk publish failed for ${groupId}: ${String(chunkFailed.reason)}`,
      );
    }
    const withItems = messages.filter((m) => m.itemIds.length);
    const results = await Promise.allSettled(withItems.map((m) => publisher.publish(m.topic, m.payload, 1)));
    let failed = 0;
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r.status === 'rejected') {
        failed++;
        await rearm(withItems[i]);
        this.log.warn(
          { err: r.reason, groupId, topic: withItems[i].topic },
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
      throw new DownlinkUnavailableError(`${failed} of ${withItems.length} publishes failed for ${groupId}`);
    // More may be sent now only while the window has room: a round that filled it is followed by
    // the acks' trigger (the dirty flag), not by another round that finds it full.
    const used = wholeMessages + [...single, ...fresh].filter((m) => m.itemIds.length).length;
    return {
      published: withItems.length,
      items,
      more: used < free && (urgentOnly ? 0 : dueRows.length) + retries.length + pending.length >= limit,
    };
  }

  private async pack(
    groupId: string,
    retries: DispatchRow[],
    pending: DispatchRow[],
  ): Promise<OutgoingMessage[]> {
    // Without images (none rendered, or rendering failed) the items still go, with their fields.
    if (!retries.length && !pending.length) return [];
    const images = this.images
      ? await this.images.imagesFor(groupId, [...retries, ...pending]).catch((err: unknown) => {
          this.log.warn({ err, groupId }, 'label images unavailable; items go with their fields only');
          return null;
        })
      : null;
    const withImage = (r: DispatchRow) => (images?.has(r.id) ? { ...r, image: images.get(r.id)! } : r);
    const parent = this.config.MQTT_PARENT_TOPIC;
    const byTopic = new Map<string, (DispatchRow & { image?: ItemImage })[]>();
    const add = (topic: string, r: DispatchRow & { image?: ItemImage }) =>
      (byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!).push(r);
    const groupTopic = `${parent}/task/${groupId}`;
    // A P2P retry only makes sense to an AP of this group; anything else goes to the group.
    for (const r of retries)
      add(
        r.lastAp && r.lastAp.startsWith(`${groupId}@@@`) ? `${parent}/p2p/${r.lastAp}` : groupTopic,
        withImage(r),
      );
    for (const r of pending) add(groupTopic, withImage(r));
    const out: OutgoingMessage[] = [];
    for (const [topic, rows] of byTopic)
      out.push(
        ...packMessages(topic, rows, this.config.TASK_ITEMS_PER_MESSAGE, this.config.MQTT_MAX_PAYLOAD_BYTES),
      );
    return out;
  }
}

/** The first `free` messages with items, with the image chunks before each of them. */
function window_(messages: OutgoingMessage[], free: number): OutgoingMessage[] {
  let n = 0;
  let end = 0;
  for (let i = 0; i < messages.length && n < free; i++)
    if (messages[i].itemIds.length) {
      n++;
      end = i + 1;
    }
  return messages.slice(0, end);
}
