/**
 * A message that can be said in any UI language: a locale key (`locales/<lang>/*.ftl`) and its
 * parameters. Errors carry one beside their English `message` (kept for logs); the edge (bot,
 * notifier, CLI) translates. A parameter may itself be translatable (a reason inside a frame).
 */
export interface Translatable {
  key: string;
  params?: Record<string, TranslatableParam>;
}

export type TranslatableParam = string | number | Translatable;

/** The translatable form an error carries, if any (`key` and optional `params` own properties). */
export function translatableOf(error: unknown): Translatable | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { key, params } = error as { key?: unknown; params?: unknown };
  if (typeof key !== "string" || key === "") return undefined;
  return params && typeof params === "object" ? { key, params: params as Record<string, TranslatableParam> } : { key };
}

/** What renders a key in a locale (`Translate` in src/i18n.ts has this shape). */
type TranslateFn = (locale: string, key: string, params?: Record<string, string | number>) => string;

/** `t` in `locale`: nested translatable parameters are rendered first, in the same locale. */
export function renderTranslatable(translate: TranslateFn, locale: string, t: Translatable): string {
  const flat: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(t.params ?? {})) flat[name] = typeof value === "object" ? renderTranslatable(translate, locale, value) : value;
  return translate(locale, t.key, flat);
}

/** An error as its reader sees it in `locale`: its key and params when it carries them, else its (English) message. */
export function renderError(translate: TranslateFn, locale: string, error: unknown): string {
  const t = translatableOf(error);
  if (t) return renderTranslatable(translate, locale, t);
  return error instanceof Error ? error.message : String(error);
}
