import { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** Last in the chain: whatever nobody handled gets a hint instead of silence. */
export function unhandledFeature(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  // A button from an old message whose screen no longer exists.
  c.on("callback_query", async (ctx) => {
    await ctx.answerCallbackQuery({ text: ctx.t("unhandled-button") }).catch(() => {});
  });
  c.on("message", async (ctx) => {
    const text = ctx.message.text ?? "";
    await ctx.reply(text.startsWith("/") ? ctx.t("unhandled-command") : ctx.t("unhandled-message"));
  });
  return c;
}
