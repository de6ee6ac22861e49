/**
 * Sizes and durations for people. Without a `Speaker` they are English (logs, the CLI, English
 * captions: "1.5 KiB", "2 min 5 s"); with one they are said in its locale through the `fmt-*`
 * keys (`locales/<lang>/format.ftl`, `bot.ftl`) with the locale's decimal separator ("1,5 КиБ").
 */

/** What renders a key in a locale (`Translate` in src/i18n.ts has this shape). */
export interface Speaker {
  locale: string;
  translate: (locale: string, key: string, params?: Record<string, string | number>) => string;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;
const BYTE_KEYS = ["fmt-size-b", "fmt-size-kib", "fmt-size-mib", "fmt-size-gib", "fmt-size-tib"] as const;

/** Human-readable byte counts: 1536 → "1.5 KiB" (in Russian "1,5 КиБ"). */
export function formatBytes(n: number, speaker?: Speaker): string {
  if (speaker) return renderSize(speaker, sizeParam(n));
  const { v, u } = scaled(n);
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${BYTE_UNITS[u]}`;
}

/**
 * A byte count as a message parameter that each reader sees in their own units and decimal
 * separator ("60,0 МиБ"): for errors stored as key + params. Rendered in English it reads as
 * `formatBytes(n)`.
 */
export function sizeParam(n: number): { key: string; params: { n: number } } {
  const { v, u } = scaled(n);
  return { key: BYTE_KEYS[u]!, params: { n: u === 0 ? v : Math.round(v * 10) / 10 } };
}

function renderSize(speaker: Speaker, size: { key: string; params: { n: number } }): string {
  return speaker.translate(speaker.locale, size.key, size.params);
}

function scaled(n: number): { v: number; u: number } {
  let v = n;
  let u = 0;
  while (v >= 1024 && u < BYTE_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return { v, u };
}

/** 850 → "850 ms", 12_300 → "12.3 s", 125_000 → "2 min 5 s" (in Russian "2 мин 5 с"; an hour or more: "1 ч 3 мин"). */
export function formatDuration(ms: number, speaker?: Speaker): string {
  if (!speaker) {
    if (ms < 1000) return `${ms} ms`;
    const s = ms / 1000;
    if (s < 60) return `${s.toFixed(1)} s`;
    const m = Math.floor(s / 60);
    return `${m} min ${Math.round(s - m * 60)} s`;
  }
  const say = (key: string, params: Record<string, string>) => speaker.translate(speaker.locale, key, params);
  if (ms < 1000) return say("fmt-duration-ms", { ms: String(Math.max(0, Math.round(ms))) });
  const s = ms / 1000;
  if (s < 60) return say("fmt-duration-s", { s: decimal(s, speaker.locale) });
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  if (h > 0) return say("fmt-duration-h", { h: String(h), m: String(m) });
  return say("fmt-duration-m", { m: String(m), s: String(total % 60) });
}

/** One decimal, the locale's separator, no grouping: 1023.94 → "1023.9" / "1023,9". */
function decimal(v: number, locale: string): string {
  try {
    return numberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false }).format(v);
  } catch {
    return v.toFixed(1);
  }
}

/** Formatters made so far, by kind, locale and options (see `dateFormat`). */
const intlFormats = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
const MAX_INTL_FORMATS = 256;

function kept<T extends Intl.DateTimeFormat | Intl.NumberFormat>(key: string, make: () => T): T {
  let made = intlFormats.get(key) as T | undefined;
  if (!made) {
    made = make();
    if (intlFormats.size >= MAX_INTL_FORMATS) intlFormats.clear();
    intlFormats.set(key, made);
  }
  return made;
}

/**
 * `new Intl.DateTimeFormat(locale, options)`, made once per locale and options: each one costs
 * about a millisecond to make, and /status formats several dates per job. Throws as the
 * constructor does (an unknown time zone); a failure is not kept.
 */
export function dateFormat(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return kept(`d|${locale ?? ""}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));
}

/** `new Intl.NumberFormat(locale, options)`, made once (see `dateFormat`). */
export function numberFormat(locale: string | undefined, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return kept(`n|${locale ?? ""}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));
}
