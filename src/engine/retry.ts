import { setTimeout as sleep } from "node:timers/promises";

/** How often and how patiently a transient failure is retried (uploads and read-backs share one). */
export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000 };

export interface RetryOptions extends RetryPolicy {
  signal?: AbortSignal;
  /** Errors for which another attempt cannot help. */
  isPermanent: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, fails permanently, or `attempts` are used up (bounded exponential
 * backoff). A server's own `retry_after` (a 429 anywhere in the error's cause chain) is never cut short.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= o.attempts || o.isPermanent(err) || o.signal?.aborted) throw err;
      const delay = Math.max(Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1)), retryAfterMs(err) ?? 0);
      o.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, { signal: o.signal });
    }
  }
}

/** `parameters.retry_after` (seconds, as the Bot API sends it) of the error or any of its causes, in ms. */
export function retryAfterMs(err: unknown): number | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const s = (e as { parameters?: { retry_after?: unknown } }).parameters?.retry_after;
    if (typeof s === "number" && s >= 0) return s * 1000;
  }
  return undefined;
}
