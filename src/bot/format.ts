import type { TranslateFunction } from "@grammyjs/i18n";
import { dateFormat, formatDuration as sharedDuration, type Speaker } from "../shared/format.js";

/** Dates and times as the bot writes them, in the reader's language and the job's time zone. */

/** Intl locale for a bot locale: dates read naturally in each language. */
const INTL_LOCALE: Record<string, string> = { en: "en-GB", ru: "ru-RU" };
const intlLocale = (locale: string): string => INTL_LOCALE[locale] ?? locale;

/** A point in time in `timeZone`, e.g. "2 Jan 2026, 03:00" (cards, run lists, /status). */
export function formatTime(at: Date, locale: string, timeZone: string): string {
  return dateFormat(intlLocale(locale), {
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
  const parts = dateFormat("en-CA", {
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
    weekday = dateFormat(intlLocale(locale), { timeZone, weekday: "short" }).format(at);
  } catch {
    weekday = dateFormat("en", { timeZone, weekday: "short" }).format(at);
  }
  return `${weekday} ${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}`;
}

/**
 * A reply's translate function as a `Speaker` of src/shared/format.ts, the one size and duration
 * formatter: units from the `fmt-*` keys, the decimal separator of `locale` ("12,3 с"). Without a
 * locale the separator is a point.
 */
export function speakerOf(t: TranslateFunction, locale = ""): Speaker {
  return { locale, translate: (_locale, key, params) => t(key, params) };
}

/** 12_300 → "12.3 s" / "12,3 с" (src/shared/format.ts). */
export function formatDuration(t: TranslateFunction, ms: number, locale?: string): string {
  return sharedDuration(ms, speakerOf(t, locale));
}

/** Cuts a long text (an error) to `max` characters for a chat message. */
export function clip(text: string, max = 300): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
