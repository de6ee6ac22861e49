import type { TranslateParams } from "../i18n.js";
import { scheduleProblem } from "../shared/cron-rules.js";
import type { Speaker } from "../shared/format.js";
import { renderError, renderTranslatable } from "../shared/translatable.js";
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
 * A typed schedule with its spaces tidied, checked in `timezone` by the rules in
 * src/shared/cron-rules.ts (5 fields, no seconds, at most every 5 minutes): the cron line, or
 * why it is refused, said in `speaker`'s language.
 */
export function readSchedule(text: string, timezone: string, speaker: Speaker): { ok: string } | { error: string } {
  const cron = text.trim().replace(/\s+/g, " ");
  const problem = scheduleProblem(cron, timezone);
  return problem ? { error: renderTranslatable(speaker.translate, speaker.locale, problem) } : { ok: cron };
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
    // One line per minute shown: the scheduler's preview never lists the same time twice.
    return { ok: [...new Set(deps.nextRuns({ schedule, timezone }, count).map((at) => formatRunTime(at, locale, timezone)))] };
  } catch (err) {
    return { error: renderError(deps.translate, locale, err) };
  }
}

/** Preview lines as a bulleted list. */
export const bullets = (lines: readonly string[]): string => lines.map((l) => `• ${l}`).join("\n");
