/**
 * Time as the scheduler sees it. Production uses `createSystemClock()`; tests use
 * `ManualClock` (test/helpers/manual-clock.ts), which only moves when the test says so.
 */
export interface Clock {
  now(): Date;
  /**
   * Resolves after `ms` milliseconds, or as soon as `signal` aborts. Never rejects: the
   * caller checks why it woke up (its own state, `signal.aborted`).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** setTimeout cannot wait longer than this (about 24.8 days); longer sleeps wake early, which callers tolerate. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function createSystemClock(): Clock {
  return {
    now: () => new Date(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(Math.max(0, ms), MAX_TIMEOUT_MS));
        signal?.addEventListener("abort", done, { once: true });
      }),
  };
}
