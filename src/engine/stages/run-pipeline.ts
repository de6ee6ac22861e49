import { pipeline } from "node:stream/promises";

/** A stream, or an async-generator transform / async sink as `pipeline` accepts them. */
export type Stage =
  | NodeJS.ReadableStream
  | NodeJS.WritableStream
  | NodeJS.ReadWriteStream
  | ((source: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array> | Promise<void>);

/** The pipeline failed; `stage` is the index of the stage whose own failure started it (-1: not known, e.g. an abort). */
export class StageFailure extends Error {
  override name = "StageFailure";
  constructor(
    readonly stage: number,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/** What a function stage's input throws once the pipeline has failed elsewhere. */
export class StageTornDown extends Error {
  override name = "StageTornDown";
  constructor() {
    super("the pipeline failed in another stage");
  }
}

/**
 * `pipeline` over a list built at run time, with two guarantees `pipeline` alone lacks:
 *
 * 1. **It always settles, and so does every function stage.** `pipeline` destroys the
 *    *streams* of a failed pipeline but cannot stop a function stage (async generator or
 *    sink) that is awaiting its input: if that input is a stream whose `destroy()` never
 *    completes, the stage's `for await` waits forever. Node's own `Duplex.from(asyncGenerator)`
 *    is such a stream (its `_destroy` waits for `iterator.throw()`, which waits for the
 *    generator's pending `await` of a write that never comes; nodejs/node#55077). So each
 *    function stage reads its input through a guard that throws `StageTornDown` as soon as
 *    the pipeline has failed, whatever the stream upstream does.
 * 2. **It reports the failure that started it** (the first stage that failed on its own, in
 *    event order), with that stage's index, instead of an AbortError or a premature close
 *    of a stage it tore down. A stage's own failure is never an AbortError: those are the
 *    consequences of a stop (or of `signal`, reported with stage -1).
 *
 * Rejects with `StageFailure`. Aborting `signal` behaves as in `pipeline`.
 */
export async function runStages(stages: Stage[], signal?: AbortSignal): Promise<void> {
  let origin: { stage: number; error: unknown } | undefined;
  const note = (stage: number, error: unknown) => {
    // Consequences, never the origin: a teardown, and the AbortError a stream gets when its
    // reader stops early (a `for await` left by a throw destroys its stream with one).
    if (error instanceof StageTornDown || (error as Error)?.name === "AbortError") return;
    // Like pipeline itself: a premature close gives way to a real error that follows it.
    if (!origin || (isPrematureClose(origin.error) && !isPrematureClose(error))) origin = { stage, error };
  };
  const wired = stages.map((stage, i) => {
    if (typeof stage !== "function") {
      (stage as NodeJS.EventEmitter).on("error", (err: unknown) => note(i, err));
      return stage;
    }
    return (source: AsyncIterable<Uint8Array>, { signal: tornDown }: { signal: AbortSignal }) => {
      const out = stage(untilTornDown(source, tornDown));
      if (isPromiseLike(out)) {
        return out.then(undefined, (err: unknown) => {
          note(i, err);
          throw err;
        });
      }
      return noting(out, (err) => note(i, err));
    };
  });
  try {
    await (pipeline as unknown as (...args: unknown[]) => Promise<void>)(...wired, { signal });
  } catch (err) {
    if (signal?.aborted) throw new StageFailure(-1, err);
    throw new StageFailure(origin?.stage ?? -1, origin?.error ?? err);
  }
}

/**
 * `runStages` for callers that only want the error: rejects with the original failure of
 * the stage that started it. Every stage is destroyed or stopped on failure.
 */
export async function runPipeline(stages: Stage[], signal?: AbortSignal): Promise<void> {
  try {
    await runStages(stages, signal);
  } catch (err) {
    throw err instanceof StageFailure ? err.cause : err;
  }
}

/*
 * The two wrappers below are plain iterator objects, not async generators: they sit between
 * every two stages and run once per chunk, and a dump arrives in 8 KiB chunks (about 20,000 for
 * 160 MB). A generator layer costs a resumption and several promises a chunk; these cost one.
 */

type Chunks = AsyncIterableIterator<Uint8Array>;
const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * `source`, except that a pending or later read throws `StageTornDown` once `tornDown` aborts.
 * One listener for the stage's life, which rejects the read in flight (a `for await` never asks
 * twice at once). Not `Promise.race` against one long-lived "torn down" promise: that keeps a
 * reaction, and through it every chunk read, until it settles (it held the whole dump in memory:
 * 290 MB of RSS for a 200 MB backup). Here only the read in flight is referenced.
 */
function untilTornDown(source: AsyncIterable<Uint8Array>, tornDown: AbortSignal): Chunks {
  const it = source[Symbol.asyncIterator]();
  let inFlight: ((err: StageTornDown) => void) | undefined;
  let open = true;
  const stop = () => inFlight?.(new StageTornDown());
  tornDown.addEventListener("abort", stop, { once: true });
  /** Ends this reader; unless `source` ended by itself, lets it stop too (a stream destroys itself). */
  const close = (sourceEnded: boolean): Promise<void> => {
    if (!open) return Promise.resolve();
    open = false;
    tornDown.removeEventListener("abort", stop);
    if (sourceEnded || !it.return) return Promise.resolve();
    const closing = Promise.resolve(it.return()).then(
      () => {},
      () => {},
    );
    // After a teardown, never wait for it: its return() may be the very thing that never settles.
    return tornDown.aborted ? Promise.resolve() : closing;
  };
  const self: Chunks = {
    [Symbol.asyncIterator]: () => self,
    next() {
      if (!open) return Promise.resolve(DONE);
      if (tornDown.aborted) return close(false).then(() => Promise.reject(new StageTornDown()));
      return new Promise((resolve, reject) => {
        inFlight = (err) => {
          inFlight = undefined;
          void close(false).then(() => reject(err));
        };
        it.next().then(
          (r) => {
            if (!inFlight) return; // torn down meanwhile: already rejected
            inFlight = undefined;
            if (r.done) void close(true).then(() => resolve(r));
            else resolve(r);
          },
          (err: unknown) => {
            if (!inFlight) return;
            inFlight = undefined;
            void close(false).then(() => reject(err));
          },
        );
      });
    },
    // Stopped early by the consumer (a `for await` left by a throw or a break).
    return: () => close(false).then(() => DONE),
  };
  return self;
}

/** `out`, with a failure it throws reported to `onError` first. */
function noting(out: AsyncIterable<Uint8Array>, onError: (err: unknown) => void): Chunks {
  const it = out[Symbol.asyncIterator]();
  const failed = (err: unknown) => {
    onError(err);
    throw err;
  };
  const self: Chunks = {
    [Symbol.asyncIterator]: () => self,
    next: () => it.next().then(undefined, failed),
    return: (value?: unknown) => (it.return ? it.return(value).then(undefined, failed) : Promise.resolve(DONE)),
  };
  return self;
}

function isPromiseLike(v: unknown): v is Promise<void> {
  return typeof (v as { then?: unknown })?.then === "function";
}

function isPrematureClose(err: unknown): boolean {
  return (err as { code?: string })?.code === "ERR_STREAM_PREMATURE_CLOSE";
}
