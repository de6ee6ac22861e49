import { Composer } from "grammy";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { answer, errorText, num, show } from "../../helpers.js";
import { backToJobKeyboard, confirmDeleteKeyboard, jobListKeyboard, jobsCb, jobsPattern } from "../../keyboards/jobs.js";
import { findJob } from "./card.js";

/** The card's Delete, with a confirmation. */
export function jobDeleteFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.callbackQuery(jobsPattern.del, async (ctx) => {
    await answer(ctx);
    const job = findJob(deps, num(ctx.match));
    if (!job) return void (await show(ctx, ctx.t("error-not-found")));
    await show(ctx, ctx.t("job-delete-confirm", { job: job.name }), confirmDeleteKeyboard(ctx.t, jobsCb.delConfirm(job.id), jobsCb.open(job.id)));
  });

  c.callbackQuery(jobsPattern.delConfirm, async (ctx) => {
    const job = findJob(deps, num(ctx.match));
    if (!job) {
      await answer(ctx);
      return void (await show(ctx, ctx.t("error-not-found")));
    }
    try {
      deps.jobs.delete(job.id);
      deps.jobsChanged?.();
      await answer(ctx, ctx.t("job-deleted-toast"));
      await show(ctx, ctx.t("job-deleted", { job: job.name }), jobListKeyboard(deps.jobs.list(), 0));
    } catch (err) {
      await answer(ctx);
      await show(ctx, errorText(ctx, err), backToJobKeyboard(ctx.t, job.id));
    }
  });

  return c;
}
