import { spawn, type ChildProcess } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { basename, delimiter, join } from "node:path";
import { PassThrough, Readable, type Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { redact, redactParams } from "../crypto/redact.js";
import { SourceError, type SourceKind } from "./port.js";
import { batchedWriter } from "../shared/batched-writer.js";
import { relayOutput } from "../shared/relay-output.js";
import { oneLine } from "../shared/one-line.js";
import type { TranslatableParam } from "../shared/translatable.js";

/** A failed tool's stderr in a message: its last characters, where tools put the error. */
const STDERR_TAIL_CHARS = 500;

/** What to run. `env` is added to a minimal base environment (see `childEnv`). */
export interface ChildCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** How to word failures of one tool. */
export interface ChildContext {
  kind: SourceKind;
  /** Values that must never appear in an error message (passwords). */
  secrets: string[];
  /**
   * Turns a failed tool's stderr into a readable one-line reason, when it recognises it: English
   * text, or `{ message, key, params }` to say it in the reader's language too.
   */
  explain?: (stderrTail: string) => string | Explained | undefined;
}

/** A recognised tool failure: the English line (logs, CLI) and the same as a locale key with params. */
export interface Explained {
  message: string;
  key: string;
  params: Record<string, TranslatableParam>;
}

/** A dump/restore/query child that failed: a SourceError that also carries the raw facts. */
export class SourceProcessError extends SourceError {
  constructor(
    message: string,
    kind: SourceKind,
    readonly tool: string,
    readonly exitCode: number | null,
    readonly exitSignal: NodeJS.Signals | null,
    /** Last ~2 KB of the tool's stderr, secrets redacted. */
    readonly stderrTail: string,
    options?: { cause?: unknown; key?: string; params?: Record<string, TranslatableParam> },
  ) {
    super(message, kind, options);
  }
}

const STDERR_TAIL_BYTES = 2048;
const MAX_CAPTURE_BYTES = 1024 * 1024;
const KILL_GRACE_MS = 5000;

/** Variables a child may inherit. Anything else (BOT_TOKEN, MASTER_KEY, …) stays in this process. */
const INHERITED_ENV = /^(PATH|HOME|TMPDIR|TZ|LANG|LC_[A-Z]+|PGSSL[A-Z]*|PGGSS[A-Z]*|PGSYSCONFDIR|PGSERVICEFILE)$/;

export function childEnv(extra: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && INHERITED_ENV.test(k)) env[k] = v;
  return { ...env, ...extra };
}

/**
 * `command` and `args`, started so that the kernel kills the child (SIGKILL) when this process
 * dies, even by SIGKILL: through `setpriv --pdeathsig KILL` (util-linux, part of every Debian),
 * which then runs the command in its own place. For a child that reads no pipe of ours and
 * would run on for good otherwise (Redis's scratch server). Without setpriv: the command as is.
 */
export async function diesWithUs(command: string, args: string[]): Promise<{ command: string; args: string[] }> {
  const setpriv = await findExecutable(["setpriv"]);
  return setpriv ? { command: setpriv, args: ["--pdeathsig", "KILL", "--", command, ...args] } : { command, args };
}

/** First of `names` found as an executable file on `pathEnv`, as an absolute path. */
export async function findExecutable(names: string[], pathEnv = process.env.PATH ?? ""): Promise<string | undefined> {
  const dirs = pathEnv.split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const file = join(dir, name);
      if (await isExecutable(file)) return file;
    }
  }
  return undefined;
}

export async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

type ExitStatus = { code: number | null; signal: NodeJS.Signals | null; error?: undefined } | { error: Error };

/** One spawned child with its stderr tail and exit status; shared by the three ways of running one. */
class Supervised {
  readonly tool: string;
  readonly exited: Promise<ExitStatus>;
  private readonly tail: Buffer[] = [];
  private tailBytes = 0;
  status: ExitStatus | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  /** Why this process stopped the child: plain English, or a recognised reason with its locale key. */
  stopReason: string | Explained | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly ctx: ChildContext,
  ) {
    this.tool = basename(child.spawnfile);
    child.stderr?.on("data", (chunk: Buffer) => this.keepTail(chunk));
    this.exited = new Promise((resolve) => {
      const settle = (s: ExitStatus) => {
        if (this.status) return;
        this.status = s;
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve(s);
      };
      child.once("error", (error) => settle({ error }));
      // 'exit' rather than 'close': 'close' also waits for stdout to be drained, which a
      // paused consumer may never do. stderr is always flowing, so its full tail is awaited.
      const stderrClosed = child.stderr ? finished(child.stderr).catch(() => {}) : Promise.resolve();
      child.once("exit", (code, signal) => {
        void stderrClosed.then(() => settle({ code, signal }));
      });
    });
  }

  get running(): boolean {
    return this.status === undefined;
  }

  /**
   * Stops the child: SIGTERM (SIGKILL after a grace period), or SIGKILL at once. After a
   * clean exit it only records the reason (the run still counts as stopped); after a
   * failed exit it does nothing, so the child's own failure stays the reported one.
   */
  stop(reason: string | Explained, signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): void {
    const s = this.status;
    if (s && (s.error || s.signal || s.code !== 0)) return;
    this.stopReason ??= reason;
    if (!this.running) return;
    this.child.kill(signal);
    if (signal === "SIGTERM" && !this.killTimer) {
      this.killTimer = setTimeout(() => this.child.kill("SIGKILL"), KILL_GRACE_MS);
      this.killTimer.unref();
    }
  }

  stderrTail(): string {
    const text = Buffer.concat(this.tail).toString("utf8").replace(/^\uFFFD+/, "");
    return redact(text, this.ctx.secrets);
  }

  /** The error this child's outcome amounts to, or undefined for a clean exit. */
  failure(status: ExitStatus): SourceProcessError | undefined {
    const tail = this.stderrTail();
    // `said`: the same failure as a locale key; the tool's own output goes in verbatim as `detail`.
    const make = (msg: string, code: number | null, sig: NodeJS.Signals | null, cause?: unknown, said?: Omit<Explained, "message">) =>
      new SourceProcessError(redact(msg, this.ctx.secrets), this.ctx.kind, this.tool, code, sig, tail, { cause, ...(said ? { key: said.key, params: redactParams(said.params, this.ctx.secrets) } : {}) });
    const detail = oneLine(tail, STDERR_TAIL_CHARS);
    const withTail = (msg: string) => (tail.trim() ? `${msg}: ${detail}` : msg);
    if (status.error) {
      const code = (status.error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "it is not installed or not on PATH" : status.error.message;
      const said: Omit<Explained, "message"> =
        code === "ENOENT" ? { key: "source-error-tool-missing", params: { tool: this.tool } } : { key: "source-error-tool-start", params: { tool: this.tool, detail: status.error.message } };
      return make(`cannot run ${this.tool}: ${why}`, null, null, status.error, said);
    }
    if (typeof this.stopReason === "object") return make(this.stopReason.message, status.code, status.signal, undefined, this.stopReason);
    if (this.stopReason) return make(`${this.tool} was stopped: ${this.stopReason}`, status.code, status.signal);
    if (status.signal) {
      return make(withTail(`${this.tool} was killed by ${status.signal}`), null, status.signal, undefined, tail.trim() ? { key: "source-error-tool-killed", params: { tool: this.tool, signal: status.signal, detail } } : { key: "source-error-tool-killed-silent", params: { tool: this.tool, signal: status.signal } });
    }
    if (status.code !== 0) {
      const explained = tail.trim() ? this.ctx.explain?.(tail) : undefined;
      if (typeof explained === "object") return make(explained.message, status.code, null, undefined, explained);
      return make(explained ?? withTail(`${this.tool} exited with code ${status.code}`), status.code, null, undefined, explained ? undefined : tail.trim() ? { key: "source-error-tool-exit", params: { tool: this.tool, code: status.code ?? "?", detail } } : { key: "source-error-tool-exit-silent", params: { tool: this.tool, code: status.code ?? "?" } });
    }
    return undefined;
  }

  private keepTail(chunk: Buffer): void {
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= STDERR_TAIL_BYTES) {
      this.tailBytes -= this.tail.shift()!.length;
    }
    if (this.tail.length === 1 && this.tailBytes > STDERR_TAIL_BYTES) {
      this.tail[0] = this.tail[0]!.subarray(this.tailBytes - STDERR_TAIL_BYTES);
      this.tailBytes = STDERR_TAIL_BYTES;
    }
  }
}

function stoppedBeforeStart(cmd: ChildCommand, ctx: ChildContext, what: string): SourceError {
  return new SourceError(`${basename(cmd.command)} was not started: ${what}`, ctx.kind);
}

function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  signal.addEventListener("abort", fn, { once: true });
  return () => signal.removeEventListener("abort", fn);
}

export interface SpawnedDump {
  /** The child's stdout. Errors (after ending early) with the same failure `done` rejects with. */
  stream: Readable;
  /** Settles after the child has exited; see `Dump.done` in port.ts. */
  done: Promise<void>;
  pid: number | undefined;
}

/**
 * A dump that goes silent for longer than `ms` while its reader waits for it is stopped, and
 * fails with `reason`. Only the tool's silence counts: while the reader is busy (a slow upload,
 * a flood wait), the tool being held back by a full pipe is not silence.
 */
export interface StallLimit {
  ms: number;
  reason: Explained;
}

/**
 * Runs a dump tool whose stdout is the dump. Destroying `stream` before its end or aborting
 * `signal` kills the child (SIGTERM, then SIGKILL) and makes `done` reject. `stall`: see StallLimit.
 */
export function spawnDump(cmd: ChildCommand, ctx: ChildContext, signal: AbortSignal, stall?: StallLimit): SpawnedDump {
  if (signal.aborted) throw stoppedBeforeStart(cmd, ctx, "the backup was aborted");
  const child = spawn(cmd.command, cmd.args, { env: childEnv(cmd.env), stdio: ["ignore", "pipe", "pipe"] });
  const sup = new Supervised(child, ctx);
  const stdout = child.stdout!;
  const silence = stall ? silenceWatch(stall.ms, () => sup.stop(stall.reason)) : undefined;
  const out = new Readable({
    read() {
      silence?.waiting();
      stdout.resume();
    },
    destroy(err, cb) {
      silence?.stop();
      stdout.destroy();
      cb(err);
    },
  });
  // Failures always surface through `done`; this keeps an unattended stream's error from
  // crashing the process when the consumer has not attached its pipeline yet.
  out.on("error", () => {});
  /** How `out` ended: undefined once everything was handed on, else why not. */
  let settlePiping!: (err?: unknown) => void;
  const piping = new Promise<unknown>((resolve) => (settlePiping = resolve));
  out.once("close", () => {
    if (out.readableEnded) return;
    settlePiping(new Error("the dump stream was closed before its end"));
    if (sup.running) sup.stop("the dump stream was closed before its end");
  });
  stdout.once("error", (err) => {
    settlePiping(err);
    out.destroy(err);
  });
  // The tool's output ends where silence can no longer be the tool's.
  stdout.once("end", () => silence?.stop());
  // The stream ends only once the exit status is known, so a consumer never mistakes a
  // truncated dump for a complete one.
  void relayOutput(stdout, out, async () => sup.failure(await sup.exited), () => silence?.busy()).then(settlePiping);
  const offAbort = onAbort(signal, () => {
    sup.stop("the backup was aborted");
    if (sup.status) out.destroy(sup.failure(sup.status));
  });

  const done = (async () => {
    const status = await sup.exited;
    // After a failed exit whatever is still buffered is worthless: fail the stream now
    // instead of waiting for a consumer that may have paused.
    const early = sup.failure(status);
    if (early) out.destroy(early);
    const pipeError = await piping;
    offAbort();
    const failure = sup.failure(status); // again: an abort may have come after a clean exit
    if (failure) throw failure;
    if (pipeError) {
      throw new SourceError(`${sup.tool} output was not read to its end: the dump stream was closed early`, ctx.kind, {
        cause: pipeError,
      });
    }
  })();
  done.catch(() => {}); // the consumer awaits it; never an unhandled rejection meanwhile
  return { stream: out, done, pid: child.pid };
}

/**
 * Calls `silent` once the reader has waited `ms` for the next chunk (`waiting` from its read
 * request, `busy` at each chunk). One timer for the dump's life, not one a chunk: it checks,
 * when it fires, how long the reader has been waiting, and comes back for the rest.
 */
function silenceWatch(ms: number, silent: () => void) {
  let waitingSince: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const waited = waitingSince === undefined ? 0 : performance.now() - waitingSince;
    if (waited >= ms) {
      timer = undefined;
      silent();
      return;
    }
    timer = setTimeout(check, ms - waited);
  };
  return {
    waiting() {
      waitingSince ??= performance.now();
      timer ??= setTimeout(check, ms);
    },
    busy() {
      waitingSince = undefined;
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
      waitingSince = undefined;
    },
  };
}

/**
 * The checks a restore makes before it reads `input` (format, connection, client version).
 * If they fail, `input` is destroyed, so the stages feeding it end instead of waiting for a
 * reader that never comes.
 */
export async function beforeReading<T>(input: Readable, prepare: () => Promise<T>): Promise<T> {
  try {
    return await prepare();
  } catch (err) {
    input.destroy();
    throw err;
  }
}

/**
 * Runs a restore tool reading `input` on its stdin (its stdout is discarded) and resolves
 * when it exits cleanly. If `input` fails or `signal` aborts, the child is SIGKILLed
 * *before* its stdin closes, so a tool never mistakes a cut input for a complete one and
 * commits it.
 */
export async function runWithInput(
  cmd: ChildCommand,
  ctx: ChildContext,
  input: Readable,
  signal: AbortSignal,
  /** Receives the child's stdout (otherwise discarded). */
  onStdout?: (chunk: Buffer) => void,
): Promise<void> {
  if (signal.aborted) {
    input.destroy();
    throw stoppedBeforeStart(cmd, ctx, "the restore was aborted");
  }
  const child = spawn(cmd.command, cmd.args, { env: childEnv(cmd.env), stdio: ["pipe", onStdout ? "pipe" : "ignore", "pipe"] });
  if (onStdout) child.stdout!.on("data", onStdout);
  const sup = new Supervised(child, ctx);
  let inputError: unknown;
  // Once stdin is gone (EPIPE, or the child exited), pipeline passes that failure on to the
  // input as an error of its own; such an error is the child's doing, not the input's.
  let stdinGone = false;
  const onInputError = (err: unknown) => {
    if (stdinGone) return;
    inputError ??= err;
    sup.stop("its input failed", "SIGKILL");
  };
  // Registered before pipeline's own listeners, so they run first: the kill happens before
  // pipeline closes stdin.
  child.stdin!.on("error", () => {
    stdinGone = true;
  });
  input.on("error", onInputError);
  // A child that quit early (a failed statement) would otherwise be noticed only at the next
  // write, which an idle input may never make.
  void sup.exited.then(() => {
    stdinGone = true;
    child.stdin!.destroy();
  });
  const offAbort = onAbort(signal, () => {
    sup.stop("the restore was aborted", "SIGKILL");
    input.destroy();
  });
  // Fed 1 MiB at a time (one writev each): a pipe write per 64 KiB chunk cost the main thread
  // 170 ms of a 200 MB PostgreSQL restore. A failed write means the child's stdin is gone.
  const stdin = batchedWriter(child.stdin!, (err, cb) => {
    stdinGone = true;
    cb(err);
  });
  const pipeError = await pipeline(input, stdin).then(
    () => undefined,
    (err: unknown) => err,
  );
  const status = await sup.exited;
  offAbort();
  if (inputError) {
    const msg = inputError instanceof Error ? inputError.message : String(inputError);
    throw new SourceError(redact(`the restore input failed: ${msg}`, ctx.secrets), ctx.kind, { cause: inputError });
  }
  const failure = sup.failure(status);
  if (failure) throw failure;
  if (pipeError) {
    throw new SourceError(`${sup.tool} exited before reading all of its input`, ctx.kind, { cause: pipeError });
  }
}

/**
 * Runs a converting tool (`pg_restore --file=-`): `input` on its stdin, its stdout as
 * `stream`. The invariants of `runWithInput` (the child is killed before its stdin closes
 * when `input` fails) and of `spawnDump` (`stream` ends only after a clean exit; otherwise it
 * errors with the child's failure) both hold, so a cut input never looks like a whole output.
 */
export function spawnFilter(cmd: ChildCommand, ctx: ChildContext, input: Readable, signal: AbortSignal): SpawnedDump {
  if (signal.aborted) {
    input.destroy();
    throw stoppedBeforeStart(cmd, ctx, "the restore was aborted");
  }
  const child = spawn(cmd.command, cmd.args, { env: childEnv(cmd.env), stdio: ["pipe", "pipe", "pipe"] });
  const sup = new Supervised(child, ctx);
  const out = new PassThrough();
  out.on("error", () => {});
  let inputError: unknown;
  let stdinGone = false;
  child.stdin!.on("error", () => {
    stdinGone = true;
  });
  input.on("error", (err) => {
    // Also after a clean exit: the rest of the input is still read (feedThenDrain) and must be whole.
    inputError ??= err;
    if (!stdinGone) sup.stop("its input failed", "SIGKILL");
  });
  void sup.exited.then(() => {
    stdinGone = true;
    child.stdin!.destroy();
  });
  out.once("close", () => {
    if (!out.readableEnded && sup.running) sup.stop("its output was closed before its end", "SIGKILL");
  });
  const offAbort = onAbort(signal, () => {
    sup.stop("the restore was aborted", "SIGKILL");
    input.destroy();
  });
  const feeding = feedThenDrain(input, child.stdin!, () => stdinGone);
  const failureOf = async (): Promise<Error | undefined> => {
    const status = await sup.exited;
    const pipeError = await feeding;
    if (inputError) {
      const msg = inputError instanceof Error ? inputError.message : String(inputError);
      return new SourceError(redact(`the restore input failed: ${msg}`, ctx.secrets), ctx.kind, { cause: inputError });
    }
    return sup.failure(status) ?? (pipeError ? new SourceError(`${sup.tool} exited before reading all of its input`, ctx.kind, { cause: pipeError }) : undefined);
  };
  const piping = pipeline(
    child.stdout!,
    async function* (source: AsyncIterable<Buffer>) {
      yield* source;
      const failure = await failureOf();
      if (failure) throw failure;
    },
    out,
  ).then(
    () => undefined,
    (err: unknown) => err,
  );
  const done = (async () => {
    const failure = await failureOf();
    if (failure) out.destroy(failure);
    await piping;
    offAbort();
    if (failure) throw failure;
  })();
  done.catch(() => {});
  return { stream: out, done, pid: child.pid };
}

/**
 * Writes `input` to a converter's stdin; resolves with the error that ended it, if any.
 * A converter may finish cleanly before it has read its input to the end (pg_restore stops
 * after the last block its table of contents names, and the few bytes after it can still be
 * on their way). The rest of `input` is then read and dropped rather than abandoned, so that
 * `input`'s own checks (the parts' hashes, the decryption's tags) still run to its end: a
 * clean exit counts only when the whole backup read back clean. Its exit status decides the
 * rest (`failureOf`).
 */
async function feedThenDrain(input: Readable, stdin: Writable, gone: () => boolean): Promise<unknown> {
  try {
    for await (const chunk of input) {
      if (gone() || stdin.destroyed) continue;
      if (!stdin.write(chunk)) await drainedOrGone(stdin);
    }
    if (!gone() && !stdin.destroyed) stdin.end();
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Waits until `stdin` takes more, or is gone (the child exited: nothing more to wait for). */
export function drainedOrGone(stdin: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stdin.off("drain", done).off("close", done).off("error", done);
      resolve();
    };
    stdin.on("drain", done).on("close", done).on("error", done);
  });
}

/** Runs a short query tool and returns its stdout (capped at 1 MiB). */
export async function runCapture(cmd: ChildCommand, ctx: ChildContext, signal?: AbortSignal): Promise<string> {
  if (signal?.aborted) throw stoppedBeforeStart(cmd, ctx, "aborted");
  const child = spawn(cmd.command, cmd.args, { env: childEnv(cmd.env), stdio: ["ignore", "pipe", "pipe"] });
  const sup = new Supervised(child, ctx);
  const offAbort = onAbort(signal, () => sup.stop("aborted", "SIGKILL"));
  const chunks: Buffer[] = [];
  let size = 0;
  child.stdout!.on("data", (chunk: Buffer) => {
    if (size >= MAX_CAPTURE_BYTES) return;
    chunks.push(chunk);
    size += chunk.length;
  });
  const status = await sup.exited;
  await finished(child.stdout!).catch(() => {});
  offAbort();
  const failure = sup.failure(status);
  if (failure) throw failure;
  return Buffer.concat(chunks).toString("utf8");
}

/** Params with every secret removed from their text (nested translatables included). */
