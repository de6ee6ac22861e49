import path from "node:path";
import type { RunRow } from "../../../db/schema.js";
import { proposedDatabaseName } from "../../../sources/restore-names.js";
import type { BotDeps } from "../../deps.js";

/** Which runs /restore offers: successes whose parts have not been pruned. */

const RESTORABLE_SCAN = 200;

const restorable = (r: RunRow): boolean => r.status === "success" && !r.expiredAt;

export function restorableRuns(deps: BotDeps, jobId: number): RunRow[] {
  return deps.runs.listByJob(jobId, RESTORABLE_SCAN).filter(restorable);
}

/** Restorable runs of a deleted job (its runs keep its name; their job id is gone). */
export function restorableOrphans(deps: BotDeps, jobName: string): RunRow[] {
  return deps.runs.listOrphans(jobName, RESTORABLE_SCAN).filter(restorable);
}

/** Deleted jobs that left at least one restorable run, newest first, each named by its newest such run. */
export function deletedJobsWithRuns(deps: BotDeps): Array<{ jobName: string; runId: number; count: number }> {
  return deps.runs.orphanJobs().flatMap(({ jobName }) => {
    const runs = restorableOrphans(deps, jobName);
    return runs.length > 0 ? [{ jobName, runId: runs[0]!.id, count: runs.length }] : [];
  });
}

export function restorableRun(deps: BotDeps, runId: number): RunRow | null {
  const run = Number.isInteger(runId) ? deps.runs.get(runId) : null;
  return run && restorable(run) ? run : null;
}

/** The zone a run's times are shown in: its job's, or the default when the job is gone. */
export function runTimezone(deps: BotDeps, run: Pick<RunRow, "jobId">): string {
  const job = run.jobId != null ? deps.jobs.findRow(run.jobId) : null;
  return job?.timezone || deps.defaultTimezone;
}

/** `app_20260101-030000.sql.gz.age` → `app_20260101-030000.sql` (what the restore writes). */
export function restoredFileName(run: Pick<RunRow, "fileName" | "id" | "jobName">): string {
  const name = (run.fileName ?? `${run.jobName}-run-${run.id}`).replace(/\.age$/, "").replace(/\.(gz|zst)$/, "");
  return path.basename(name);
}

/**
 * `/data/notes.sqlite` → `/data/notes_restored_20260101_0300.sqlite` (the backup's time in
 * `timeZone`): a new file beside a SQLite source's.
 */
export function proposedSqlitePath(sourcePath: string, backupTime: Date, timeZone: string): string {
  const ext = path.extname(sourcePath);
  return path.join(path.dirname(sourcePath), proposedDatabaseName(path.basename(sourcePath, ext), backupTime, timeZone) + ext);
}
