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
      return (async function* () {
        try {
          yield* out;
        } catch (err) {
          note(i, err);
          throw err;
        }
      })();
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

/** `source`, except that a pending or later read throws `StageTornDown` once `tornDown` aborts. */
async function* untilTornDown(source: AsyncIterable<Uint8Array>, tornDown: AbortSignal): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const next = await nextOrTornDown(it, tornDown);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Stopped early by the consumer: let the upstream stop too (a stream destroys itself). After
    // a teardown, never wait for it: its return() may be the very thing that never settles.
    if (!finished && it.return) {
      const closing = Promise.resolve(it.return()).catch(() => {});
      if (!tornDown.aborted) await closing;
    }
  }
}

/**
 * The iterator's next chunk, or `StageTornDown` as soon as `tornDown` aborts. One listener per
 * read, removed when the read settles: not `Promise.race` against one long-lived "torn down"
 * promise, which keeps a reaction, and through it every chunk read, until it settles (that held
 * the whole dump in memory: 290 MB of RSS for a 200 MB backup).
 */
function nextOrTornDown(it: AsyncIterator<Uint8Array>, tornDown: AbortSignal): Promise<IteratorResult<Uint8Array>> {
  return new Promise((resolve, reject) => {
    if (tornDown.aborted) return reject(new StageTornDown());
    const stop = () => reject(new StageTornDown());
    tornDown.addEventListener("abort", stop, { once: true });
    it.next().then(
      (r) => {
        tornDown.removeEventListener("abort", stop);
        resolve(r);
      },
      (err: unknown) => {
        tornDown.removeEventListener("abort", stop);
        reject(err);
      },
    );
  });
}

function isPromiseLike(v: unknown): v is Promise<void> {
  return typeof (v as { then?: unknown })?.then === "function";
}

function isPrematureClose(err: unknown): boolean {
  return (err as { code?: string })?.code === "ERR_STREAM_PREMATURE_CLOSE";
}
