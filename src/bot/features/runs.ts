import { Composer, InlineKeyboard } from "grammy";
import type { RunRow } from "../../db/schema.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { clip, formatTime } from "../format.js";
import { answer, commandArg, num, show } from "../helpers.js";
import { localeOf } from "../locale.js";
import { addPager, pageOf } from "../keyboards/common.js";
import { jobsCb } from "../keyboards/jobs.js";
import { restoreCb } from "../keyboards/restore.js";
import { runsCb, runsPattern } from "../keyboards/runs.js";
import { runSummary } from "../views.js";
import { renderTranslatable } from "../../shared/translatable.js";

export const RUNS_PAGE_SIZE = 6;

/** /logs [job] and a job's History button: run history, newest first, paginated. */
export function runsFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.command("logs", async (ctx) => {
    const arg = commandArg(ctx);
    if (!arg) return showRuns(ctx, deps, 0, 0);
    const row = deps.jobs.findRow(arg);
    if (!row) return void (await ctx.reply(ctx.t("jobs-unknown", { name: clip(arg, 64) })));
    await showRuns(ctx, deps, row.id, 0);
  });

  c.callbackQuery(runsPattern.page, async (ctx) => {
    await answer(ctx);
    await showRuns(ctx, deps, num(ctx.match), num(ctx.match, 2));
  });

  // Runs of deleted jobs stay readable: the rows keep the job's name.
  c.callbackQuery(runsPattern.deleted, async (ctx) => {
    await answer(ctx);
    const deleted = deps.runs.orphanJobs();
    const p = pageOf(deleted, num(ctx.match));
    const kb = new InlineKeyboard();
    for (const d of p.items) kb.text(ctx.t("logs-deleted-job-button", { job: d.jobName }), runsCb.deletedJob(d.lastRunId, 0)).row();
    addPager(kb, p.page, p.pages, runsCb.deleted);
    kb.row().text(ctx.t("btn-back"), runsCb.page(0, 0));
    await show(ctx, deleted.length > 0 ? ctx.t("logs-deleted-title") : ctx.t("logs-deleted-none"), kb);
  });

  c.callbackQuery(runsPattern.deletedJob, async (ctx) => {
    await answer(ctx);
    const named = deps.runs.get(num(ctx.match));
    if (!named || named.jobId != null) return show(ctx, ctx.t("error-not-found"));
    await showRuns(ctx, deps, 0, num(ctx.match, 2), named);
  });

  return c;
}

/**
 * One page of history: every job's runs (`jobId` 0), one job's, or a deleted job's (`deleted`:
 * any run of it). Ordered by run id (the sequence), times in one zone named on the screen: the
 * job's, or the default zone when the page mixes jobs or the job is gone.
 */
async function showRuns(ctx: BotContext, deps: BotDeps, jobId: number, page: number, deleted?: RunRow): Promise<void> {
  const job = jobId ? deps.jobs.findRow(jobId) : null;
  if (jobId && !job) return show(ctx, ctx.t("error-not-found"));
  const offset = page * RUNS_PAGE_SIZE;
  const fetched: RunRow[] = job
    ? deps.runs.listByJob(job.id, RUNS_PAGE_SIZE + 1, offset)
    : deleted
      ? deps.runs.listOrphans(deleted.jobName, RUNS_PAGE_SIZE + 1, offset)
      : deps.runs.list(RUNS_PAGE_SIZE + 1, offset);
  const hasNext = fetched.length > RUNS_PAGE_SIZE;
  const runs = fetched.slice(0, RUNS_PAGE_SIZE);
  const kb = new InlineKeyboard();
  // A run that can be restored gets its actions (restore, verify, send me the file).
  runs.filter((r) => r.status === "success" && !r.expiredAt).forEach((r, i) => {
    if (i > 0 && i % 3 === 0) kb.row();
    kb.text(ctx.t("logs-run-actions-button", { run: String(r.id) }), restoreCb.actions(r.id));
  });
  addPager(kb, page, { hasNext }, (p) => (deleted ? runsCb.deletedJob(deleted.id, p) : runsCb.page(jobId, p)));
  if (job) kb.row().text(ctx.t("btn-open-job"), jobsCb.open(job.id));
  if (deleted) kb.row().text(ctx.t("btn-back"), runsCb.deleted(0));
  if (!job && !deleted && page === 0 && deps.runs.orphanJobs().length > 0) kb.row().text(ctx.t("logs-deleted-button"), runsCb.deleted(0));
  if (runs.length === 0) {
    const empty = page > 0 ? ctx.t("logs-page-empty") : job ? ctx.t("logs-empty-job", { job: job.name }) : ctx.t("logs-empty");
    return show(ctx, empty, kb);
  }
  const locale = await localeOf(ctx);
  const tz = job?.timezone || deps.defaultTimezone;
  // Marks: copies the channel watchdog found lost, and the restore drills of each run.
  const lost = deps.partChecks?.lostByRun(runs.map((r) => r.id)) ?? new Map<number, number>();
  const drills = deps.history?.drillsOf(runs.map((r) => r.id)) ?? [];
  const blocks = runs.map((run) => {
    const lines = [
      ctx.t("logs-run-head", { run: String(run.id), job: run.jobName, trigger: ctx.t(`trigger-${run.trigger}`) }),
      runSummary(ctx.t, run, locale, tz),
    ];
    if (run.partCount != null && run.status === "success") lines.push(ctx.t("logs-run-parts", { parts: run.partCount, file: run.fileName ?? "" }));
    if (run.expiredAt) lines.push(ctx.t("logs-run-expired"));
    if (run.error) {
      // The stored reason in the reader's language; the English text only for a run recorded without a key.
      const error = run.errorKey ? renderTranslatable((_locale, key, params) => ctx.t(key, params), "", { key: run.errorKey, params: run.errorParams ?? undefined }) : run.error;
      lines.push(ctx.t("run-error-line", { error: clip(error, 300) }));
    }
    const drill = drills.find((d) => d.runId === run.id);
    if (drill) {
      const key = drill.status !== "passed" ? "logs-drill-failed" : drill.level === "partial" ? "logs-drill-partial" : "logs-drill-passed";
      lines.push(ctx.t(key, { when: formatTime(drill.finishedAt ?? drill.startedAt, locale, tz) }));
    }
    if (lost.has(run.id)) lines.push(ctx.t("logs-watchdog-lost", { count: lost.get(run.id)! }));
    return lines.join("\n");
  });
  const title = job ? ctx.t("logs-title-job", { job: job.name }) : deleted ? ctx.t("logs-title-deleted-job", { job: deleted.jobName }) : ctx.t("logs-title");
  await show(ctx, `${title}\n${ctx.t("screen-times-zone", { zone: tz })}\n\n${blocks.join("\n\n")}`, kb);
}
