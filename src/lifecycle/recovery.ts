import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { RunsRepo } from "../repos/runs.repo.js";

export interface RecoveryDeps {
  runs: RunsRepo;
  /** `DATA_DIR/spool`; run folders are `run-<id>`. */
  spoolDir: string;
  notifier: Notifier;
  log: Logger;
  now?: () => Date;
}

export interface RecoveredRun {
  runId: number;
  job: string;
  phase: string | null;
  startedAt: Date;
  /** Parts the run had already delivered; they stay recorded, belonging to an incomplete run. */
  deliveredParts: number;
}

export interface RecoveryReport {
  interrupted: RecoveredRun[];
  /** Spool folders removed (of the interrupted runs and any other leftover `run-<id>` folder). */
  removedSpool: string[];
}

/** Locale key of the alert naming the interrupted runs. Params: `count` (number), `runs` ("app-nightly #12, notes #13"). */
export const ALERT_INTERRUPTED = "alert-interrupted";

/**
 * Start-up recovery after a crash, `kill -9` or power loss. Must run before the scheduler
 * starts and while no other process runs backups against the same DATA_DIR: every run still
 * marked `running` belongs to a process that is gone.
 * - those runs become `interrupted` with an error text saying so;
 * - their spool folders, and any other leftover `run-<id>` folder, are removed;
 * - parts they already delivered stay in run_parts (no deleted-at): they exist at the
 *   destination, and retention cleans them up later like any unsuccessful run's leftovers;
 * - one alert to the admins names them.
 */
export async function recoverInterruptedRuns(deps: RecoveryDeps): Promise<RecoveryReport> {
  const { runs, log } = deps;
  const now = (deps.now ?? (() => new Date()))();
  const report: RecoveryReport = { interrupted: [], removedSpool: [] };

  for (const run of runs.listByStatus("running").sort((a, b) => a.id - b.id)) {
    const deliveredParts = runs.liveParts(run.id).length;
    const where = run.phase ? ` during ${run.phase}` : "";
    const delivered = deliveredParts > 0 ? `; ${deliveredParts} part(s) already delivered stay recorded` : "";
    runs.update(run.id, {
      status: "interrupted",
      finishedAt: now,
      error: `interrupted: the process stopped${where} before the backup finished (crash, kill or power loss)${delivered}`,
    });
    report.interrupted.push({ runId: run.id, job: run.jobName, phase: run.phase, startedAt: run.startedAt, deliveredParts });
    log.warn({ run: run.id, job: run.jobName, phase: run.phase, deliveredParts }, "run left running by a previous process marked interrupted");
  }

  let entries: string[] = [];
  try {
    entries = await readdir(deps.spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") log.warn({ err: (err as Error).message, spool: deps.spoolDir }, "cannot read the spool folder");
  }
  const ids = new Set(report.interrupted.map((r) => r.runId));
  for (const entry of entries) {
    const match = /^run-(\d+)$/.exec(entry);
    if (!match) continue;
    const id = Number(match[1]);
    // Only folders of runs that are not running now: all of them, after the loop above.
    if (!ids.has(id) && runs.get(id)?.status === "running") continue;
    const folder = path.join(deps.spoolDir, entry);
    try {
      await rm(folder, { recursive: true, force: true });
      report.removedSpool.push(folder);
    } catch (err) {
      log.warn({ err: (err as Error).message, folder }, "cannot remove a leftover spool folder");
    }
  }

  if (report.interrupted.length > 0) {
    await deps.notifier.alertAdmins(ALERT_INTERRUPTED, {
      count: report.interrupted.length,
      runs: report.interrupted.map((r) => `${r.job} #${r.runId}`).join(", "),
    });
  }
  return report;
}
