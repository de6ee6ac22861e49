import { Composer, InlineKeyboard } from "grammy";
import type { RunRow } from "../../../db/schema.js";
import { formatBytes } from "../../../shared/format.js";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { formatTime, speakerOf } from "../../format.js";
import { answer, num, show } from "../../helpers.js";
import { addPager, pageOf } from "../../keyboards/common.js";
import { jobListKeyboard } from "../../keyboards/jobs.js";
import { restoreCb, restorePattern } from "../../keyboards/restore.js";
import { localeOf } from "../../locale.js";
import { deletedJobsWithRuns, restorableOrphans, restorableRuns } from "./restorable.js";

/**
 * /restore's first screens: pick a job (or one of the deleted jobs whose backups remain), then
 * one of its restorable runs, newest (highest id) first, times in the job's zone, named once.
 */
export function pickRunFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  const showJobs = async (ctx: BotContext, page: number) => {
    const jobs = deps.jobs.list();
    const deleted = deletedJobsWithRuns(deps);
    if (jobs.length === 0 && deleted.length === 0) return show(ctx, ctx.t("jobs-empty"));
    const kb = jobListKeyboard(jobs, page, (id) => restoreCb.job(id, 0), restoreCb.jobs);
    if (deleted.length > 0) kb.row().text(ctx.t("restore-deleted-jobs-button", { count: deleted.length }), restoreCb.deleted(0));
    await show(ctx, ctx.t("restore-pick-job"), kb);
  };

  c.command("restore", (ctx) => showJobs(ctx, 0));
  c.callbackQuery(restorePattern.jobs, async (ctx) => {
    await answer(ctx);
    await showJobs(ctx, num(ctx.match));
  });

  c.callbackQuery(restorePattern.job, async (ctx) => {
    await answer(ctx);
    const job = deps.jobs.findRow(num(ctx.match));
    if (!job) return show(ctx, ctx.t("error-not-found"));
    const tz = job.timezone || deps.defaultTimezone;
    await showRuns(ctx, job.name, restorableRuns(deps, job.id), tz, num(ctx.match, 2), (page) => restoreCb.job(job.id, page), restoreCb.jobs(0));
  });

  c.callbackQuery(restorePattern.deleted, async (ctx) => {
    await answer(ctx);
    const deleted = deletedJobsWithRuns(deps);
    const back = new InlineKeyboard().text(ctx.t("btn-back"), restoreCb.jobs(0));
    if (deleted.length === 0) return show(ctx, ctx.t("restore-deleted-none"), back);
    const p = pageOf(deleted, num(ctx.match));
    const kb = new InlineKeyboard();
    for (const d of p.items) kb.text(ctx.t("restore-deleted-job-button", { job: d.jobName, count: d.count }), restoreCb.deletedJob(d.runId, 0)).row();
    addPager(kb, p.page, p.pages, restoreCb.deleted);
    kb.row().text(ctx.t("btn-back"), restoreCb.jobs(0));
    await show(ctx, ctx.t("restore-deleted-title"), kb);
  });

  c.callbackQuery(restorePattern.deletedJob, async (ctx) => {
    await answer(ctx);
    const named = deps.runs.get(num(ctx.match));
    // Only a run whose job is gone names a deleted job.
    if (!named || named.jobId != null) return show(ctx, ctx.t("error-not-found"));
    const runs = restorableOrphans(deps, named.jobName);
    await showRuns(ctx, ctx.t("restore-deleted-job-name", { job: named.jobName }), runs, deps.defaultTimezone, num(ctx.match, 2), (page) => restoreCb.deletedJob(named.id, page), restoreCb.deleted(0));
  });

  return c;
}

async function showRuns(ctx: BotContext, jobLabel: string, runs: RunRow[], tz: string, page: number, pageData: (page: number) => string, backData: string): Promise<void> {
  const back = new InlineKeyboard().text(ctx.t("btn-back"), backData);
  if (runs.length === 0) return show(ctx, ctx.t("restore-no-runs", { job: jobLabel }), back);
  const locale = await localeOf(ctx);
  const p = pageOf(runs, page);
  const kb = new InlineKeyboard();
  for (const run of p.items) {
    kb.text(ctx.t("restore-run-button", { run: String(run.id), when: formatTime(run.startedAt, locale, tz), size: formatBytes(run.payloadSize ?? 0, speakerOf(ctx.t, locale)) }), restoreCb.run(run.id)).row();
  }
  addPager(kb, p.page, p.pages, pageData);
  kb.row().text(ctx.t("btn-back"), backData);
  await show(ctx, `${ctx.t("restore-pick-run", { job: jobLabel })}\n${ctx.t("screen-times-zone", { zone: tz })}`, kb);
}
