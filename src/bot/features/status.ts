import { Composer } from "grammy";
import type { RunRow } from "../../db/schema.js";
import { CLOCK_SKEW_CONFIRM_PATTERN, clockSkewConfirmData } from "../../notify/port.js";
import type { JobView } from "../../services/jobs.service.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { clip, formatTime } from "../format.js";
import { answer, num, replyBlocks } from "../helpers.js";
import { localeOf } from "../locale.js";
import { jobListKeyboard } from "../keyboards/jobs.js";
import { isUnverifiedSuccess, jobTimezone, nextRunText, runIcon, runStatusText } from "../views.js";

/** How far back to look for a job's last good backup. */
const HISTORY_SCAN = 200;
/** A job is overdue when its last success is older than this many schedule intervals (plus a grace period). */
const INTERVALS_BEFORE_WARNING = 2;
const GRACE_MS = 15 * 60_000;

/**
 * /status: every job on one screen, its last run (by sequence: the highest run id, whatever the
 * clock said when it ran) and next run, and a warning when it needs attention: no recent good
 * backup (a success read back in full), a last run that was not read back, or pruning paused by
 * a clock error (with the button that confirms the clock is right).
 */
export function statusFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("status", async (ctx) => {
    const jobs = deps.jobs.list();
    if (jobs.length === 0) return void (await ctx.reply(ctx.t("jobs-empty")));
    const locale = await localeOf(ctx);
    const live = new Map((deps.jobStatus?.() ?? []).map((s) => [s.id, s]));
    const now = deps.clock?.now() ?? new Date();
    let warnings = 0;
    const keyboard = jobListKeyboard(jobs, 0);
    const paused: JobView[] = [];
    const blocks = jobs.map((job) => {
      const runs = deps.runs.listByJob(job.id, HISTORY_SCAN);
      const tz = jobTimezone(deps, job);
      const lines: string[] = [];
      const last = runs[0];
      const stale = job.enabled ? overdue(deps, job, runs, now) : null;
      const unverified = last !== undefined && isUnverifiedSuccess(last);
      const skews = deps.skewGuard?.pending(job.id) ?? [];
      const attention = stale !== null || unverified || skews.length > 0;
      const icon = !job.enabled ? "⏸" : attention ? "⚠️" : last ? runIcon(last) : "🆕";
      lines.push(ctx.t("status-job-head", { icon, job: job.name }));
      const state = live.get(job.id)?.state;
      if (state === "running" || state === "queued") lines.push(ctx.t(`status-${state}`));
      lines.push(
        last
          ? ctx.t("status-last", { icon: runIcon(last), status: runStatusText(ctx.t, last), when: formatTime(last.startedAt, locale, tz) })
          : ctx.t("status-last-never"),
      );
      if (last?.error && last.status !== "success") lines.push(ctx.t("run-error-line", { error: clip(last.error, 200) }));
      if (unverified) lines.push(ctx.t("status-warn-unverified", { run: String(last.id) }));
      lines.push(ctx.t("status-next", { next: nextRunText(ctx.t, deps, job, locale) }));
      if (stale) lines.push(stale.since ? ctx.t("status-warn-stale", { since: formatTime(stale.since, locale, tz) }) : ctx.t("status-warn-never"));
      if (skews.length > 0) {
        lines.push(ctx.t("status-warn-clock-skew", { runs: skews.map((s) => `#${s.runId}`).join(", ") }));
        paused.push(job);
      }
      if (attention && job.enabled) warnings++;
      return lines.join("\n");
    });
    for (const job of paused) keyboard.row().text(ctx.t("status-btn-clock-ok", { job: job.name }), clockSkewConfirmData(job.id));
    const head = warnings > 0 ? ctx.t("status-title-warn", { count: jobs.length, warnings }) : ctx.t("status-title-ok", { count: jobs.length });
    await replyBlocks(ctx, head, blocks, keyboard);
  });

  // "The clock is right": from the clock-skew alert or from /status.
  c.callbackQuery(CLOCK_SKEW_CONFIRM_PATTERN, async (ctx) => {
    const job = deps.jobs.findRow(num(ctx.match));
    if (!job || !deps.skewGuard) return void (await answer(ctx, ctx.t("error-not-found")));
    const confirmed = deps.skewGuard.acknowledge(job.id);
    await answer(ctx);
    const text = confirmed > 0 ? ctx.t("clock-skew-confirmed", { job: job.name }) : ctx.t("clock-skew-nothing", { job: job.name });
    await ctx.reply(text);
  });
  return c;
}

/**
 * Why an enabled job needs attention: it never had a good backup, or its last one is too old.
 * "Last" is the highest run id that succeeded and was read back in full; a run that was not
 * read back never counts. Null when fine.
 */
function overdue(deps: BotDeps, job: JobView, runs: RunRow[], now: Date): { since: Date | null } | null {
  const lastGood = runs.find((r) => r.status === "success" && r.verifiedAt != null);
  let intervalMs: number;
  try {
    const next = deps.nextRuns(job, 3);
    intervalMs = 0;
    for (let i = 1; i < next.length; i++) intervalMs = Math.max(intervalMs, next[i]!.getTime() - next[i - 1]!.getTime());
    if (intervalMs === 0) intervalMs = 24 * 3_600_000;
  } catch {
    return { since: lastGood?.startedAt ?? null };
  }
  if (!lastGood) return { since: null };
  const at = (lastGood.finishedAt ?? lastGood.startedAt).getTime();
  return now.getTime() - at > INTERVALS_BEFORE_WARNING * intervalMs + GRACE_MS ? { since: lastGood.startedAt } : null;
}
