import path from "node:path";
import type { RunRow } from "../../../db/schema.js";
import type { BotDeps } from "../../deps.js";

/** Which runs /restore offers: successes whose parts have not been pruned. */

const RESTORABLE_SCAN = 200;

export function restorableRuns(deps: BotDeps, jobId: number): RunRow[] {
  return deps.runs.listByJob(jobId, RESTORABLE_SCAN).filter((r) => r.status === "success" && !r.expiredAt);
}

export function restorableRun(deps: BotDeps, runId: number): RunRow | null {
  const run = Number.isInteger(runId) ? deps.runs.get(runId) : null;
  return run && run.status === "success" && !run.expiredAt ? run : null;
}

/** `app_20260101-030000.sql.gz.age` → `app_20260101-030000.sql` (what the restore writes). */
export function restoredFileName(run: Pick<RunRow, "fileName" | "id" | "jobName">): string {
  const name = (run.fileName ?? `${run.jobName}-run-${run.id}`).replace(/\.age$/, "").replace(/\.(gz|zst)$/, "");
  return path.basename(name);
}
