import { Composer } from "grammy";
import type { RunRow } from "../../db/schema.js";
import type { JobView } from "../../services/jobs.service.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { clip, formatTime } from "../format.js";
import { localeOf, replyBlocks } from "../helpers.js";
import { jobListKeyboard } from "../keyboards/jobs.js";
import { jobTimezone, nextRunText, STATUS_ICON } from "../views.js";

/** How far back to look for a job's last success. */
const HISTORY_SCAN = 200;
/** A job is overdue when its last success is older than this many schedule intervals (plus a grace period). */
const INTERVALS_BEFORE_WARNING = 2;
const GRACE_MS = 15 * 60_000;

/** /status: every job on one screen, its last result and next run, and a warning when it has no recent success. */
export function statusFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("status", async (ctx) => {
    const jobs = deps.jobs.list();
    if (jobs.length === 0) return void (await ctx.reply(ctx.t("jobs-empty")));
    const locale = await localeOf(ctx);
    const live = new Map((deps.jobStatus?.() ?? []).map((s) => [s.id, s]));
    const now = new Date();
    let warnings = 0;
    const blocks = jobs.map((job) => {
      const runs = deps.runs.listByJob(job.id, HISTORY_SCAN);
      const tz = jobTimezone(deps, job);
      const lines: string[] = [];
      const warning = job.enabled ? overdue(deps, job, runs, now) : null;
      const icon = !job.enabled ? "⏸" : warning ? "⚠️" : runs[0] ? STATUS_ICON[runs[0].status] : "🆕";
      lines.push(ctx.t("status-job-head", { icon, job: job.name }));
      const state = live.get(job.id)?.state;
      if (state === "running" || state === "queued") lines.push(ctx.t(`status-${state}`));
      const last = runs[0];
      lines.push(
        last
          ? ctx.t("status-last", { icon: STATUS_ICON[last.status], status: ctx.t(`run-status-${last.status}`), when: formatTime(last.startedAt, locale, tz) })
          : ctx.t("status-last-never"),
      );
      if (last?.error && last.status !== "success") lines.push(ctx.t("run-error-line", { error: clip(last.error, 200) }));
      lines.push(ctx.t("status-next", { next: nextRunText(ctx.t, deps, job, locale) }));
      if (warning) {
        warnings++;
        lines.push(warning.since ? ctx.t("status-warn-stale", { since: formatTime(warning.since, locale, tz) }) : ctx.t("status-warn-never"));
      }
      return lines.join("\n");
    });
    const head = warnings > 0 ? ctx.t("status-title-warn", { count: jobs.length, warnings }) : ctx.t("status-title-ok", { count: jobs.length });
    await replyBlocks(ctx, head, blocks, jobListKeyboard(jobs, 0));
  });
  return c;
}

/** Why an enabled job needs attention: never succeeded, or its last success is too old. Null when fine. */
function overdue(deps: BotDeps, job: JobView, runs: RunRow[], now: Date): { since: Date | null } | null {
  const lastSuccess = runs.find((r) => r.status === "success");
  let intervalMs: number;
  try {
    const next = deps.nextRuns(job, 3);
    intervalMs = 0;
    for (let i = 1; i < next.length; i++) intervalMs = Math.max(intervalMs, next[i]!.getTime() - next[i - 1]!.getTime());
    if (intervalMs === 0) intervalMs = 24 * 3_600_000;
  } catch {
    return { since: lastSuccess?.startedAt ?? null };
  }
  if (!lastSuccess) return { since: null };
  const age = now.getTime() - (lastSuccess.finishedAt ?? lastSuccess.startedAt).getTime();
  return age > INTERVALS_BEFORE_WARNING * intervalMs + GRACE_MS ? { since: lastSuccess.startedAt } : null;
}
