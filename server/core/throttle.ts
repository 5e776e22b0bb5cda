import type { Logger } from './logger.js';

type Level = 'error' | 'warn' | 'info';

/**
 * A logger for a failure that repeats while a service is away (a timer's tick every second,
 * each reconnect attempt): the first occurrence is logged at once, then at most one line per
 * `everyMs`, carrying how many were held back since the last line.
 */
export function throttledLog(
  log: Pick<Logger, Level>,
  level: Level,
  msg: string,
  everyMs = 10_000,
): (obj?: Record<string, unknown>) => void {
  let last = 0;
  let held = 0;
  return (obj = {}) => {
    const now = Date.now();
    if (now - last < everyMs) {
      held++;
      return;
    }
    last = now;
    log[level](held ? { ...obj, repeated: held } : obj, msg);
    held = 0;
  };
}

/** An 'error' listener (a BullMQ Worker or Queue, aedes) for errors that repeat while Redis or MySQL is away. */
export function errorLogger(log: Pick<Logger, Level>, msg: string, everyMs = 10_000): (err: Error) => void {
  const out = throttledLog(log, 'error', msg, everyMs);
  return (err) =>
    out({ err: { message: err.message, name: err.name, code: (err as { code?: string }).code } });
}
