// The one polling helper of the tests. The deadline is generous: it costs nothing when things
// are fast, and a loaded machine is slow. It is a deadline, never a timing claim.

export interface WaitOptions {
  /** give up after this long (default 30 s) */
  timeoutMs?: number;
  /** between probes (default 50 ms) */
  intervalMs?: number;
}

type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/**
 * Calls `probe` until it returns a truthy value (or, with `until`, a value `until` accepts) and
 * returns that value. On the deadline it throws, naming `what` and the last value seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  opts: WaitOptions & { until: (value: T) => boolean },
): Promise<T>;
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  opts?: WaitOptions,
): Promise<Truthy<T>>;
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  opts: WaitOptions & { until?: (value: T) => boolean } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 50, until = Boolean } = opts;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const last = await probe();
    if (until(last)) return last;
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${show(last)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
