import { Composer, InlineKeyboard } from "grammy";
import type { BotContext } from "../context.js";
import type { BotDeps } from "../deps.js";
import { answer, commandArg, show } from "../helpers.js";
import { cb } from "../keyboards/common.js";
import { langKey } from "../locale.js";

const pattern = /^lang:([a-z]{2,3})$/;

/** /lang: pick the bot's language; the choice is stored per user and survives restarts. */
export function langFeature(deps: BotDeps, supported: readonly string[]): Composer<BotContext> {
  const c = new Composer<BotContext>();

  const choose = async (ctx: BotContext, lang: string) => {
    if (!ctx.from || !supported.includes(lang)) return show(ctx, ctx.t("lang-unknown", { langs: supported.join(", ") }));
    deps.settings.set(langKey(ctx.from.id), lang);
    ctx.i18n.useLocale(lang);
    await show(ctx, ctx.t("lang-changed"));
  };

  c.command("lang", async (ctx) => {
    const arg = commandArg(ctx).toLowerCase();
    if (arg) return choose(ctx, arg);
    const kb = new InlineKeyboard();
    for (const lang of supported) kb.text(deps.translate(lang, "lang-name"), cb("lang", lang));
    await ctx.reply(ctx.t("lang-pick"), { reply_markup: kb });
  });

  c.callbackQuery(pattern, async (ctx) => {
    await answer(ctx);
    await choose(ctx, ctx.match[1] ?? "");
  });

  return c;
}
