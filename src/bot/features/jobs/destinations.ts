import { Composer } from "grammy";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import { answer, errorText, num, show } from "../../helpers.js";
import { jobDestinationsKeyboard, jobsPattern } from "../../keyboards/jobs.js";
import { findJob } from "./card.js";

/** The card's Edit destinations: one toggle per destination; a job keeps at least one. */
export function jobDestinationsFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();

  c.callbackQuery(jobsPattern.dests, async (ctx) => {
    await answer(ctx);
    await showDestinations(ctx, deps, num(ctx.match));
  });

  c.callbackQuery(jobsPattern.toggleDest, async (ctx) => {
    const job = findJob(deps, num(ctx.match));
    const destId = num(ctx.match, 2);
    if (!job) return void (await answer(ctx, ctx.t("error-not-found")));
    const dest = deps.destinations.list().find((d) => d.id === destId);
    if (!dest) return void (await answer(ctx, ctx.t("error-not-found")));
    const on = job.destinationIds.includes(destId);
    const names = on ? job.destinations.filter((n) => n !== dest.name) : [...job.destinations, dest.name];
    if (names.length === 0) return void (await answer(ctx, ctx.t("job-dests-need-one"), true));
    try {
      deps.jobs.update(job.id, { destinations: names });
      deps.jobsChanged?.();
      await answer(ctx);
    } catch (err) {
      await answer(ctx, errorText(ctx, err), true);
    }
    await showDestinations(ctx, deps, job.id);
  });

  return c;
}

async function showDestinations(ctx: BotContext, deps: BotDeps, id: number): Promise<void> {
  const job = findJob(deps, id);
  if (!job) return show(ctx, ctx.t("error-not-found"));
  const all = deps.destinations.list().map((d) => ({ id: d.id, name: d.name }));
  await show(ctx, ctx.t("job-dests-title", { job: job.name }), jobDestinationsKeyboard(ctx.t, job, all));
}
