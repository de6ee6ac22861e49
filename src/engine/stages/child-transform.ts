import { spawn, type ChildProcess } from "node:child_process";
import { Duplex, Readable, type Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { childEnv } from "../../sources/child-process.js";
import { batchedInto } from "../../shared/batched-writer.js";
import { relayOutput } from "../../shared/relay-output.js";

/** A transform child failed; `detail` is the reason without the label ("zstd exited with code 1: …"). */
export class ChildTransformError extends Error {
  override name = "ChildTransformError";
  constructor(
    readonly label: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${label} failed: ${detail}`, options);
  }
}

/**
 * A Duplex backed by a child process's stdin/stdout (e.g. `zstd -c`).
 * - It ends only after the child's exit status is known, and errors (with the last line of
 *   the child's stderr) when the child cannot start or exits non-zero.
 * - A write the child no longer reads (EPIPE) fails with the child's own exit error, not with
 *   EPIPE: the child quit for a reason, and that reason is what a user must read.
 * - Destroying it kills the child.
 * - The child gets the same minimal environment as the dump tools (`childEnv`).
 */
export function childTransform(command: string, args: string[], label: string): Duplex {
  const { child, outcome } = spawnWatched(command, args, label, "pipe");
  // Write failures reach the write callbacks below; the 'error' event adds nothing.
  child.stdin!.on("error", () => {});
  const afterExit = (writeError: Error, cb: (err?: Error | null) => void) => {
    void outcome.then((failure) => cb(failure ?? new ChildTransformError(label, `${command} stopped reading its input (${writeError.message})`, { cause: writeError })));
  };

  // Input reaches the child in 1 MiB batches (one writev each).
  const input = batchedInto(child.stdin!, afterExit);
  const duplex = new Duplex({
    write: (chunk: Buffer, _encoding, cb) => input.write(chunk, cb),
    final: (cb) => input.final(cb),
    ...readSide(child),
  });
  return outputInto(duplex, child, outcome);
}

/**
 * A Readable of what a child process writes to its stdout, for a child that reads its input
 * itself (`zstd -c <file>`): ends, fails and is destroyed as `childTransform`.
 */
export function childSource(command: string, args: string[], label: string): Readable {
  const { child, outcome } = spawnWatched(command, args, label, "ignore");
  return outputInto(new Readable(readSide(child)), child, outcome);
}

/**
 * A Readable of what a child writes to its stdout, for a child whose input another process
 * writes into its stdin itself (GNU tar → zstd): the bytes never pass through this process.
 * `feed` gets the child's stdin and must start the producer on it at once; this process then
 * closes its own end, so the child sees the input end when the producer does. It ends only once
 * the child exited cleanly *and* `produced` resolved, and fails with the child's failure, else
 * with the producer's. Destroying it kills the child; a child that cannot start is not fed.
 */
export function childFedSource(command: string, args: string[], label: string, feed: (stdin: Writable) => void, produced: Promise<unknown>): Readable {
  const { child, outcome } = spawnWatched(command, args, label, "pipe");
  child.stdin!.on("error", () => {});
  try {
    if (child.pid !== undefined) feed(child.stdin!);
  } finally {
    child.stdin!.destroy();
  }
  produced.catch(() => {}); // read once the child exited; until then not an unhandled rejection
  const whole = outcome.then((failure) => failure ?? produced.then(() => null, (err: unknown) => (err instanceof Error ? err : new Error(String(err)))));
  return outputInto(new Readable(readSide(child)), child, whole);
}

/** Starts the child with the minimal environment (never MASTER_KEY, BOT_TOKEN or the like); `outcome`: its failure once it exited (null: a clean exit). */
function spawnWatched(command: string, args: string[], label: string, stdin: "pipe" | "ignore") {
  const child = spawn(command, args, { stdio: [stdin, "pipe", "pipe"], env: childEnv({}) });
  const childErr = child.stderr!;
  let stderr = "";
  childErr.setEncoding("utf8").on("data", (d: string) => {
    stderr = (stderr + d).slice(-2000);
  });
  const stderrDone = finished(childErr).catch(() => {});
  const outcome = new Promise<ChildTransformError | null>((resolve) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      resolve(new ChildTransformError(label, err.code === "ENOENT" ? `${command} is not installed` : err.message, { cause: err }));
    });
    child.once("exit", (code, signal) => {
      void stderrDone.then(() => {
        if (code === 0) return resolve(null);
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const last = stderr.trim().split("\n").pop();
        resolve(new ChildTransformError(label, `${command} ${how}${last ? `: ${last}` : ""}`));
      });
    });
  });
  return { child, outcome };
}

/** The reading side's callbacks: read resumes the child's stdout; destroying the stream kills the child. */
function readSide(child: ChildProcess) {
  return {
    read() {
      child.stdout!.resume();
    },
    destroy(err: Error | null, cb: (error?: Error | null) => void) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      cb(err);
    },
  };
}

/** Pushes the child's stdout into `stream`, which ends once the child exited cleanly and fails with its failure. */
function outputInto<S extends Readable>(stream: S, child: ChildProcess, outcome: Promise<Error | null>): S {
  void relayOutput(child.stdout!, stream, () => outcome);
  // A child that cannot start has no stdout to end.
  void outcome.then((failure) => {
    if (failure && child.pid === undefined) stream.destroy(failure);
  });
  return stream;
}
