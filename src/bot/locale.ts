import type { Context } from "grammy";
import { seenLocaleKey } from "../app.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import { DEFAULT_LOCALE } from "../i18n.js";
import type { BotContext } from "./context.js";

/** Settings key of a user's `/lang` choice. */
export const langKey = (userId: number): string => `lang.${userId}`;

/**
 * The user's language: their `/lang` choice, else their Telegram app language when the bot
 * speaks it, else English. The i18n middleware asks this once per update. An admin's app language
 * is remembered (`seenLocaleKey`), so alerts the bot sends on its own speak it too.
 */
export function negotiateLocale(settings: SettingsRepo, supported: readonly string[], ctx: Context, remember: (userId: number) => boolean = () => false): string {
  const id = ctx.from?.id;
  const code = ctx.from?.language_code?.toLowerCase().split("-")[0];
  const app = code && supported.includes(code) ? code : undefined;
  if (id !== undefined) {
    // Only for the people alerts go to (`remember`: the admins): a stranger's message writes nothing.
    if (app && remember(id) && settings.get(seenLocaleKey(id)) !== app) settings.set(seenLocaleKey(id), app);
    const chosen = settings.get(langKey(id));
    if (chosen && supported.includes(chosen)) return chosen;
  }
  return app ?? DEFAULT_LOCALE;
}

/** The language this update is answered in (what the i18n middleware negotiated; English before it ran). */
export async function localeOf(ctx: BotContext): Promise<string> {
  const i18n = (ctx as Partial<Pick<BotContext, "i18n">>).i18n;
  return (await i18n?.getLocale()) ?? DEFAULT_LOCALE;
}

/** The language the bot speaks to a user outside an update (alerts, the command menu): as `negotiateLocale` decided last. */
export function storedLocale(settings: SettingsRepo, supported: readonly string[], userId: number): string {
  for (const lang of [settings.get(langKey(userId)), settings.get(seenLocaleKey(userId))]) if (lang && supported.includes(lang)) return lang;
  return DEFAULT_LOCALE;
}
