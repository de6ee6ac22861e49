import type { MiddlewareFn } from "grammy";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";

/** How many refused users are remembered (so each gets one refusal, not one per message). */
const REMEMBERED_REFUSALS = 10_000;

/**
 * Lets only updates from a user's own private chat with the bot through: channel posts, group
 * and supergroup messages, anything without a chat or sender, and a private chat that is not
 * the sender's own (a business-connection or otherwise relayed update) are dropped without a word.
 */
export const privateChatsOnly: MiddlewareFn<BotContext> = async (ctx, next) => {
  if (ctx.chat?.type === "private" && ctx.from !== undefined && ctx.chat.id === ctx.from.id) await next();
};

/**
 * Only ADMIN_IDS pass. Anyone else gets one polite refusal that names nothing the bot manages
 * (and then silence), and every attempt is logged with the user's id.
 */
export function adminOnly(deps: Pick<BotDeps, "adminIds" | "log">): MiddlewareFn<BotContext> {
  const admins = new Set(deps.adminIds);
  const refused = new Set<number>();
  return async (ctx, next) => {
    const user = ctx.from;
    if (user && !user.is_bot && admins.has(user.id)) {
      await next();
      return;
    }
    deps.log.warn(
      { userId: user?.id, username: user?.username, updateId: ctx.update.update_id, kind: ctx.callbackQuery ? "callback" : ctx.message ? "message" : "other" },
      "bot: access refused (user is not in ADMIN_IDS)",
    );
    if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => {});
    if (!user || refused.has(user.id)) return;
    if (refused.size >= REMEMBERED_REFUSALS) refused.clear();
    refused.add(user.id);
    await ctx.reply(ctx.t("auth-refused", { id: String(user.id) }));
  };
}
