import { jobSecrets } from "../../domain.js";
import type { RunContext } from "./context.js";
import type { HookRunner } from "./types.js";

/**
 * Hooks: registers the job's `after` hooks (always) and `on_failure` hooks on the cleanup stack
 * first, so they run however the run ends (a failing `before` hook included; they get the
 * cleanup's own time limit, not the run's signal, so they also run after a stopped run), then
 * runs the `before` hooks: the first failure fails the run before anything is dumped.
 *
 * A process killed outright runs no cleanup: the hooks the run owes are recorded with it
 * (`pending_hooks`) before any `before` hook runs and cleared once they have run, and start-up
 * recovery runs what a dead run left recorded (src/lifecycle/recovery.ts).
 */
export async function runHooks(ctx: RunContext, runner: HookRunner | undefined): Promise<void> {
  const hooks = ctx.job.hooks;
  if (!runner || !hooks) return;
  const secrets = jobSecrets(ctx.job);
  const { after, on_failure: onFailure, before } = hooks;
  if (after?.length || onFailure?.length) {
    ctx.deps.runs.update(ctx.run.id, { pendingHooks: { ...(after?.length ? { after } : {}), ...(onFailure?.length ? { on_failure: onFailure } : {}) } });
    // Unwound last: cleared once the hooks below have run, whatever they did.
    ctx.cleanup.always("hooks done", () => ctx.deps.runs.update(ctx.run.id, { pendingHooks: null }));
  }
  if (after?.length) ctx.cleanup.always("after hooks", (signal) => runner.run("after", after, { log: ctx.log, signal, secrets }));
  if (onFailure?.length) ctx.cleanup.onFailure("on_failure hooks", (signal) => runner.run("on_failure", onFailure, { log: ctx.log, signal, secrets }));
  if (before?.length) await runner.run("before", before, { log: ctx.log, signal: ctx.signal, secrets });
}
