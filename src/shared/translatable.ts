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
