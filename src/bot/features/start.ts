import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";

/** /start: a greeting and where to begin (first steps when nothing is configured yet). */
export function startFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("start", async (ctx) => {
    const empty = deps.jobs.list().length === 0;
    await ctx.reply(ctx.t("start-welcome", { name: ctx.from?.first_name ?? "" }));
    await ctx.reply(empty ? ctx.t("start-first-steps") : ctx.t("start-overview", { jobs: deps.jobs.list().length, sources: deps.sources.list().length, destinations: deps.destinations.list().length }));
  });
  return c;
}
