import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { Clock } from "../scheduler/clock.js";
import { NotFoundError } from "../services/errors.js";
import type { JobsService } from "../services/jobs.service.js";
import type { BackupRunner, Progress, RunResult, RunTrigger } from "../engine/backup-runner.js";
import type { Pinger } from "./pings.js";
import { translatableOf } from "../shared/translatable.js";

export interface ExecuteOptions {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface JobExecutorDeps {
  jobs: JobsService;
  runner: BackupRunner;
  runs: RunsRepo;
  notifier: Notifier;
  log: Logger;
  /**
   * Runs after a verified successful run (retention). Its failure is logged, never turns the run
   * into a failure. A run that was not read back in full is no "good backup": nothing is pruned after it.
   */
  afterSuccess?: (jobId: number, result: RunResult, signal?: AbortSignal) => Promise<void>;
  /**
   * Runs after every successful run, after pruning: brings the catalogs of the job's chats up to
   * date (src/application/catalog-publisher.ts). Its failure is logged, never turns the run into a failure.
   */
  afterChange?: (jobId: number, result: RunResult) => Promise<void>;
  /** Time of the run row recorded when a job cannot even be prepared; default the system clock. */
  clock?: Pick<Clock, "now">;
  /** The job's external pings and webhook (src/application/pings.ts); their failures never change a run. */
  pinger?: Pinger;
}

/**
 * One job run as every trigger (scheduler, bot, CLI) performs it: resolve the job, run it,
 * tell the people who must know, prune. A job whose secrets cannot be resolved still gets a
 * failed run row and an alert, so a broken reference is never silent.
 */
export class JobExecutor {
  constructor(private readonly deps: JobExecutorDeps) {}

  async execute(ref: string | number, trigger: RunTrigger, options: ExecuteOptions = {}): Promise<RunResult> {
    const { jobs, runner, runs, notifier, log } = this.deps;
    let job;
    try {
      job = await jobs.resolve(ref);
    } catch (err) {
      if (err instanceof NotFoundError) throw err;
      const row = jobs.findRow(ref);
      if (!row) throw err;
      const now = this.deps.clock?.now() ?? new Date();
      const message = `prepare failed: ${(err as Error).message}`;
      const said = { errorKey: "run-failed-prepare", errorParams: { reason: translatableOf(err) ?? (err as Error).message } };
      const run = runs.create({
        jobId: row.id,
        jobName: row.name,
        sourceKind: "unknown",
        trigger,
        status: "failed",
        startedAt: now,
        finishedAt: now,
        error: message,
        ...said,
      });
      const result: RunResult = {
        runId: run.id, status: "failed", job: row.name, fileName: "", rawSize: 0, payloadSize: 0,
        sha256: null, parts: 0, durationMs: 0, verified: false, error: message, ...said,
      };
      await notifier.runFailed(result, { jobId: row.id });
      return result;
    }
    await this.deps.pinger?.started(job);
    const result = await runner.run(job, { trigger, signal: options.signal, onProgress: options.onProgress });
    if (result.status === "success") {
      // A run that looks wrong (src/engine/anomaly.ts) is kept and says ⚠️ with its reasons; a run not
      // read back in full keeps its own, stronger ⚠️ (its anomalies stay recorded with it).
      if (result.anomalies?.length && result.verified && notifier.runAnomalous) await notifier.runAnomalous(result, { jobId: job.id });
      else await notifier.runSucceeded(result, { jobId: job.id });
      await notifier.mirrorResult?.(result, { jobId: job.id });
      if (this.deps.afterSuccess && result.verified) {
        await this.deps.afterSuccess(job.id, result, options.signal).catch((err: unknown) => log.warn({ job: job.name, err: (err as Error).message }, "pruning failed"));
      }
      if (this.deps.afterChange) {
        await this.deps.afterChange(job.id, result).catch((err: unknown) => log.warn({ job: job.name, err: (err as Error).message }, "catalog update failed"));
      }
    } else if (result.status === "cancelled") {
      // Stopped on purpose by an admin (⏹ Stop): recorded with the run, no alert.
      log.info({ job: job.name, runId: result.runId, reason: result.error }, "run cancelled");
    } else {
      await notifier.runFailed(result, { jobId: job.id });
    }
    await this.deps.pinger?.finished(job, result);
    return result;
  }
}
