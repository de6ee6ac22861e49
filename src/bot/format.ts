import type { TranslateFunction } from "@grammyjs/i18n";
/** Intl locale for a bot locale: dates read naturally in each language. */
const INTL_LOCALE: Record<string, string> = { en: "en-GB", ru: "ru-RU" };

/** A point in time in `timeZone`, e.g. "2 Jan 2026, 03:00". */
export function formatTime(at: Date, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(INTL_LOCALE[locale] ?? locale, {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(at);
}

export function formatDuration(t: TranslateFunction, ms: number): string {
  if (ms < 1000) return t("fmt-duration-ms", { ms: String(Math.max(0, Math.round(ms))) });
  const s = ms / 1000;
  if (s < 60) return t("fmt-duration-s", { s: s.toFixed(1) });
  const totalS = Math.round(s);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  if (h > 0) return t("fmt-duration-h", { h: String(h), m: String(m) });
  return t("fmt-duration-m", { m: String(m), s: String(totalS % 60) });
}

/** Cuts a long text (an error) to `max` characters for a chat message. */
export function clip(text: string, max = 300): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
