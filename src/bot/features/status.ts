import { Composer, InlineKeyboard } from "grammy";
import type { RunRow } from "../../db/schema.js";
import { CLOCK_SKEW_CONFIRM_PATTERN, clockSkewConfirmData } from "../../notify/port.js";
import type { HistoryEntry } from "../../repos/history.repo.js";
import type { JobView } from "../../services/jobs.service.js";
import { dateFormat } from "../../shared/format.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { clip, formatTime } from "../format.js";
import { answer, num, replyBlocks, show } from "../helpers.js";
import { localeOf } from "../locale.js";
import { jobListKeyboard } from "../keyboards/jobs.js";
import { isUnverifiedSuccess, jobTimezone, runIcon, runStatusText } from "../views.js";

/** Results in a job's history strip. */
export const STRIP_LENGTH = 14;
/** A job is overdue when its last success is older than this many schedule intervals (plus a grace period). */
const INTERVALS_BEFORE_WARNING = 2;
const GRACE_MS = 15 * 60_000;

/**
 * What /status says of a job, one state each, worst first. The headline counts these same
 * states, so it can never disagree with the list below it.
 */
export const JOB_STATES = ["failed", "lost", "unverified", "stale", "skew", "disabled", "ok"] as const;
export type JobState = (typeof JOB_STATES)[number];
export const STATE_ICON: Record<JobState, string> = { failed: "❌", lost: "🧩", unverified: "⚠️", stale: "⏰", skew: "🕰", disabled: "⏸", ok: "✅" };

const DIGEST_OPEN = "digest:open";
const DIGEST_TOGGLE = /^digest:t:(\d+)$/;

/**
 * /status: every job on one screen — its state, a strip of its last results (runs and drills),
 * the last run, the next one, the last proven restore and when its stored copies were last
 * re-checked — under a headline counting the same states. Warnings: no recent good backup (a
 * success read back in full), a last run that failed or was not read back, copies the watchdog
 * found lost, pruning paused by a clock error (with the button that confirms the clock is right).
 */
export function statusFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("status", async (ctx) => {
    const jobs = deps.jobs.list();
    if (jobs.length === 0) return void (await ctx.reply(ctx.t("jobs-empty")));
    const locale = await localeOf(ctx);
    const live = new Map((deps.jobStatus?.() ?? []).map((s) => [s.id, s]));
    const now = deps.clock?.now() ?? new Date();
    const copies = deps.partChecks?.byJob() ?? new Map();
    const counts = new Map<JobState, number>();
    const keyboard = jobListKeyboard(jobs, 0);
    const paused: JobView[] = [];
    const blocks = jobs.map((job) => {
      // Two rows per job, not its history: mapping 200 rows a job held the bot for tens of milliseconds per /status.
      const last = deps.runs.listByJob(job.id, 1)[0];
      const tz = jobTimezone(deps, job);
      const when = (d: Date) => formatTime(d, locale, tz);
      const lines: string[] = [];
      const stale = job.enabled ? overdue(deps, job, deps.runs.lastVerifiedSuccess(job.id), now) : null;
      const unverified = last !== undefined && isUnverifiedSuccess(last);
      const skews = deps.skewGuard?.pending(job.id) ?? [];
      const copiesState = copies.get(job.id);
      const state = jobState({ enabled: job.enabled, last, stale: stale !== null, lostCopies: copiesState?.lost ?? 0, skews: skews.length });
      counts.set(state, (counts.get(state) ?? 0) + 1);
      lines.push(ctx.t("status-job-head", { icon: STATE_ICON[state], job: job.name }));
      const history = deps.history?.recent(job.id, STRIP_LENGTH) ?? [];
      if (history.length > 0) lines.push(history.map(stripIcon).join(""));
      const running = live.get(job.id)?.state;
      if (running === "running" || running === "queued") lines.push(ctx.t(`status-${running}`));
      const next = nextText(ctx, deps, job, (d) => when(d));
      lines.push(last ? ctx.t("status-last-next", { icon: runIcon(last), status: runStatusText(ctx.t, last), when: when(last.startedAt), next }) : ctx.t("status-never-next", { next }));
      if (last?.error && last.status !== "success") lines.push(ctx.t("run-error-line", { error: clip(last.error, 100) }));
      if (unverified) lines.push(ctx.t("status-warn-unverified", { run: String(last.id) }));
      if (stale) lines.push(stale.since ? ctx.t("status-warn-stale", { since: when(stale.since) }) : ctx.t("status-warn-never"));
      if (skews.length > 0) {
        lines.push(ctx.t("status-warn-clock-skew", { runs: skews.map((s) => `#${s.runId}`).join(", ") }));
        paused.push(job);
      }
      const proven = deps.history?.lastProvenRestore(job.id) ?? null;
      const checked = copiesState?.lastCheckedAt ?? null;
      const day = (d: Date) => shortDay(d, locale, tz, now);
      lines.push(ctx.t("status-proof", { proven: proven ? day(proven) : ctx.t("status-proof-never"), checked: checked ? day(checked) : ctx.t("status-proof-never") }));
      if (copiesState && copiesState.lost > 0) {
        lines.push(ctx.t("status-lost", { count: copiesState.lost, runs: copiesState.lostRuns.slice(0, 5).map((id: number) => `#${id}`).join(", ") }));
      }
      return lines.join("\n");
    });
    for (const job of paused) keyboard.row().text(ctx.t("status-btn-clock-ok", { job: job.name }), clockSkewConfirmData(job.id));
    if (deps.digest) keyboard.row().text(ctx.t("digest-btn-settings"), DIGEST_OPEN);
    const head = headline(ctx, jobs.length, counts);
    await replyBlocks(ctx, head, [...blocks, ctx.t("status-legend")], keyboard);
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

  // The weekly digest, opt-in per destination chat: one toggle per Telegram destination.
  c.callbackQuery(DIGEST_OPEN, async (ctx) => {
    await answer(ctx);
    await showDigestSettings(ctx, deps);
  });
  c.callbackQuery(DIGEST_TOGGLE, async (ctx) => {
    if (!deps.digest) return void (await answer(ctx, ctx.t("error-not-found")));
    const id = num(ctx.match);
    if (!deps.digest.destinations().some((d) => d.id === id)) return void (await answer(ctx, ctx.t("error-not-found")));
    const on = deps.digest.toggle(id);
    await answer(ctx, on ? ctx.t("digest-toggled-on") : ctx.t("digest-toggled-off"));
    await showDigestSettings(ctx, deps);
  });
  return c;
}

async function showDigestSettings(ctx: BotContext, deps: BotDeps): Promise<void> {
  const list = deps.digest?.destinations() ?? [];
  const kb = new InlineKeyboard();
  for (const d of list) kb.text(ctx.t(d.on ? "digest-btn-on" : "digest-btn-off", { name: d.name }), `digest:t:${d.id}`).row();
  await show(ctx, list.length > 0 ? ctx.t("digest-settings") : ctx.t("digest-settings-empty"), kb);
}

/** "6 Dec" (the year only when it is not this year's). */
function shortDay(at: Date, locale: string, timeZone: string, now: Date): string {
  const year = at.getUTCFullYear() !== now.getUTCFullYear() ? { year: "numeric" as const } : {};
  return dateFormat(locale === "ru" ? "ru-RU" : "en-GB", { timeZone, day: "numeric", month: "short", ...year }).format(at);
}

/** The next run in the short form, or why there is none. */
function nextText(ctx: BotContext, deps: BotDeps, job: JobView, when: (d: Date) => string): string {
  if (!job.enabled) return ctx.t("job-next-disabled");
  try {
    const next = deps.nextRuns(job, 1)[0];
    return next ? when(next) : ctx.t("job-next-none");
  } catch (err) {
    return ctx.t("job-next-invalid", { reason: clip((err as Error).message, 100) });
  }
}

/** The one state a job is in, worst first (see JOB_STATES). */
export function jobState(s: { enabled: boolean; last: Pick<RunRow, "status" | "verifiedAt"> | undefined; stale: boolean; lostCopies: number; skews: number }): JobState {
  if (!s.enabled) return "disabled";
  if (s.last && s.last.status !== "success" && s.last.status !== "running") return "failed";
  if (s.lostCopies > 0) return "lost";
  if (s.last && isUnverifiedSuccess(s.last)) return "unverified";
  if (s.stale) return "stale";
  if (s.skews > 0) return "skew";
  return "ok";
}

/** "📊 5 jobs, all backing up on time." or "📊 5 jobs · 3 need attention: ❌ 1 failed · ⏸ 1 disabled · …". */
function headline(ctx: BotContext, total: number, counts: Map<JobState, number>): string {
  const ok = counts.get("ok") ?? 0;
  if (ok === total) return ctx.t("status-headline-ok", { count: total });
  const parts = JOB_STATES.filter((s) => s !== "ok" && (counts.get(s) ?? 0) > 0).map((s) => ctx.t(`status-count-${s}`, { icon: STATE_ICON[s], count: counts.get(s)! }));
  return ctx.t("status-headline-attention", { count: total, attention: total - ok, ok, states: parts.join(" · ") });
}

/** One result in the strip: ✅ ⚠️ ❌ ⏹ for runs (⚠️ also for a success with anomalies), 🧪 / 🧨 for a drill that passed / failed. */
export function stripIcon(e: HistoryEntry): string {
  if (e.kind === "drill") return e.drill.status === "passed" ? "🧪" : "🧨";
  if (e.run.status === "success" && e.run.anomalies?.length) return "⚠️";
  return runIcon(e.run);
}

/**
 * Why an enabled job needs attention: it never had a good backup, or its last one is too old.
 * "Last" is the highest run id that succeeded and was read back in full; a run that was not
 * read back never counts. Null when fine.
 */
function overdue(deps: BotDeps, job: JobView, lastGood: RunRow | null, now: Date): { since: Date | null } | null {
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
