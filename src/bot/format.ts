import type { TranslateFunction } from "@grammyjs/i18n";

/** Dates and times as the bot writes them, in the reader's language and the job's time zone. */

/** Intl locale for a bot locale: dates read naturally in each language. */
const INTL_LOCALE: Record<string, string> = { en: "en-GB", ru: "ru-RU" };
const intlLocale = (locale: string): string => INTL_LOCALE[locale] ?? locale;

/** A point in time in `timeZone`, e.g. "2 Jan 2026, 03:00" (cards, run lists, /status). */
export function formatTime(at: Date, locale: string, timeZone: string): string {
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone,
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(at);
}

/**
 * A planned run in `timeZone`, weekday first so a schedule can be checked at a glance:
 * "Sun 2026-12-06 03:00" (the schedule step's preview of the next runs).
 */
export function formatRunTime(at: Date, locale: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  let weekday: string;
  try {
    weekday = new Intl.DateTimeFormat(intlLocale(locale), { timeZone, weekday: "short" }).format(at);
  } catch {
    weekday = new Intl.DateTimeFormat("en", { timeZone, weekday: "short" }).format(at);
  }
  return `${weekday} ${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
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
