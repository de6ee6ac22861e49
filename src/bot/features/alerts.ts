import { Composer } from "grammy";
import { ALERT_DISABLE_PATTERN } from "../../notify/port.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { answer, errorText, num } from "../helpers.js";
import { findJob } from "./jobs/card.js";

/**
 * The buttons under a failure alert (src/notify/telegram-notifier.ts). The job card and Run now
 * reuse the card's own callbacks (answered by the jobs feature); Disable is answered here and only
 * ever disables: an old alert pressed again never turns a job back on, as the card's toggle would.
 */
export function alertsFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.callbackQuery(ALERT_DISABLE_PATTERN, async (ctx) => {
    const job = findJob(deps, num(ctx.match));
    if (!job) return void (await answer(ctx, ctx.t("error-not-found")));
    if (!job.enabled) return void (await answer(ctx, ctx.t("alert-already-disabled-toast", { job: job.name })));
    try {
      deps.jobs.update(job.id, { enabled: false });
      deps.jobsChanged?.();
      await answer(ctx, ctx.t("alert-disabled-toast", { job: job.name }), true);
    } catch (err) {
      await answer(ctx, errorText(ctx, err), true);
    }
  });

  return c;
}
