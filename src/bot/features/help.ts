import { Composer } from "grammy";
import { commandMenu } from "../commands.js";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { localeOf } from "../locale.js";

/** /help: the command menu (the list registered with setMyCommands), in the user's language. */
export function helpFeature(deps: BotDeps): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("help", async (ctx) => {
    const lines = commandMenu(deps.translate, await localeOf(ctx)).map(({ command, description }) => `/${command} — ${description}`);
    await ctx.reply(`${ctx.t("help-title")}\n\n${lines.join("\n")}\n\n${ctx.t("help-footer")}`);
  });
  return c;
}
