import type { Context } from "grammy";
import type { SettingsRepo } from "../repos/settings.repo.js";
import { DEFAULT_LOCALE } from "../i18n.js";

/** Settings key of a user's `/lang` choice. */
export const langKey = (userId: number): string => `lang.${userId}`;

/**
 * The user's language: their `/lang` choice, else their Telegram app language when the bot
 * speaks it, else English.
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
