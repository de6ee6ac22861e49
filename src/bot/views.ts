import type { TranslateFunction } from "@grammyjs/i18n";
import type { RunRow } from "../db/schema.js";
import type { JobView } from "../services/jobs.service.js";
import type { BotDeps } from "./deps.js";
import { formatBytes } from "../shared/format.js";
import { clip, formatDuration, formatTime } from "./format.js";

/** Screens shared by several features: what a job's last run and next run look like. */

export function jobTimezone(deps: Pick<BotDeps, "defaultTimezone">, job: Pick<JobView, "timezone">): string {
  return job.timezone ?? deps.defaultTimezone;
}

export const STATUS_ICON: Record<RunRow["status"], string> = { success: "✅", failed: "❌", interrupted: "⚠️", running: "⏳", cancelled: "⏹" };

/** A success that was not read back in full: stored, but not proven restorable by this tool. */
export function isUnverifiedSuccess(run: Pick<RunRow, "status" | "verifiedAt">): boolean {
  return run.status === "success" && run.verifiedAt == null;
}

/** ✅ only for a run read back in full; ⚠️ for a success that was not. */
export function runIcon(run: Pick<RunRow, "status" | "verifiedAt">): string {
  return isUnverifiedSuccess(run) ? "⚠️" : STATUS_ICON[run.status];
}

/** "success", "stored, not verified", "failed", ... in the reader's language. */
export function runStatusText(t: TranslateFunction, run: Pick<RunRow, "status" | "verifiedAt">): string {
  return isUnverifiedSuccess(run) ? t("run-status-unverified") : t(`run-status-${run.status}`);
}

/** "2 Jan 2026, 03:00", or the localized "invalid schedule: …". */
export function nextRunText(t: TranslateFunction, deps: BotDeps, job: JobView, locale: string): string {
  if (!job.enabled) return t("job-next-disabled");
  try {
    const next = deps.nextRuns(job, 1)[0];
    return next ? formatTime(next, locale, jobTimezone(deps, job)) : t("job-next-none");
  } catch (err) {
    return t("job-next-invalid", { reason: clip((err as Error).message, 200) });
  }
}

export function runDurationMs(run: RunRow): number | null {
  return run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null;
}

/** One line about a run: "✅ success · 2 Jan 2026, 03:00 · 1.2 MiB · 3.1 s". */
export function runSummary(t: TranslateFunction, run: RunRow, locale: string, timeZone: string): string {
  const duration = runDurationMs(run);
  return t("run-summary", {
    icon: runIcon(run),
    status: runStatusText(t, run),
    when: formatTime(run.startedAt, locale, timeZone),
    size: run.payloadSize != null ? formatBytes(run.payloadSize) : "—",
    duration: duration != null ? formatDuration(t, duration) : "—",
  });
}

export function lastRunText(t: TranslateFunction, deps: BotDeps, job: JobView, locale: string): string {
  const last = deps.runs.listByJob(job.id, 1)[0];
  if (!last) return t("job-last-never");
  const line = runSummary(t, last, locale, jobTimezone(deps, job));
  return last.error ? `${line}\n${t("run-error-line", { error: clip(last.error, 300) })}` : line;
}

export function encryptionText(t: TranslateFunction, job: JobView): string {
  if (!job.encryption) return t("job-encryption-none");
  return "recipients" in job.encryption ? t("job-encryption-recipients", { count: job.encryption.recipients.length }) : t("job-encryption-passphrase");
}
