import type { Context } from "grammy";
import type { SettingsRepo } from "../repos/settings.repo.js";
import { DEFAULT_LOCALE } from "../i18n.js";
import type { BotContext } from "./context.js";

/** Settings key of a user's `/lang` choice. */
export const langKey = (userId: number): string => `lang.${userId}`;

/**
 * The user's language: their `/lang` choice, else their Telegram app language when the bot
 * speaks it, else English. The i18n middleware asks this once per update.
 */
export function negotiateLocale(settings: SettingsRepo, supported: readonly string[], ctx: Context): string {
  const id = ctx.from?.id;
  if (id !== undefined) {
    const chosen = settings.get(langKey(id));
    if (chosen && supported.includes(chosen)) return chosen;
  }
  const app = ctx.from?.language_code?.toLowerCase().split("-")[0];
  return app && supported.includes(app) ? app : DEFAULT_LOCALE;
}

/** The language this update is answered in (what the i18n middleware negotiated; English before it ran). */
export async function localeOf(ctx: BotContext): Promise<string> {
  const i18n = (ctx as Partial<Pick<BotContext, "i18n">>).i18n;
  return (await i18n?.getLocale()) ?? DEFAULT_LOCALE;
}
