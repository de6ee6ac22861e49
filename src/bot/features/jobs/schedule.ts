import { Composer } from "grammy";
import { ValidationError } from "../../../services/errors.js";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { clip } from "../../format.js";
import { answer, num, show } from "../../helpers.js";
import { backToJobKeyboard, jobsPattern, scheduleKeyboard } from "../../keyboards/jobs.js";
import { localeOf } from "../../locale.js";
import { bullets, previewRuns, readSchedule, SCHEDULE_PRESETS } from "../../schedule-step.js";
import { jobTimezone } from "../../views.js";
import { findJob } from "./card.js";

/** The card's Edit schedule: the shared schedule step (a preset, or a typed cron line until one is accepted). */
export function jobScheduleFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.callbackQuery(jobsPattern.schedule, async (ctx) => {
    await answer(ctx);
    const job = findJob(deps, num(ctx.match));
    if (!job) return void (await show(ctx, ctx.t("error-not-found")));
    ctx.session.prompt = { kind: "schedule", jobId: job.id };
    await show(ctx, ctx.t("schedule-prompt", { job: job.name, schedule: job.schedule, timezone: jobTimezone(deps, job) }), scheduleKeyboard(ctx.t, job.id));
  });

  c.callbackQuery(jobsPattern.preset, async (ctx) => {
    await answer(ctx);
    const preset = SCHEDULE_PRESETS[num(ctx.match, 2)];
    if (preset === undefined) return;
    if (ctx.session.prompt?.kind === "schedule") delete ctx.session.prompt;
    await saveSchedule(ctx, deps, num(ctx.match), preset.cron);
  });

  c.on("message:text").filter(
    (ctx) => ctx.session.prompt?.kind === "schedule",
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "schedule") return;
      const ok = await saveSchedule(ctx, deps, prompt.jobId, ctx.message.text);
      if (ok) delete ctx.session.prompt;
    },
  );

  return c;
}

/** Validates and stores a new schedule; answers with the next three run times. False when refused. */
async function saveSchedule(ctx: BotContext, deps: BotDeps, jobId: number, text: string): Promise<boolean> {
  const job = findJob(deps, jobId);
  if (!job) {
    await ctx.reply(ctx.t("error-not-found"));
    return true;
  }
  const tz = jobTimezone(deps, job);
  const refuse = async (schedule: string, reason: string) => {
    await ctx.reply(ctx.t("schedule-invalid", { schedule: clip(schedule, 100), reason: clip(reason, 300) }));
    return false;
  };
  const locale = await localeOf(ctx);
  const read = readSchedule(text, tz, { locale, translate: deps.translate });
  if ("error" in read) return refuse(text.trim(), read.error);
  const schedule = read.ok;
  const next = previewRuns(deps, schedule, tz, locale);
  if ("error" in next) return refuse(schedule, next.error);
  if (next.ok.length === 0) return refuse(schedule, ctx.t("schedule-never"));
  try {
    deps.jobs.update(job.id, { schedule });
  } catch (err) {
    const reason = err instanceof ValidationError ? err.issues.map((i) => i.message).join("; ") : (err as Error).message;
    return refuse(schedule, reason);
  }
  deps.jobsChanged?.();
  await ctx.reply(ctx.t("schedule-saved", { job: job.name, schedule, timezone: tz, next: bullets(next.ok) }), { reply_markup: backToJobKeyboard(ctx.t, job.id) });
  return true;
}
