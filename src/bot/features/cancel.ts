import { Composer } from "grammy";
import type { Dialogs } from "../conversations/index.js";
import type { BotContext } from "../context.js";

/**
 * /cancel, the only handler of it: leaves whatever the chat is in the middle of — a guided
 * dialog (its secrets forgotten) or a text prompt of a menu (a schedule, a restore
 * confirmation, a key). Installed ahead of the dialogs, so no dialog takes it for an answer.
 */
export function cancelFeature(dialogs: Dialogs): Composer<BotContext> {
  const c = new Composer<BotContext>();
  c.command("cancel", async (ctx) => {
    const prompted = ctx.session.prompt !== undefined;
    delete ctx.session.prompt;
    if (await dialogs.leave(ctx)) return void (await ctx.reply(ctx.t("conv-cancelled")));
    await ctx.reply(prompted ? ctx.t("cancel-done") : ctx.t("cancel-nothing"), { reply_markup: { remove_keyboard: true } });
  });
  return c;
}
