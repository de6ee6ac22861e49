import { Composer } from "grammy";
import { COMMANDS, commandDescriptionKey } from "../commands.js";
import type { BotContext } from "../context.js";

/** /help: every command with its description, in the user's language. */
export function helpFeature(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("help", async (ctx) => {
    const lines = COMMANDS.map((command) => `/${command} — ${ctx.t(commandDescriptionKey(command))}`);
    await ctx.reply(`${ctx.t("help-title")}\n\n${lines.join("\n")}\n\n${ctx.t("help-footer")}`);
  });
  return c;
}
