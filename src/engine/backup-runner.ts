import type { DestinationFactory } from "../destinations/registry.js";
import type { ResolvedJob } from "../domain.js";
import type { Logger } from "../logger.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { AnomalyThresholds } from "./anomaly.js";
import type { SourceRegistry } from "../sources/registry.js";
import { mirrorRun, type MirrorOutcome } from "./mirror.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../shared/retry-policy.js";
import { begin, type RunContext } from "./run/context.js";
import { dumpAndDeliver } from "./run/dump-and-deliver.js";
import { fail, succeed } from "./run/finish.js";
import { preflight } from "./run/preflight.js";
import { runHooks } from "./run/hooks.js";
import type { HookRunner, RunDeps, RunOptions, RunResult } from "./run/types.js";
import { writeManifest } from "./run/write-manifest.js";

export type { Progress, RunOptions, RunResult, RunTrigger } from "./run/types.js";

export interface BackupRunnerDeps {
  runs: RunsRepo;
  sources: SourceRegistry;
  makeDestination: DestinationFactory;
  spoolDir: string;
  log: Logger;
  now?: () => Date;
  /** Retry policy of uploads and read-backs (tests shorten the delays); the rest comes from the default. */
  retry?: Partial<RetryPolicy>;
  /** A read-back that brings no byte for this long is abandoned and retried (default 60 s). */
  readBackIdleMs?: number;
  /** A job's anomaly thresholds (src/engine/anomaly.ts); default: the defaults. */
  anomalyThresholds?: (jobId: number) => Partial<AnomalyThresholds>;
  /** Runs the jobs' before/after/on_failure hooks (src/application/hooks.ts); absent = hooks are not run. */
  hooks?: HookRunner;
}

const DEFAULT_READ_BACK_IDLE_MS = 60_000;

/**
 * Runs one backup as its phases, over one `RunContext` (src/engine/run/):
 * begin (name, run row, logger) → hooks (after/on_failure registered, before run) → preflight (spool, part size) → dump and deliver (source →
 * compress → encrypt → hash → split; each part uploaded and read back) → manifest → mirror →
 * succeed | fail. Every resource a phase creates is registered on the run's cleanup stack the
 * moment it exists; the stack unwinds in `finally` (on failure first, before the row says so).
 */
export class BackupRunner {
  private readonly runDeps: RunDeps;

  constructor(private readonly deps: BackupRunnerDeps) {
    this.runDeps = {
      runs: deps.runs,
      log: deps.log,
      now: deps.now ?? (() => new Date()),
      retry: { ...DEFAULT_RETRY_POLICY, ...deps.retry },
      readBackIdleMs: deps.readBackIdleMs ?? DEFAULT_READ_BACK_IDLE_MS,
      anomalyThresholds: deps.anomalyThresholds,
    };
  }

  async run(job: ResolvedJob, options: RunOptions): Promise<RunResult> {
    const ctx = begin(this.runDeps, this.deps, job, options);
    try {
      await runHooks(ctx, this.deps.hooks);
      await preflight(ctx);
      await dumpAndDeliver(ctx);
      const manifest = await writeManifest(ctx);
      // Every part was read back right after it was stored (while the next one was dumped).
      const verified = ctx.readBack.checked > 0 && ctx.readBack.skipped === 0;
      const mirrored = verified ? await this.mirror(ctx) : { mirrored: [], failures: [] };
      return succeed(ctx, manifest, verified, mirrored);
    } catch (err) {
      return await fail(ctx, err);
    } finally {
      await ctx.cleanup.unwind(false);
    }
  }

  /** Mirror: copies a verified run into the destinations' mirror chats; a failure there leaves the run standing. */
  private mirror(ctx: RunContext): Promise<MirrorOutcome> {
    const { runs, retry, readBackIdleMs } = this.runDeps;
    return mirrorRun({ runs, log: ctx.log, retry, readBackIdleMs }, { runId: ctx.run.id, jobName: ctx.job.name }, ctx.targets, ctx.signal);
  }
}
