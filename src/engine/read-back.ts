import type { Readable } from "node:stream";
import { DestinationError, type Destination, type StoredLocation } from "../destinations/port.js";
import { withRetry, type RetryPolicy } from "../shared/retry-policy.js";
import { hashStream } from "./verify.js";

/** What was recorded for a part when it was written to the spool. */
export interface ExpectedPart {
  name: string;
  size: number;
  sha256: string;
}

/**
 * - `ok`: read back with the recorded size and sha256;
 * - `too-big`: the destination cannot hand a part this large back through its API (not tried);
 * - `bad`: still unreadable or different after the retries; `reason` says how.
 */
export type ReadBackResult = { status: "ok" } | { status: "too-big" } | { status: "bad"; reason: string };

export interface ReadBackOptions {
  /** The upload policy: transient faults are retried the same way. */
  retry: RetryPolicy;
  /** A read that brings no byte for this long (a stalled connection, a getFile that never answers) is abandoned and retried. */
  idleTimeoutMs: number;
  signal: AbortSignal;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** No byte arrived for `idleTimeoutMs`. Transient. */
export class ReadBackStalled extends Error {
  override name = "ReadBackStalled";
  constructor(idleMs: number) {
    super(`no data for ${Math.round(idleMs / 100) / 10} s`);
  }
}

/** The bytes read back differ from what was uploaded. */
export class PartMismatch extends Error {
  override name = "PartMismatch";
  constructor(actual: { sha256: string; size: number }, expected: ExpectedPart) {
    const sizes = actual.size === expected.size ? "" : `, ${actual.size} bytes instead of ${expected.size}`;
    super(`does not match (sha256 ${actual.sha256.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…${sizes})`);
  }
}

/** A mismatch is read once more (a transfer can go wrong); a second one means the stored copy is bad. */
const MISMATCH_READS = 2;

/**
 * Reads one stored part back and checks it against what was uploaded. Transient faults (5xx,
 * 429, dropped or stalled connections: every error that is not a permanent `DestinationError`)
 * are retried with `retry`, as uploads are. Never throws, except when `signal` aborts.
 */
export async function readBackPart(destination: Destination, part: ExpectedPart, location: StoredLocation, o: ReadBackOptions): Promise<ReadBackResult> {
  if (destination.maxFetchSize !== undefined && part.size > destination.maxFetchSize) return { status: "too-big" };
  let mismatches = 0;
  try {
    await withRetry(
      async () => {
        const actual = await hashWhileWatched(destination, location, o);
        if (actual.sha256 !== part.sha256 || actual.size !== part.size) {
          mismatches++;
          throw new PartMismatch(actual, part);
        }
      },
      {
        ...o.retry,
        signal: o.signal,
        isPermanent: (err) => (err instanceof DestinationError && err.permanent) || (err instanceof PartMismatch && mismatches >= MISMATCH_READS),
        onRetry: o.onRetry,
      },
    );
    return { status: "ok" };
  } catch (err) {
    if (o.signal.aborted) throw err;
    const reason = err instanceof PartMismatch ? err.message : `cannot be read back: ${(err as Error)?.message ?? String(err)}`;
    return { status: "bad", reason };
  }
}

/** One read: fetch and hash, abandoned when no byte comes for `idleTimeoutMs`. */
async function hashWhileWatched(destination: Destination, location: StoredLocation, o: ReadBackOptions): Promise<{ sha256: string; size: number }> {
  const attempt = new AbortController();
  const signal = AbortSignal.any([o.signal, attempt.signal]);
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => attempt.abort(new ReadBackStalled(o.idleTimeoutMs)), o.idleTimeoutMs);
  };
  touch();
  let stream: Readable | undefined;
  // Whatever the destination does with the signal, an abort ends this read and its stream.
  const stopped = new Promise<never>((_, reject) => {
    const stop = () => {
      stream?.destroy();
      reject(signal.reason);
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
  stopped.catch(() => {});
  try {
    // A folder hashes its file in place (no stream); the stall watch and the abort apply alike.
    if (destination.hashPart) return await Promise.race([destination.hashPart(location, signal, touch), stopped]);
    const fetching = destination.fetch(location, signal);
    fetching.then((s) => (signal.aborted ? s.destroy() : undefined), () => {});
    stream = await Promise.race([fetching, stopped]);
    touch();
    return await Promise.race([hashStream(stream, signal, touch), stopped]);
  } catch (err) {
    // The stall is the story, not the AbortError it caused.
    if (attempt.signal.aborted && !o.signal.aborted) throw attempt.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
