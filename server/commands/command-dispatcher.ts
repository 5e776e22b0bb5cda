// The worker's side of label commands: publishes queued commands as P2P messages to their
// label's serving AP (marked sent, with a deadline, before the publish, so an ack that comes
// back at once finds its command sent), applies the APs' acks, and times out what was not
// acked by its deadline. Every state change is audited in the transaction that makes it.
import type { DownlinkPublisher } from '../../broker/downlink.js';
import { appendAudit, appendAuditMany } from '../audit/audit-repo.js';
import type { Actor } from '../core/identity.js';
import type { Logger } from '../core/logger.js';
import { withTx, type Pool } from '../db/pool.js';
import { MalformedUplinkError } from '../tasks/uplink-schemas.js';
import { capsOf, verdict } from './command-rules.js';
import { commandAckSchema, commandMessage, type CommandSpec } from './command-schemas.js';
import * as repo from './commands-repo.js';
import type { CommandKind, CommandReason, CommandState } from './states.js';

const WORKER: Actor = { name: 'worker', role: 'system' };
const BATCH = 200;

const specOfRow = (r: repo.CommandRow): CommandSpec => ({
  kind: r.kind as CommandKind,
  colour: r.colour as CommandSpec['colour'],
  pattern: r.pattern as CommandSpec['pattern'],
  durationSeconds: r.duration_s,
  page: r.page,
});

export interface CommandAckFrom {
  clientId: string;
  groupId: string;
  receivedAt: Date;
}

export type CommandAckOutcome = 'applied' | 'repeated' | 'unknown' | 'forged';

export class CommandDispatcher {
  constructor(
    private readonly pool: Pool,
    private readonly downlink: DownlinkPublisher,
    private readonly log: Logger,
    private readonly o: { parentTopic: string; ackSeconds: number },
  ) {}

  /** Sends these queued commands (or every queued one older than `olderThan`). */
  async send(f: { uids?: string[]; olderThan?: Date }): Promise<number> {
    let sent = 0;
    for (;;) {
      const now = new Date();
      const deadline = new Date(now.getTime() + this.o.ackSeconds * 1000);
      const go = await withTx(this.pool, async (c) => {
        const rows = await repo.lockQueued(c, { ...f, limit: BATCH });
        if (!rows.length) return [];
        const aps = await repo.apStates(c, [...new Set(rows.map((r) => r.ap_client_id!).filter(Boolean))]);
        const ends = new Map<string, repo.CommandRow[]>();
        const ok: repo.CommandRow[] = [];
        for (const r of rows) {
          // The AP may have gone away or changed its caps since the command was asked for.
          const ap = r.ap_client_id ? aps.get(r.ap_client_id) : undefined;
          const v = verdict(r.kind as CommandKind, {
            clientId: r.ap_client_id,
            online: ap?.online ?? false,
            caps: capsOf(ap?.caps ?? null),
          });
          if (v.state === 'queued') ok.push(r);
          else {
            const key = `${v.state}|${v.reason}`;
            ends.set(key, [...(ends.get(key) ?? []), r]);
          }
        }
        for (const [key, some] of ends) {
          const [state, reason] = key.split('|') as [CommandState, CommandReason];
          await repo.finish(
            c,
            some.map((r) => r.id),
            { state, reason },
            ['queued'],
            now,
          );
          await this.audit(c, some, state, reason);
        }
        await repo.markSent(
          c,
          ok.map((r) => r.id),
          now,
          deadline,
        );
        await this.audit(c, ok, 'sent', null);
        return ok;
      });
      for (const r of go) {
        const body = JSON.stringify(
          commandMessage({
            uid: r.uid,
            labelId: r.label_id,
            spec: specOfRow(r),
            issuedAt: now,
            expiresAt: deadline,
          }),
        );
        try {
          await this.downlink.publish(`${this.o.parentTopic}/p2p/${r.ap_client_id}`, body, 1);
          sent++;
        } catch (err) {
          this.log.warn({ err: (err as Error).message, cmdId: r.uid }, 'label command publish failed');
          await withTx(this.pool, async (c) => {
            if (
              await repo.finish(
                c,
                [r.id],
                { state: 'failed', reason: 'publish_failed' },
                ['sent'],
                new Date(),
              )
            )
              await this.audit(c, [r], 'failed', 'publish_failed');
          });
        }
      }
      if (f.uids || go.length < BATCH) return sent;
    }
  }

  /** Sent commands past their deadline become timed_out (`no_ack`). */
  async timeOutOverdue(): Promise<number> {
    let n = 0;
    for (;;) {
      const now = new Date();
      const done = await withTx(this.pool, async (c) => {
        const rows = await repo.lockOverdue(c, now, BATCH);
        await repo.finish(
          c,
          rows.map((r) => r.id),
          { state: 'timed_out', reason: 'no_ack' },
          ['sent'],
          now,
        );
        await this.audit(c, rows, 'timed_out', 'no_ack');
        return rows.length;
      });
      n += done;
      if (done < BATCH) return n;
    }
  }

  /**
   * One `command.ack` from an AP's ack topic. Only the AP the command was sent to may answer it;
   * an answer for a command already final (a QoS 1 redelivery, a late ack) changes nothing.
   */
  async applyAck(from: CommandAckFrom, json: unknown): Promise<CommandAckOutcome> {
    const r = commandAckSchema.safeParse(json);
    if (!r.success) {
      const first = r.error.issues[0];
      throw new MalformedUplinkError(`${first.path.join('.') || '(message)'}: ${first.message}`);
    }
    const ack = r.data;
    return withTx(this.pool, async (c) => {
      const cmd = await repo.commandByUid(c, ack.cmdId, true);
      if (!cmd) return 'unknown';
      if (cmd.ap_client_id !== from.clientId || cmd.label_id !== ack.labelId) return 'forged';
      if (cmd.state !== 'sent') return 'repeated';
      const device: Actor = { name: from.clientId, role: 'device' };
      if (ack.status === 'ok') {
        const result = JSON.stringify({
          ...(ack.page !== undefined ? { page: ack.page } : {}),
          ...(ack.ledUntil ? { ledUntil: ack.ledUntil } : {}),
        });
        await repo.finish(
          c,
          [cmd.id],
          { state: 'acked', reason: null, apResult: result },
          ['sent'],
          from.receivedAt,
        );
        await this.audit(c, [cmd], 'acked', null, device);
      } else {
        await repo.finish(
          c,
          [cmd.id],
          { state: 'failed', reason: 'ap_error', apError: ack.error ?? null },
          ['sent'],
          from.receivedAt,
        );
        await this.audit(c, [cmd], 'failed', 'ap_error', device, ack.error);
      }
      return 'applied';
    });
  }

  private async audit(
    c: Parameters<typeof appendAudit>[0],
    rows: repo.CommandRow[],
    state: CommandState,
    reason: CommandReason | null,
    actor: Actor = WORKER,
    apError?: string,
  ) {
    for (let i = 0; i < rows.length; i += 300) {
      const chunk = rows.slice(i, i + 300);
      await appendAuditMany(
        c,
        chunk.map((r) => ({
          actor,
          event: {
            action: `label.command.${state}`,
            objectType: 'label',
            objectId: r.label_id,
            refs: { label: r.label_id, ap: r.ap_client_id ?? undefined },
            summary: `${r.kind} ${state}${reason ? ` (${reason})` : ''}`,
            before: { cmdId: r.uid, state: r.state },
            after: { cmdId: r.uid, state, reason, ...(apError ? { error: apError } : {}) },
          },
        })),
      );
    }
  }
}
