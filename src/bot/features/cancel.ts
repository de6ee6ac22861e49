import { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** /cancel: leaves whatever the chat is in the middle of (a prompt of a menu, a guided dialog). */
export function cancelFeature(): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("cancel", async (ctx) => {
    let cancelled = ctx.session.prompt !== undefined;
    delete ctx.session.prompt;
    // ctx.conversation exists once src/bot/conversations/ installed the conversations plugin.
    const conversation = (ctx as Partial<BotContext>).conversation;
    if (conversation && Object.keys(conversation.active()).length > 0) {
      await conversation.exitAll();
      cancelled = true;
    }
    await ctx.reply(cancelled ? ctx.t("cancel-done") : ctx.t("cancel-nothing"), { reply_markup: { remove_keyboard: true } });
  });
  return c;
}
