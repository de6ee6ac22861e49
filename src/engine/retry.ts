import { setTimeout as sleep } from "node:timers/promises";

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  signal?: AbortSignal;
  /** Errors for which another attempt cannot help. */
  isPermanent: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Runs `fn` until it succeeds, fails permanently, or `attempts` are used up (bounded exponential backoff). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= o.attempts || o.isPermanent(err) || o.signal?.aborted) throw err;
      const delay = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
      o.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, { signal: o.signal });
    }
  }
}
