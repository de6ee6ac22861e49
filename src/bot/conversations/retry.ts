import { HttpError, type Transformer } from "grammy";

/**
 * Retries inside a dialog that a replay does not repeat.
 *
 * A dialog's contexts get their own Api client from the conversations plugin, whose innermost
 * transformer records every Bot API result and, on each later replay, returns the recorded
 * result instead of calling Telegram. A retrying transformer installed on top (auto-retry)
 * would see a recorded 429 again on every replay and sleep its `retry_after` again, so one
 * flood wait would slow down every later answer of the dialog. This one takes "when may I
 * try again" from `now()` — the dialog's recorded clock — so a replay finds the wait long
 * over and goes straight on to the (recorded) next attempt.
 *
 * Retried: 429 (after `retry_after`, up to `maxDelaySeconds`), 5xx and network errors
 * (exponential backoff), at most `maxAttempts` calls in all. Anything else is returned as is.
 */
export interface ReplaySafeRetryOptions {
  /** The dialog's clock: `conversation.now()`, recorded on the first run and replayed after. */
  now: () => Promise<number>;
  maxAttempts?: number;
  maxDelaySeconds?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Real time, to compare with the recorded due time. */
  clock?: () => number;
}

export function replaySafeRetry(options: ReplaySafeRetryOptions): Transformer {
  const maxAttempts = options.maxAttempts ?? 4;
  const maxDelayMs = (options.maxDelaySeconds ?? 60) * 1000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clock = options.clock ?? Date.now;
  const waitUntil = async (delayMs: number) => {
    const due = (await options.now()) + delayMs;
    const left = due - clock();
    if (left > 0) await sleep(left);
  };
  return (async (prev, method, payload, signal) => {
    for (let attempt = 1; ; attempt++) {
      const backoff = Math.min(maxDelayMs, 1000 * 2 ** (attempt - 1));
      let result;
      try {
        result = await prev(method, payload, signal);
      } catch (err) {
        if (!(err instanceof HttpError) || attempt >= maxAttempts || signal?.aborted) throw err;
        await waitUntil(backoff);
        continue;
      }
      if (result.ok || attempt >= maxAttempts) return result;
      let delay: number | undefined;
      if (result.error_code === 429) delay = (result.parameters?.retry_after ?? 1) * 1000;
      else if (result.error_code >= 500) delay = backoff;
      if (delay === undefined || delay > maxDelayMs) return result;
      await waitUntil(delay);
    }
  }) as Transformer;
}
