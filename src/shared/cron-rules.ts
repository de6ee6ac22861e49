import { lazyRequire } from "../lazy.js";
import type { Translatable } from "./translatable.js";

/** cron-parser (with luxon), loaded on first use: a backup from the command line never parses a schedule. */
export const cronParser = () => (lazyRequire("cron-parser") as typeof import("cron-parser")).CronExpressionParser;

/**
 * What a schedule a person types must be, said as locale keys (`cron-error-*` in
 * `locales/<lang>/errors.ftl`) so the bot can refuse it in the admin's language:
 *
 * - a known IANA time zone;
 * - exactly 5 fields, minute hour day-of-month month day-of-week. A seconds field (6 fields) is
 *   refused: backups are scheduled to the minute, and a preview of a seconds schedule showed the
 *   same minute three times;
 * - every field valid (the refusal names the field and what it allows);
 * - no two runs closer than `MIN_INTERVAL_MINUTES` (`* * * * *` would start a dump every minute).
 *
 * `usable` is the scheduler's own, weaker test (an expression it can compute fire times of):
 * jobs stored before these rules keep running.
 */

export const MIN_INTERVAL_MINUTES = 5;

const FIELDS = [
  { key: "cron-field-minute", range: "0-59" },
  { key: "cron-field-hour", range: "0-23" },
  { key: "cron-field-day", range: "1-31" },
  { key: "cron-field-month", range: "1-12, JAN-DEC" },
  { key: "cron-field-weekday", range: "0-7, SUN-SAT" },
] as const;

/** Why `schedule` cannot be computed at all in `timezone` (bad time zone or expression), or undefined. */
export function usableProblem(schedule: string, timezone: string): Translatable | undefined {
  if (!knownZone(timezone)) return { key: "cron-error-timezone", params: { timezone } };
  try {
    cronParser().parse(schedule, { tz: timezone, currentDate: new Date(0) }).next();
    return undefined;
  } catch {
    return fieldProblem(schedule) ?? { key: "cron-error-invalid", params: { schedule, timezone } };
  }
}

/** Why a person's `schedule` is refused in `timezone` (see the rules above), or undefined when it is fine. */
export function scheduleProblem(schedule: string, timezone: string): Translatable | undefined {
  const text = schedule.trim().replace(/\s+/g, " ");
  if (!knownZone(timezone)) return { key: "cron-error-timezone", params: { timezone } };
  const fields = text === "" ? [] : text.split(" ");
  if (fields.length === 6) return { key: "cron-error-seconds", params: { schedule: text } };
  if (fields.length !== 5) return { key: "cron-error-fields", params: { schedule: text, count: fields.length } };
  const unusable = usableProblem(text, timezone);
  if (unusable) return unusable;
  const gap = shortestGapMinutes(text);
  if (gap !== undefined && gap < MIN_INTERVAL_MINUTES) return { key: "cron-error-too-often", params: { schedule: text, min: MIN_INTERVAL_MINUTES, gap } };
  return undefined;
}

/** The first of the 5 fields that is not valid on its own, as `cron-error-field`. */
function fieldProblem(schedule: string): Translatable | undefined {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  for (const [i, field] of FIELDS.entries()) {
    const probe = ["*", "*", "*", "*", "*"];
    probe[i] = fields[i]!;
    try {
      cronParser().parse(probe.join(" "), { currentDate: new Date(0) }).next();
    } catch {
      return { key: "cron-error-field", params: { schedule, field: { key: field.key }, value: fields[i]!, range: field.range } };
    }
  }
  return undefined;
}

/**
 * The shortest time between two consecutive runs, in minutes, from the minute and hour fields
 * (every allowed hour fires every allowed minute): the closest two minutes of an hour, or the
 * last minute of an hour and the first of the next when two allowed hours follow each other.
 * Daylight-saving shifts are not counted.
 */
function shortestGapMinutes(schedule: string): number | undefined {
  const { fields } = cronParser().parse(schedule, { currentDate: new Date(0) });
  const minutes = [...fields.minute.values].map(Number).sort((a, b) => a - b);
  const hours = new Set([...fields.hour.values].map(Number));
  let shortest: number | undefined;
  for (let i = 1; i < minutes.length; i++) shortest = Math.min(shortest ?? Infinity, minutes[i]! - minutes[i - 1]!);
  const consecutiveHours = [...hours].some((h) => hours.has((h + 1) % 24));
  if (consecutiveHours && minutes.length > 0) shortest = Math.min(shortest ?? Infinity, 60 - minutes[minutes.length - 1]! + minutes[0]!);
  return shortest;
}

function knownZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
