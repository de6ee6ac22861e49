import { mkdirSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { jobSecrets } from "../../domain.js";
import { processTag } from "../../shared/process-owner.js";
import type { RunContext } from "./context.js";
import type { HookRunner } from "./types.js";

/** A hook process of a run, as a marker in its spool folder: `hook-<pid>.<start ticks>` (src/lifecycle/recovery.ts reads it). */
export const HOOK_PROCESS_MARKER = /^hook-(\d+(?:\.\d+)?)$/;
/** A hook's `docker exec` in another container, as a marker in the run's spool folder: `exec-<exec id>`. */
export const HOOK_EXEC_MARKER = /^exec-([0-9a-f]{12,64})$/;

/**
 * Hooks: registers the job's `after` hooks (always) and `on_failure` hooks on the cleanup stack
 * first, so they run however the run ends (a failing `before` hook included; they get the
 * cleanup's own time limit, not the run's signal, so they also run after a stopped run), then
 * runs the `before` hooks: the first failure fails the run before anything is dumped.
 *
 * A process killed outright runs no cleanup: the hooks the run owes are recorded with it
 * (`pending_hooks`) before any `before` hook runs and cleared once they have run, and every hook
 * process started in the sidecar, and every `docker exec` in another container, is marked in the
 * run's spool folder (both outlive this process). Start-up recovery stops the processes, waits for
 * the execs (the Engine API cannot stop one), then runs the hooks the run owed
 * (src/lifecycle/recovery.ts).
 */
export async function runHooks(ctx: RunContext, runner: HookRunner | undefined): Promise<void> {
  const hooks = ctx.job.hooks;
  if (!runner || !hooks) return;
  const secrets = jobSecrets(ctx.job);
  const { after, on_failure: onFailure, before } = hooks;
  if (!before?.length && !after?.length && !onFailure?.length) return;
  // Before the preflight has made the spool folder: removed at the end whatever happens (again by the preflight's own step).
  ctx.cleanup.always("remove the spool folder", () => rm(ctx.spool, { recursive: true, force: true }));
  const spawned = (pid: number) => markHookCommand(ctx, `hook-${processTag(pid)}`);
  const execStarted = (id: string) => markHookCommand(ctx, `exec-${id}`);
  if (after?.length || onFailure?.length) {
    ctx.deps.runs.update(ctx.run.id, { pendingHooks: { ...(after?.length ? { after } : {}), ...(onFailure?.length ? { on_failure: onFailure } : {}) } });
    // Unwound last: cleared once the hooks below have run, whatever they did.
    ctx.cleanup.always("hooks done", () => ctx.deps.runs.update(ctx.run.id, { pendingHooks: null }));
  }
  if (after?.length) ctx.cleanup.always("after hooks", (signal) => runner.run("after", after, { log: ctx.log, signal, secrets, spawned, execStarted }));
  if (onFailure?.length) ctx.cleanup.onFailure("on_failure hooks", (signal) => runner.run("on_failure", onFailure, { log: ctx.log, signal, secrets, spawned, execStarted }));
  if (before?.length) await runner.run("before", before, { log: ctx.log, signal: ctx.signal, secrets, spawned, execStarted });
}

/** Marks a hook process or exec in the run's spool folder; a marker that cannot be written only costs recovery its chance to stop or await it. */
function markHookCommand(ctx: RunContext, marker: string): void {
  try {
    mkdirSync(ctx.spool, { recursive: true });
    writeFileSync(path.join(ctx.spool, marker), "");
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message, marker }, "cannot mark a hook command in the spool folder");
  }
}
