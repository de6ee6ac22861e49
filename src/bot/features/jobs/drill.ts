import { Composer } from "grammy";
import { drillText } from "../../../engine/drill.js";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { answer, errorText, num } from "../../helpers.js";
import { localeOf } from "../../locale.js";
import type { BackgroundTasks } from "../../tasks.js";
import { findJob } from "./card.js";

/** "🧪 Drill now" on the job card (src/application/drill.ts). */
export const drillCb = (id: number): string => `job:dr:${id}`;
const DRILL_PATTERN = /^job:dr:(\d+)$/;

/** A restore drill of the job now, in the background; the result is posted like a run result and shown in this chat. */
export function jobDrillFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.callbackQuery(DRILL_PATTERN, async (ctx) => {
    const job = findJob(deps, num(ctx.match));
    const drills = deps.drills;
    if (!job || !drills) return void (await answer(ctx, ctx.t("error-not-found")));
    if (!drills.newestGoodRun(job.id)) return void (await answer(ctx, ctx.t("drill-none", { job: job.name }), true));
    await answer(ctx, ctx.t("drill-started", { job: job.name }));
    const chat = ctx.chat?.id;
    const locale = await localeOf(ctx);
    const started = chat ? await ctx.api.sendMessage(chat, ctx.t("drill-started", { job: job.name })).catch(() => null) : null;
    tasks.start("drill", async (signal) => {
      let text: string;
      try {
        text = drillText(deps.translate, locale, await drills.drill(job.id, "manual", signal));
      } catch (err) {
        text = errorText(ctx, err);
      }
      if (chat && started) await ctx.api.editMessageText(chat, started.message_id, text).catch(() => ctx.api.sendMessage(chat, text));
    });
  });
  return c;
}
