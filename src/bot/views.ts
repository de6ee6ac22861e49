import type { TranslateFunction } from "@grammyjs/i18n";
import type { RunRow } from "../db/schema.js";
import type { Retention } from "../domain.js";
import { RETENTION_KEYS } from "../services/validation.js";
import type { JobView } from "../services/jobs.service.js";
import type { BotDeps } from "./deps.js";
import { formatBytes } from "../shared/format.js";
import { clip, formatDuration, formatTime, speakerOf } from "./format.js";

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
    size: run.payloadSize != null ? formatBytes(run.payloadSize, speakerOf(t, locale)) : "—",
    duration: duration != null ? formatDuration(t, duration, locale) : "—",
  });
}

export function lastRunText(t: TranslateFunction, deps: BotDeps, job: JobView, locale: string): string {
  const last = deps.runs.listByJob(job.id, 1)[0];
  if (!last) return t("job-last-never");
  const line = runSummary(t, last, locale, jobTimezone(deps, job));
  return last.error ? `${line}\n${t("run-error-line", { error: clip(last.error, 300) })}` : line;
}

/** A reply's or a dialog's translate function. */
type Say = (key: string, params?: Record<string, string | number>) => string;

/** A retention rule in words: "last 7, 4 weekly" / "последние 7, по неделям: 4"; `keepAll` when it has no rule. */
export function retentionText(t: Say, retention: Retention, keepAll: string): string {
  const parts = RETENTION_KEYS.filter((k) => retention[k] !== undefined).map((k) => t(`fmt-retention-${k}`, { n: retention[k]! }));
  return parts.length > 0 ? parts.join(", ") : keepAll;
}

/** A dump format as the /newjob format step names it ("Plain SQL (.sql)"). */
export function formatText(t: Say, format: string): string {
  return t(`conv-format-${format}`);
}

export function encryptionText(t: TranslateFunction, job: JobView): string {
  if (!job.encryption) return t("job-encryption-none");
  return "recipients" in job.encryption ? t("job-encryption-recipients", { count: job.encryption.recipients.length }) : t("job-encryption-passphrase");
}
