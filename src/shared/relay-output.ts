import type { Readable } from "node:stream";

/**
 * Hands a child's stdout on through `into`, a Readable whose `read()` resumes `stdout`: each
 * chunk is pushed as it comes (no stage in between: a dump arrives in ~20,000 chunks of 8 KiB,
 * and every stage costs its own work on each), and `stdout` pauses while `into`'s reader is
 * behind. `into` ends only once `exited` (the child's failure after its exit, or none) is known:
 * a failure destroys it instead, so a reader never takes a truncated output for a whole one.
 * Resolves with that failure (undefined after a clean exit) once `into` has been ended or failed.
 */
export function relayOutput(stdout: Readable, into: Readable, exited: () => Promise<Error | null | undefined>, onChunk?: () => void): Promise<Error | undefined> {
  stdout.on("data", (chunk: Buffer) => {
    onChunk?.();
    if (!into.destroyed && !into.push(chunk)) stdout.pause();
  });
  return new Promise((resolve) => {
    stdout.once("end", () => {
      void exited().then((failure) => {
        if (failure) into.destroy(failure);
        else into.push(null);
        resolve(failure ?? undefined);
      });
    });
  });
}
