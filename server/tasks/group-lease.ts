// One dispatcher per Group ID at a time, across all worker processes, with no lost wake-ups.
// A trigger sets the group's "dirty" flag and then adds a dispatch job. The job that gets the
// lease clears the flag before each round; whoever finds the lease taken just returns, because
// the holder re-reads the flag before it lets go and again after (see DispatchWorker.runDispatch).
// A crashed holder's lease expires by itself (PX), and the sweeper pokes groups with work.
import crypto from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export class GroupLease {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    // short, so a killed holder blocks its group only briefly; holders extend it every round
    private readonly ttlMs = 5_000,
  ) {}

  private lease = (g: string) => `${this.prefix}:tasks:lease:${g}`;
  private dirtyKey = (g: string) => `${this.prefix}:tasks:dirty:${g}`;

  async markDirty(groupIds: string[]): Promise<void> {
    if (!groupIds.length) return;
    const m = this.redis.multi();
    for (const g of groupIds) m.set(this.dirtyKey(g), '1', 'PX', 60_000);
    await m.exec();
  }

  /** Clears the flag; true when it was set. */
  async takeDirty(g: string): Promise<boolean> {
    return (await this.redis.del(this.dirtyKey(g))) > 0;
  }

  async isDirty(g: string): Promise<boolean> {
    return (await this.redis.exists(this.dirtyKey(g))) > 0;
  }

  /** A token when the lease was free, else null. */
  async acquire(g: string): Promise<string | null> {
    const token = crypto.randomUUID();
    return (await this.redis.set(this.lease(g), token, 'PX', this.ttlMs, 'NX')) === 'OK' ? token : null;
  }

  async extend(g: string, token: string): Promise<boolean> {
    return (await this.redis.eval(EXTEND, 1, this.lease(g), token, String(this.ttlMs))) === 1;
  }

  async release(g: string, token: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.lease(g), token);
  }
}
