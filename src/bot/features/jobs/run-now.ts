import { Composer, InlineKeyboard } from "grammy";
import type { Progress } from "../../../engine/backup-runner.js";
import type { BotContext } from "../../context.js";
import { JobBusyError, type BotDeps } from "../../deps.js";
import { clip } from "../../format.js";
import { answer, commandArg, num, show } from "../../helpers.js";
import { localeOf } from "../../locale.js";
import { backToJobKeyboard, jobListKeyboard, jobsCb, jobsPattern } from "../../keyboards/jobs.js";
import { backupProgressText, backupQueuedText, backupResultText, LiveMessage } from "../../progress.js";
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

  // ⏹ Stop, under a progress message or on the card: the run ends `cancelled`, its parts removed.
  c.callbackQuery(jobsPattern.stop, async (ctx) => {
    const jobId = num(ctx.match);
    // Recorded with the run (callback queries always have a sender).
    const from = ctx.callbackQuery.from;
    const by = `${from.first_name}${from.username ? ` (@${from.username})` : ""}, id ${from.id}`;
    const stopped = deps.stopRun?.(jobId, by) ?? null;
    await answer(ctx, stopToast(ctx, stopped));
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

function stopToast(ctx: BotContext, stopped: "running" | "queued" | null): string {
  return ctx.t(stopped === "running" ? "stop-toast-running" : stopped === "queued" ? "stop-toast-queued" : "stop-toast-none");
}

/**
 * Posts a progress message and runs the job in the background (the chat stays usable);
 * the message is edited as the run advances and ends with the result. A run that has to wait
 * says whom it waits behind; while it runs or waits, the message carries ⏹ Stop.
 */
async function startRun(ctx: BotContext, deps: BotDeps, tasks: BackgroundTasks, jobId: number, jobName: string): Promise<void> {
  const t = ctx.t;
  const locale = await localeOf(ctx);
  let live: LiveMessage | undefined;
  let latest: Progress | null = null;
  let recorded = false;
  let behind: string[] | null = null;
  const record = (p: Progress, chatId: number, messageId: number) => {
    // Recorded with the run, so start-up recovery can finalize the message after a crash.
    if (!recorded) deps.runs.setProgressMessage(p.runId, chatId, messageId);
    recorded = true;
  };
  // This chat shows the result: its admin gets no second message for it from the alerts.
  const shown = ctx.chat ? deps.resultShownIn?.(jobId, ctx.chat.id) : undefined;
  // runJob queues the run before it returns (onQueued is called by then); progress may come before the message exists.
  const done = deps.runJob(jobId, "manual", (p) => {
    latest = p;
    if (!live) return;
    record(p, live.chatId, live.messageId);
    live.update(backupProgressText(t, jobName, p, locale));
  }, (names) => (behind = names));
  // Awaited below, in the background task; a refused run (busy) shows no result here.
  done.catch(() => shown?.());
  const stop = deps.stopRun ? new InlineKeyboard().text(t("btn-stop"), jobsCb.stop(jobId)) : undefined;
  const first = behind ? backupQueuedText(t, jobName, behind) : backupProgressText(t, jobName, latest, locale);
  const msg = await ctx.reply(first, stop ? { reply_markup: stop } : {});
  const message = new LiveMessage(ctx.api, msg.chat.id, msg.message_id, first, { intervalMs: deps.progressIntervalMs, log: deps.log, keyboard: stop });
  live = message;
  const seen = latest as Progress | null;
  if (seen) {
    record(seen, msg.chat.id, msg.message_id);
    message.update(backupProgressText(t, jobName, seen, locale));
  }
  tasks.start(`run ${jobName}`, async () => {
    try {
      const result = await done;
      shown?.();
      await message.finish(backupResultText(t, result, locale), backToJobKeyboard(t, jobId));
    } catch (err) {
      if (err instanceof JobBusyError) {
        const key = err.state === "stopped" ? "runnow-stopping" : err.state === "cancelled" ? "runnow-cancelled" : "runnow-busy";
        await message.finish(t(key, { job: jobName }), err.state === "cancelled" ? backToJobKeyboard(t, jobId) : undefined);
        return;
      }
      deps.log.error({ err, job: jobName }, "bot: run now failed");
      await message.finish(t("progress-error", { job: jobName, reason: clip((err as Error).message ?? String(err), 500) }));
    }
  });
}
