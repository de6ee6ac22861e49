import { pipeline } from "node:stream/promises";

/** A stream, or an async-generator transform / async sink as `pipeline` accepts them. */
export type Stage =
  | NodeJS.ReadableStream
  | NodeJS.WritableStream
  | NodeJS.ReadWriteStream
  | ((source: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array> | Promise<void>);

/**
 * `pipeline` over a list built at run time (its overloads only type fixed arities).
 * Errors and `signal` behave exactly as in `pipeline`: every stage is destroyed on failure.
 */
export function runPipeline(stages: Stage[], signal?: AbortSignal): Promise<void> {
  return (pipeline as unknown as (...args: unknown[]) => Promise<void>)(...stages, { signal });
}
