import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { I18n, I18nConfig } from "@grammyjs/i18n";
import { lazyRequire } from "./lazy.js";
import type { Context } from "grammy";

/** `locales/<lang>/<feature>.ftl`, found from both src/ and dist/. */
export const LOCALES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../locales");
export const DEFAULT_LOCALE = "en";

/** The languages the UI speaks: one folder each under locales/. */
export const LOCALES: readonly string[] = readdirSync(LOCALES_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

export type TranslateParams = Record<string, string | number>;
/** Looks up a message in a locale (falling back to English). Every user-facing text goes through one of these. */
export type Translate = (locale: string, key: string, params?: TranslateParams) => string;

/** `options.localeNegotiator` picks a user's locale (the bot uses the `/lang` choice stored in settings). */
export function createI18n<C extends Context = Context>(options: Pick<I18nConfig<C>, "localeNegotiator"> = {}): I18n<C> {
  // useIsolating: false keeps Unicode isolation marks out of file names and numbers in messages.
  const { I18n } = lazyRequire("@grammyjs/i18n") as typeof import("@grammyjs/i18n");
  return new I18n<C>({ defaultLocale: DEFAULT_LOCALE, directory: LOCALES_DIR, fluentBundleOptions: { useIsolating: false }, ...options });
}

export function translator(i18n: I18n<never> | I18n<Context>): Translate {
  return (locale, key, params) => i18n.t(i18n.locales.includes(locale) ? locale : DEFAULT_LOCALE, key, params);
}
