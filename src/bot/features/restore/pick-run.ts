import { Composer, InlineKeyboard } from "grammy";
import { formatBytes } from "../../../shared/format.js";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { formatTime } from "../../format.js";
import { answer, num, show } from "../../helpers.js";
import { addPager, pageOf } from "../../keyboards/common.js";
import { jobListKeyboard } from "../../keyboards/jobs.js";
import { restoreCb, restorePattern } from "../../keyboards/restore.js";
import { localeOf } from "../../locale.js";
import { restorableRuns } from "./restorable.js";

/** /restore's first screens: pick a job, then one of its restorable runs. */
export function pickRunFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  const showJobs = async (ctx: BotContext, page: number) => {
    const jobs = deps.jobs.list();
    if (jobs.length === 0) return show(ctx, ctx.t("jobs-empty"));
    await show(ctx, ctx.t("restore-pick-job"), jobListKeyboard(jobs, page, (id) => restoreCb.job(id, 0), restoreCb.jobs));
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
    const runs = restorableRuns(deps, job.id);
    const back = new InlineKeyboard().text(ctx.t("btn-back"), restoreCb.jobs(0));
    if (runs.length === 0) return show(ctx, ctx.t("restore-no-runs", { job: job.name }), back);
    const locale = await localeOf(ctx);
    const tz = job.timezone ?? deps.defaultTimezone;
    const p = pageOf(runs, num(ctx.match, 2));
    const kb = new InlineKeyboard();
    for (const run of p.items) {
      kb.text(ctx.t("restore-run-button", { run: String(run.id), when: formatTime(run.startedAt, locale, tz), size: formatBytes(run.payloadSize ?? 0) }), restoreCb.run(run.id)).row();
    }
    addPager(kb, p.page, p.pages, (page) => restoreCb.job(job.id, page));
    kb.row().text(ctx.t("btn-back"), restoreCb.jobs(0));
    await show(ctx, ctx.t("restore-pick-run", { job: job.name }), kb);
  });

  return c;
}
