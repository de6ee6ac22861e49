import type { TranslateParams } from "../i18n.js";
import { scheduleProblem } from "../shared/cron-rules.js";
import { readZone } from "../shared/zones.js";
import type { Speaker } from "../shared/format.js";
import { renderError, renderTranslatable, type Translatable } from "../shared/translatable.js";
import type { Dialog } from "./conversations/dialog.js";
import type { BotDeps } from "./deps.js";
import { formatRunTime } from "./format.js";

/**
 * The schedule step, one for every place that asks for a schedule (/newjob's dialog and the
 * job card's "Edit schedule"): the same preset buttons, the same reading of a typed cron line
 * and the same preview of the next runs. Each caller only says how it asks and what it does
 * with the answer.
 */

export interface SchedulePreset {
  /** Short code carried in callback data. */
  value: string;
  cron: string;
  /** Locale key of the button label. */
  key: string;
}

export const SCHEDULE_PRESETS: readonly SchedulePreset[] = [
  { value: "hourly", cron: "0 * * * *", key: "schedule-preset-hourly" },
  { value: "6h", cron: "0 */6 * * *", key: "schedule-preset-6h" },
  { value: "daily", cron: "0 3 * * *", key: "schedule-preset-daily" },
  { value: "weekly", cron: "0 3 * * 0", key: "schedule-preset-weekly" },
  { value: "monthly", cron: "0 3 1 * *", key: "schedule-preset-monthly" },
];

/**
 * The presets that run once a day or less (daily, weekly, monthly) can run at another hour
 * than 03:00: `presetAt` gives the cron line at a chosen time, `hourRows` the 24 hour buttons
 * (one compact grid, to show in place of the preset buttons), and a typed "daily 04:30"
 * (`readSchedule`) does the same in one answer.
 */
export function presetTakesHour(preset: SchedulePreset): boolean {
  return preset.cron.startsWith("0 3 ");
}

/** The preset's cron line at `hour`:`minute` (a preset that runs hourly or more often is returned as it is). */
export function presetAt(preset: SchedulePreset, hour: number, minute = 0): string {
  return presetTakesHour(preset) ? `${minute} ${hour} ${preset.cron.slice("0 3 ".length)}` : preset.cron;
}

const HOURS_PER_ROW = 6;

/** Buttons 00:00 … 23:00, six to a row; `button` makes one from an hour and its label. */
export function hourRows<B>(button: (hour: number, label: string) => B): B[][] {
  const rows: B[][] = [];
  for (let h = 0; h < 24; h += HOURS_PER_ROW) {
    rows.push(Array.from({ length: HOURS_PER_ROW }, (_, i) => button(h + i, `${String(h + i).padStart(2, "0")}:00`)));
  }
  return rows;
}

/** In a dialog, after a preset button: its hour from the 24 buttons, shown in place of the presets. */
export async function askPresetTime(d: Dialog, preset: SchedulePreset, timezone: string): Promise<string> {
  if (!presetTakesHour(preset)) return preset.cron;
  const hour = await d.choose(
    d.t("schedule-pick-hour", { tz: timezone }),
    hourRows((h, label) => ({ value: String(h), label })),
  );
  return presetAt(preset, Number(hour));
}

/** Preset names a person may type before a time ("daily 04:30", "ежедневно 4"), in every language the bot speaks. */
const TYPED_PRESETS: Record<string, string> = {
  daily: "daily",
  weekly: "weekly",
  monthly: "monthly",
  ежедневно: "daily",
  еженедельно: "weekly",
  ежемесячно: "monthly",
};

/** "daily 04:30" → "30 4 * * *"; undefined when `text` is not a preset and a time. */
function typedPreset(text: string): string | undefined {
  const m = /^(\p{L}+)\s+(?:at\s+|в\s+)?(\d{1,2})(?:[:.](\d{2}))?$/iu.exec(text);
  const preset = m ? presetByValue(TYPED_PRESETS[m[1]!.toLowerCase()] ?? "") : undefined;
  const hour = Number(m?.[2]);
  const minute = Number(m?.[3] ?? 0);
  if (!preset || hour > 23 || minute > 59) return undefined;
  return presetAt(preset, hour, minute);
}

const PRESETS_PER_ROW = 2;

type Translate = (key: string, params?: TranslateParams) => string;

/** The preset buttons in rows; `button` makes one (a dialog's choice, a callback button) from a preset and its label. */
export function presetRows<B>(t: Translate, button: (preset: SchedulePreset, label: string) => B): B[][] {
  const rows: B[][] = [];
  for (let i = 0; i < SCHEDULE_PRESETS.length; i += PRESETS_PER_ROW) {
    rows.push(SCHEDULE_PRESETS.slice(i, i + PRESETS_PER_ROW).map((p) => button(p, t(p.key))));
  }
  return rows;
}

export function presetByValue(value: string): SchedulePreset | undefined {
  return SCHEDULE_PRESETS.find((p) => p.value === value);
}

/**
 * A typed schedule ("daily 04:30" or a cron line) with its spaces tidied, checked in `timezone` by the rules in
 * src/shared/cron-rules.ts (5 fields, no seconds, at most every 5 minutes): the cron line, or
 * why it is refused, said in `speaker`'s language.
 */
export function readSchedule(text: string, timezone: string, speaker: Speaker): { ok: string } | { error: string } {
  const tidy = text.trim().replace(/\s+/g, " ");
  const cron = typedPreset(tidy) ?? tidy;
  const problem = scheduleProblem(cron, timezone);
  return problem ? { error: renderTranslatable(speaker.translate, speaker.locale, problem) } : { ok: cron };
}

/**
 * A typed time zone as people name it ("Europe/Berlin", "moscow", "MSK", "Москва"): its IANA
 * name, or why it is refused with the nearest zones ("did you mean …"), in `speaker`'s language.
 */
export function readTimezone(text: string, speaker: Speaker): { ok: string } | { error: string } {
  const value = text.trim();
  const reading = readZone(value);
  if ("zone" in reading) return { ok: reading.zone };
  const said: Translatable =
    reading.suggestions.length > 0
      ? { key: "validation-timezone-suggest", params: { value: JSON.stringify(value), zones: reading.suggestions.join(", ") } }
      : { key: "validation-timezone", params: { value: JSON.stringify(value) } };
  return { error: renderTranslatable(speaker.translate, speaker.locale, said) };
}

/** The next `count` runs of `schedule` in `timezone`, as the user reads them; the scheduler's reason when it cannot say. */
export function previewRuns(
  deps: Pick<BotDeps, "nextRuns" | "translate">,
  schedule: string,
  timezone: string,
  locale: string,
  count = 3,
): { ok: string[] } | { error: string } {
  try {
    // One line per minute shown: the scheduler starts a job at most once a minute (a seconds
    // schedule kept with allow_frequent included), and the preview never lists the same time twice.
    return { ok: [...new Set(deps.nextRuns({ schedule, timezone }, count).map((at) => formatRunTime(at, locale, timezone)))] };
  } catch (err) {
    return { error: renderError(deps.translate, locale, err) };
  }
}

/** Preview lines as a bulleted list. */
export const bullets = (lines: readonly string[]): string => lines.map((l) => `• ${l}`).join("\n");
