import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { FluentBundle } from "@fluent/bundle";
import type { I18n, I18nConfig } from "@grammyjs/i18n";
import { lazyRequire } from "./lazy.js";
import { packageFile } from "./shared/package-root.js";
import type { Context } from "grammy";

/** `locales/<lang>/<feature>.ftl`, shipped beside package.json. */
export const LOCALES_DIR = packageFile("locales");
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

/**
 * One language's bundle on Fluent's core: the named .ftl files of `locales/<locale>/` (all of
 * them by default), sorted and joined into one resource as the bot's i18n plugin joins them.
 */
export function fluentBundle(locale: string, files?: readonly string[]): FluentBundle {
  const { FluentBundle, FluentResource } = lazyRequire("@fluent/bundle") as typeof import("@fluent/bundle");
  const dir = path.join(LOCALES_DIR, locale);
  const names = files ?? readdirSync(dir).filter((f) => f.endsWith(".ftl")).sort();
  const bundle = new FluentBundle(locale, { useIsolating: false });
  const source = names.map((f) => readFileSync(path.join(dir, f), "utf8")).join("\n");
  const errors = bundle.addResource(new FluentResource(source), { allowOverrides: true });
  if (errors.length > 0) throw new Error(`locales/${locale}: ${errors.map((e) => e.message).join("; ")}`);
  return bundle;
}

/** `key` (`message` or `message.attribute`) from the first bundle that has it; undefined when none has. */
export function formatFrom(bundles: readonly FluentBundle[], key: string, params?: TranslateParams): string | undefined {
  const [id, attribute] = key.split(".", 2) as [string, string | undefined];
  for (const bundle of bundles) {
    const message = bundle.getMessage(id);
    if (!message) continue;
    const pattern = attribute ? message.attributes[attribute] : (message.value ?? "");
    if (pattern === undefined) continue;
    return bundle.formatPattern(pattern, params);
  }
  return undefined;
}

/**
 * A Translate on Fluent's core, for everything outside the bot's middleware (alerts, channel
 * posts, catalog captions, the CLI's reports): the same texts as `translator(createI18n())`
 * (a message missing in a language falls back to English, `{key}` when missing everywhere),
 * without loading the bot's i18n plugin and its Deno shims (~90 ms at the start of every CLI
 * backup). Each language's bundle is built on its first use.
 */
export function fluentTranslator(): Translate {
  const bundles = new Map<string, FluentBundle>();
  const bundleOf = (locale: string): FluentBundle => {
    let bundle = bundles.get(locale);
    if (!bundle) bundles.set(locale, (bundle = fluentBundle(locale)));
    return bundle;
  };
  return (locale, key, params) => {
    const tried = LOCALES.includes(locale) && locale !== DEFAULT_LOCALE ? [locale, DEFAULT_LOCALE] : [DEFAULT_LOCALE];
    return formatFrom(tried.map(bundleOf), key, params) ?? `{${key}}`;
  };
}
