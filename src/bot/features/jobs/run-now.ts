import { Composer } from "grammy";
import type { BotContext } from "../../context.js";
import { JobBusyError, type BotDeps } from "../../deps.js";
import { clip } from "../../format.js";
import { answer, commandArg, num, show } from "../../helpers.js";
import { backToJobKeyboard, jobListKeyboard, jobsCb, jobsPattern } from "../../keyboards/jobs.js";
import { backupProgressText, backupResultText, LiveMessage } from "../../progress.js";
import type { BackgroundTasks } from "../../tasks.js";
import { findJob } from "./card.js";

/** /runnow [job] and the card's Run now: a backup in the background with one live progress message. */
export function runNowFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.command("runnow", async (ctx) => {
    const arg = commandArg(ctx);
    if (!arg) {
      const jobs = deps.jobs.list();
      if (jobs.length === 0) return void (await ctx.reply(ctx.t("jobs-empty")));
      await ctx.reply(ctx.t("runnow-pick"), { reply_markup: jobListKeyboard(jobs, 0, jobsCb.run, jobsCb.runList) });
      return;
    }
    const row = deps.jobs.findRow(arg);
    if (!row) return void (await ctx.reply(ctx.t("jobs-unknown", { name: clip(arg, 64) })));
    await startRun(ctx, deps, tasks, row.id, row.name);
  });

  c.callbackQuery(jobsPattern.runList, async (ctx) => {
    await answer(ctx);
    await show(ctx, ctx.t("runnow-pick"), jobListKeyboard(deps.jobs.list(), num(ctx.match), jobsCb.run, jobsCb.runList));
  });

  c.callbackQuery(jobsPattern.run, async (ctx) => {
    const job = findJob(deps, num(ctx.match));
    if (!job) return void (await answer(ctx, ctx.t("error-not-found")));
    await answer(ctx, ctx.t("runnow-started-toast"));
    await startRun(ctx, deps, tasks, job.id, job.name);
  });

  return c;
}

/**
 * Posts a progress message and runs the job in the background (the chat stays usable);
 * the message is edited as the run advances and ends with the result.
 */
async function startRun(ctx: BotContext, deps: BotDeps, tasks: BackgroundTasks, jobId: number, jobName: string): Promise<void> {
  const t = ctx.t;
  const first = backupProgressText(t, jobName, null);
  const msg = await ctx.reply(first);
  const live = new LiveMessage(ctx.api, msg.chat.id, msg.message_id, first, { intervalMs: deps.progressIntervalMs, log: deps.log });
  tasks.start(`run ${jobName}`, async () => {
    try {
      let recorded = false;
      const result = await deps.runJob(jobId, "manual", (p) => {
        // Recorded with the run, so start-up recovery can finalize the message after a crash.
        if (!recorded) deps.runs.setProgressMessage(p.runId, msg.chat.id, msg.message_id);
        recorded = true;
        live.update(backupProgressText(t, jobName, p));
      });
      await live.finish(backupResultText(t, result), backToJobKeyboard(t, jobId));
    } catch (err) {
      if (err instanceof JobBusyError) {
        await live.finish(err.state === "stopped" ? t("runnow-stopping", { job: jobName }) : t("runnow-busy", { job: jobName }));
        return;
      }
      deps.log.error({ err, job: jobName }, "bot: run now failed");
      await live.finish(t("progress-error", { job: jobName, reason: clip((err as Error).message ?? String(err), 500) }));
    }
  });
}
