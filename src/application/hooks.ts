import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { redact } from "../crypto/redact.js";
import { dockerMessage, dockerStatus } from "../docker/errors.js";
import type { Hook } from "../domain.js";
import type { HookRunner, HookStage } from "../engine/run/types.js";
import { oneLine } from "../shared/one-line.js";
import { childEnv } from "../sources/child-process.js";

/** Seconds a hook may take when it does not say. */
export const DEFAULT_HOOK_TIMEOUT_S = 60;
/** Output kept per hook (the tail: where commands say what went wrong). */
const TAIL_BYTES = 4096;
/** Output quoted in a failure message. */
const MESSAGE_TAIL_CHARS = 400;
const KILL_GRACE_MS = 3000;

/** A hook that failed: its message names the stage, the command and the exit status, and ends with the output's tail. */
export class HookError extends Error {
  override name = "HookError";
  constructor(
    message: string,
    readonly stage: HookStage,
    readonly output: string,
    /** Locale key and parameters (locales/<lang>/hooks.ftl). */
    readonly key: string,
    readonly params: Record<string, string | number>,
  ) {
    super(message);
  }
}

interface Outcome {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

export interface HookRunnerDeps {
  /** Lazily connects to the Docker Engine (for hooks with a `container`). */
  docker: () => Docker;
}

/**
 * Runs a job's hooks (`hooks:` in the job): each command in the sidecar (`sh -c`, with the
 * same small environment the dump tools get, so BOT_TOKEN and MASTER_KEY never reach it) or in
 * a named container through the Docker socket (`docker exec`), one after the other, each within
 * its timeout. Its output's tail goes to the run's log.
 *
 * `before`: the first failure (non-zero exit, timeout, missing container) stops and throws a
 * HookError, which fails the run before anything is dumped. `after` / `on_failure`: every hook
 * runs whatever the others did; failures are logged, never thrown (the run's outcome stands).
 *
 * A timed-out hook in the sidecar is killed (its process group, SIGTERM then SIGKILL). The
 * Engine API cannot kill a `docker exec`: a timed-out command in a container is abandoned and
 * may still finish there.
 */
export function createHookRunner(deps: HookRunnerDeps): HookRunner {
  return {
    async run(stage, hooks, { log, signal, secrets, spawned, execStarted }) {
      for (const hook of hooks) {
        const label = describeHook(hook);
        let outcome: Outcome;
        try {
          outcome = hook.container ? await inContainer(deps.docker(), hook, signal, execStarted) : await inSidecar(hook, signal, spawned);
        } catch (err) {
          const reason = redact(oneLine(err), secrets);
          log.warn({ stage, hook: redact(label, secrets), err: reason }, "hook could not run");
          const failure = new HookError(`${stage} hook ${label} could not run: ${reason}`, stage, "", "hook-not-run", { stage, hook: label, reason });
          if (stage === "before") throw redactError(failure, secrets);
          continue;
        }
        const output = redact(outcome.output, secrets);
        const ok = !outcome.timedOut && outcome.exitCode === 0;
        log[ok ? "info" : "warn"]({ stage, hook: redact(label, secrets), exitCode: outcome.exitCode, timedOut: outcome.timedOut, output }, ok ? "hook finished" : "hook failed");
        if (ok) continue;
        const tail = oneLine(output.slice(-MESSAGE_TAIL_CHARS)) || "(no output)";
        const failure = outcome.timedOut
          ? new HookError(`${stage} hook ${label} timed out after ${timeoutOf(hook)} s: ${tail}`, stage, output, "hook-timed-out", { stage, hook: label, seconds: timeoutOf(hook), output: tail })
          : new HookError(`${stage} hook ${label} failed with exit code ${outcome.exitCode}: ${tail}`, stage, output, "hook-failed", { stage, hook: label, code: String(outcome.exitCode), output: tail });
        if (stage === "before") throw redactError(failure, secrets);
      }
    },
  };
}

function redactError(err: HookError, secrets: string[]): HookError {
  const params = Object.fromEntries(Object.entries(err.params).map(([k, v]) => [k, typeof v === "string" ? redact(v, secrets) : v]));
  return new HookError(redact(err.message, secrets), err.stage, redact(err.output, secrets), err.key, params);
}

/** `"php artisan down" in container app` */
export function describeHook(hook: Hook): string {
  const command = Array.isArray(hook.run) ? hook.run.join(" ") : hook.run;
  return hook.container ? `"${command}" in container ${hook.container}` : `"${command}"`;
}

function timeoutOf(hook: Hook): number {
  return hook.timeout ?? DEFAULT_HOOK_TIMEOUT_S;
}

function argv(hook: Hook): string[] {
  return Array.isArray(hook.run) ? hook.run : ["sh", "-c", hook.run];
}

/** Keeps the last TAIL_BYTES of everything written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  add(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= TAIL_BYTES) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString("utf8").trimEnd();
  }
}

async function inSidecar(hook: Hook, signal: AbortSignal, spawned?: (pid: number) => void): Promise<Outcome> {
  const [command, ...args] = argv(hook);
  const child = spawn(command!, args, { env: childEnv({}), stdio: ["ignore", "pipe", "pipe"], detached: true });
  if (child.pid !== undefined) spawned?.(child.pid);
  const tail = new Tail();
  child.stdout.on("data", (c: Buffer) => tail.add(c));
  child.stderr.on("data", (c: Buffer) => tail.add(c));
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    killTimer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }, KILL_GRACE_MS);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutOf(hook) * 1000);
  signal.addEventListener("abort", stop, { once: true });
  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => resolve(code));
    });
    return { exitCode, timedOut, output: tail.text() };
  } finally {
    clearTimeout(timer);
    if (killTimer) clearTimeout(killTimer);
    signal.removeEventListener("abort", stop);
  }
}

async function inContainer(docker: Docker, hook: Hook, signal: AbortSignal, execStarted?: (id: string) => void): Promise<Outcome> {
  const container = docker.getContainer(hook.container!);
  let exec: Docker.Exec;
  try {
    exec = await container.exec({ Cmd: argv(hook), AttachStdout: true, AttachStderr: true, Tty: false });
  } catch (err) {
    const status = dockerStatus(err);
    if (status === 404) throw new Error(`no container named ${hook.container}`, { cause: err });
    if (status === 409) throw new Error(`container ${hook.container} is not running`, { cause: err });
    throw new Error(dockerMessage(err), { cause: err });
  }
  execStarted?.(exec.id);
  const stream = await exec.start({ hijack: true, stdin: false });
  const tail = new Tail();
  const sink = new PassThrough();
  sink.on("data", (c: Buffer) => tail.add(c));
  docker.modem.demuxStream(stream, sink, sink);
  let timedOut = false;
  const ended = new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  });
  const timer = setTimeout(() => {
    timedOut = true;
    stream.destroy();
  }, timeoutOf(hook) * 1000);
  const onAbort = () => stream.destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await ended;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
  if (timedOut || signal.aborted) return { exitCode: null, timedOut, output: tail.text() };
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? null, timedOut: false, output: tail.text() };
}
