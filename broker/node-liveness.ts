// Is another broker node really there? Presence (presence.ts) keeps a heartbeat key per node
// with a 30 s TTL, so for up to 30 s after a node was killed its entries still look alive, and
// every AP reconnecting elsewhere would read as a take-over of a live session. This asks the
// node itself: each node subscribes to its own channel and answers a ping there. A PUBLISH
// reaching no subscriber (Redis has already closed the dead process's socket) answers "gone" at
// once; a node that is subscribed but does not answer within PING_TIMEOUT_MS (its machine
// vanished, Redis has not noticed yet) is gone too. Asked only when a CONNECT finds its Client ID
// registered on another node, after the CONNACK path; answers are shared for CACHE_MS per node.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../server/core/logger.js';
import { createRedis } from '../server/core/redis.js';

const PING_TIMEOUT_MS = 2000;
const CACHE_MS = 1000;

export const nodeChannel = (prefix: string, node: string) => `${prefix}:mqtt:node:${node}:live`;

export class NodeLiveness {
  private sub: Redis | null = null;
  private readonly pending = new Map<string, () => void>();
  private readonly answers = new Map<string, { at: number; alive: Promise<boolean> }>();

  constructor(
    private readonly redis: Redis,
    private readonly redisUrl: string,
    private readonly prefix: string,
    readonly node: string,
    private readonly log: Logger,
  ) {}

  async start() {
    this.sub = createRedis(this.redisUrl, this.log);
    this.sub.on('message', (_ch: string, msg: string) => this.onMessage(msg));
    await this.sub.subscribe(nodeChannel(this.prefix, this.node));
  }

  async stop() {
    for (const resolve of this.pending.values()) resolve();
    await this.sub?.quit().catch(() => this.sub?.disconnect());
    this.sub = null;
  }

  private onMessage(msg: string) {
    let m: { ping?: string; from?: string; pong?: string };
    try {
      m = JSON.parse(msg) as typeof m;
    } catch {
      return;
    }
    if (m.ping && m.from)
      void this.redis
        .publish(nodeChannel(this.prefix, m.from), JSON.stringify({ pong: m.ping }))
        .catch(() => {});
    else if (m.pong) this.pending.get(m.pong)?.();
  }

  /** Whether `node` answers now (this node always does). */
  alive(node: string): Promise<boolean> {
    if (node === this.node) return Promise.resolve(true);
    const hit = this.answers.get(node);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.alive;
    const alive = this.ping(node);
    this.answers.set(node, { at: Date.now(), alive });
    if (this.answers.size > 1000) this.answers.clear();
    return alive;
  }

  private async ping(node: string): Promise<boolean> {
    const id = crypto.randomUUID();
    const answered = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(id);
        resolve(false);
      }, PING_TIMEOUT_MS);
      this.pending.set(id, () => {
        clearTimeout(t);
        this.pending.delete(id);
        resolve(true);
      });
    });
    const receivers = await this.redis.publish(
      nodeChannel(this.prefix, node),
      JSON.stringify({ ping: id, from: this.node }),
    );
    if (receivers === 0) {
      this.pending.get(id)?.();
      return false;
    }
    return answered;
  }
}
