import { Composer } from "grammy";
import type { BotContext } from "../../context.js";
import type { BotDeps } from "../../deps.js";
import type { BackgroundTasks } from "../../tasks.js";
import { proceed } from "./keys.js";
import { restorableRun } from "./restorable.js";

/** Replacing a source's content starts only once the user types the target's name exactly. */
export function confirmFeature(deps: BotDeps, tasks: BackgroundTasks): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.on("message:text").filter(
    (ctx) => ctx.session.prompt?.kind === "restore-confirm",
    async (ctx) => {
      const prompt = ctx.session.prompt;
      if (prompt?.kind !== "restore-confirm") return;
      if (ctx.message.text.trim() !== prompt.targetName) {
        await ctx.reply(ctx.t("restore-confirm-mismatch", { target: prompt.targetName }));
        return;
      }
      delete ctx.session.prompt;
      const run = restorableRun(deps, prompt.runId);
      if (!run) return void (await ctx.reply(ctx.t("restore-run-gone")));
      await proceed(ctx, deps, tasks, run, prompt.target, prompt.targetName);
    },
  );

  return c;
}
