import { setTimeout as sleep } from "node:timers/promises";

/**
 * The one retry policy for Telegram Bot API calls and for uploads and read-backs of parts.
 *
 * Exactly one layer retries a request, never two nested ones:
 * - **Uploads (`sendDocument`)** are retried by the runner (`withRetry` below),
 *   which re-reads the part from disk for every attempt; the destination's Bot API client
 *   passes `sendDocument` straight through (`CALLER_RETRIED_METHODS`).
 * - **Every other Bot API call** (getFile, deleteMessages, copyMessages, pins, the bot's own
 *   replies) is retried inside the client by @grammyjs/auto-retry, configured from the same
 *   policy (`botApiRetryOptions`). Network errors are rethrown to the caller; only 429 and 5xx
 *   are retried there.
 *
 * A 429's `retry_after` is honoured, but only up to `maxRetryAfterMs`: a server that asks for
 * a longer pause ends the retries at once (the caller's error says Telegram kept asking to slow down).
 *
 * Worst case for one part and one destination, with the default policy (5 attempts, backoff
 * 1 s doubling up to 30 s, retry_after capped at 120 s), see `uploadWorstCase`:
 * - persistent 5xx or dropped connections: 5 `sendDocument` calls, 1+2+4+8 = 15 s of waiting;
 * - persistent 429: 5 `sendDocument` calls, at most 4 × 120 s = 8 min of waiting;
 * - a copy that reads back wrong is uploaded once more with the same policy, so a part is sent
 *   to one destination at most 2 × 5 = 10 times in a successful run;
 * - plus, per call, the client's request timeout (300 s by default).
 * A Bot API call other than an upload is made at most 5 times as well: 429 waits ≤ 120 s each,
 * 5xx waits 3, 6, 12, 24 s (auto-retry's own backoff).
 *
 * The Docker engine's "busy" answer (409 while it removes a container or closes an archive
 * stream) is the one other thing retried, by `DOCKER_BUSY_RETRY`: 20 calls, 100 ms apart.
 */
export interface RetryPolicy {
  /** Calls in all, the first one included. */
  attempts: number;
  /** Wait before the second call; doubled for every further one, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest 429 `retry_after` that is waited out; a longer one ends the retries. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** Removing a helper container while the engine is still busy with it (409). */
export const DOCKER_BUSY_RETRY: RetryPolicy = { attempts: 20, baseDelayMs: 100, maxDelayMs: 100, maxRetryAfterMs: 0 };

/** Bot API methods whose callers retry them as a whole; the API client sends them once. */
export const CALLER_RETRIED_METHODS: ReadonlySet<string> = new Set(["sendDocument"]);

/** The most one upload (one part, one destination, no read-back replacement) can cost under `policy`. */
export function uploadWorstCase(policy: RetryPolicy): { calls: number; waitMs: number } {
  let waitMs = 0;
  for (let retry = 1; retry < policy.attempts; retry++) waitMs += Math.max(backoffMs(policy, retry), policy.maxRetryAfterMs);
  return { calls: policy.attempts, waitMs };
}

/** The pause before call `attempt + 1` when the server named none. */
function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
}

/** @grammyjs/auto-retry options for every Bot API client (the bot's and the destinations'). */
export function botApiRetryOptions(policy: RetryPolicy = DEFAULT_RETRY_POLICY) {
  return {
    maxRetryAttempts: policy.attempts - 1,
    maxDelaySeconds: Math.floor(policy.maxRetryAfterMs / 1000),
    rethrowHttpErrors: true,
  };
}

export interface RetryOptions extends RetryPolicy {
  signal?: AbortSignal;
  /** Errors for which another attempt cannot help. */
  isPermanent: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, fails permanently, or `attempts` are used up (bounded exponential
 * backoff). A server's own `retry_after` (a 429 anywhere in the error's cause chain) is waited
 * out in full when it is within `maxRetryAfterMs`; a longer one ends the retries with that error.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= o.attempts || o.isPermanent(err) || o.signal?.aborted) throw err;
      const asked = retryAfterMs(err) ?? 0;
      if (asked > o.maxRetryAfterMs) throw err;
      const delay = Math.max(backoffMs(o, attempt), asked);
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
