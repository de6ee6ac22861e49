import type { CronExpression } from "cron-parser";
import { cronParser, usableProblem } from "../shared/cron-rules.js";
import type { TranslatableParam } from "../shared/translatable.js";

/**
 * A job's schedule is unusable (bad expression or time zone); `schedule` and `timezone` say which.
 * The message is English (logs); `key` and `params` (`cron-error-*`) say it in the reader's language.
 */
export class ScheduleError extends Error {
  override name = "ScheduleError";
  readonly key: string;
  readonly params: Record<string, TranslatableParam>;
  constructor(
    readonly schedule: string,
    readonly timezone: string,
    message: string,
    options: { cause?: unknown; key: string; params: Record<string, TranslatableParam> },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.key = options.key;
    this.params = options.params;
  }
}

/** What the scheduling helpers need of a job. `timezone: null` means the default time zone. */
export interface Schedulable {
  schedule: string;
  timezone: string | null;
}

/**
 * Fire times of a cron expression in a time zone.
 *
 * Daylight-saving rules (what cron-parser does, plus one guard, like Vixie cron):
 * - Spring forward: a wall-clock time that does not exist that day (02:30 in Europe/Berlin on
 *   the last Sunday of March) fires once, at the first existing instant after it (03:30 CEST).
 * - Fall back: a wall-clock time that happens twice (02:30 on the last Sunday of October) fires
 *   once, at its first occurrence, for a job with a fixed hour. cron-parser already skips the
 *   second occurrence when it iterates from before the change, but returns it when asked from
 *   inside the repeated hour (e.g. after a restart at 02:45 CEST); the guard skips it there too.
 *   Jobs whose hour field is `*` or `*\/n` run by elapsed time and fire in both occurrences.
 */
export class CronSchedule {
  private readonly expr: CronExpression;
  private readonly fixedHour: boolean;

  /** @throws ScheduleError */
  constructor(
    readonly schedule: string,
    readonly timezone: string,
  ) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    } catch (err) {
      throw new ScheduleError(schedule, timezone, `unknown time zone "${timezone}"`, { cause: err, key: "cron-error-timezone", params: { timezone } });
    }
    try {
      this.expr = cronParser().parse(schedule, { tz: timezone, currentDate: new Date(0) });
      // One call proves the time zone as well as the expression.
      this.expr.next();
    } catch (err) {
      const said = usableProblem(schedule, timezone) ?? { key: "cron-error-invalid", params: { schedule, timezone } };
      throw new ScheduleError(schedule, timezone, `cannot use schedule "${schedule}" in time zone ${timezone}: ${(err as Error).message}`, { cause: err, key: said.key, params: said.params ?? {} });
    }
    const fields = schedule.trim().split(/\s+/);
    const hourField = fields.length === 6 ? fields[2] : fields[1];
    this.fixedHour = !(hourField ?? "*").startsWith("*");
  }

  /** The first fire time strictly after `after`, or null when there is none. */
  nextAfter(after: Date): Date | null {
    this.expr.reset(after);
    for (let guard = 0; guard < 8; guard++) {
      if (!this.expr.hasNext()) return null;
      const t = this.expr.next().toDate();
      if (!this.fixedHour || !isRepeatedWallClock(t, this.timezone)) return t;
    }
    return null;
  }

  /**
   * The next `n` fire times after `from`, at most one per minute: what a person reads (previews
   * show minutes, so a seconds schedule would list the same time again) and what the dead-man
   * check measures an interval with.
   */
  next(n: number, from: Date): Date[] {
    const out: Date[] = [];
    let cursor = from;
    while (out.length < n) {
      const t = this.nextAfter(cursor);
      if (!t) break;
      out.push(t);
      // The last millisecond of t's minute: the next one found lies in a later minute.
      cursor = new Date(Math.floor(t.getTime() / 60_000) * 60_000 + 59_999);
    }
    return out;
  }

  /** The first fire time in (from, to], or null. */
  firstBetween(from: Date, to: Date): Date | null {
    const t = this.nextAfter(from);
    return t && t.getTime() <= to.getTime() ? t : null;
  }
}

/** The next `n` run times of a job (for "next runs" in the bot), in its time zone or `defaultTimezone`. @throws ScheduleError */
export function nextRuns(job: Schedulable, n: number, from: Date, defaultTimezone: string): Date[] {
  return new CronSchedule(job.schedule, job.timezone ?? defaultTimezone).next(n, from);
}

/**
 * `nextRuns` with a memory: /status, job cards and the dead-man check ask for the same jobs'
 * next runs over and over (each a cron-parser walk through luxon, ~10 ms), and a screen full of
 * jobs blocked the bot's event loop for 150 ms. The next `n` fire times after `from` are the same
 * for every `from` from the one they were computed at up to (not including) the first of them,
 * so an answer is reused inside that window and recomputed outside it (also when the clock went
 * back). Failures are not kept: they throw again.
 */
export class UpcomingRuns {
  private readonly known = new Map<string, { from: number; times: Date[] }>();

  constructor(
    private readonly defaultTimezone: string,
    private readonly maxEntries = 1000,
  ) {}

  /** @throws ScheduleError */
  next(job: Schedulable, n: number, from: Date): Date[] {
    const timezone = job.timezone ?? this.defaultTimezone;
    const key = `${n}\u0000${timezone}\u0000${job.schedule}`;
    const at = from.getTime();
    const hit = this.known.get(key);
    if (hit && hit.from <= at && hit.times.length === n && at < hit.times[0]!.getTime()) return [...hit.times];
    const times = new CronSchedule(job.schedule, timezone).next(n, from);
    if (this.known.size >= this.maxEntries) this.known.clear();
    this.known.set(key, { from: at, times });
    return [...times];
  }
}

/**
 * True when the wall-clock time of `t` in `timezone` already happened shortly before — i.e.
 * `t` lies in the repeated hour after clocks were set back, as its second occurrence.
 */
export function isRepeatedWallClock(t: Date, timezone: string): boolean {
  const before = new Date(t.getTime() - 3 * 3_600_000);
  const shiftMin = offsetMinutes(before, timezone) - offsetMinutes(t, timezone);
  if (shiftMin <= 0) return false;
  const earlier = new Date(t.getTime() - shiftMin * 60_000);
  return wallClock(earlier, timezone) === wallClock(t, timezone);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** Local calendar fields of `t` in `timezone`. */
export function localParts(t: Date, timezone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(t)) if (p.type !== "literal") parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

function wallClock(t: Date, timezone: string): string {
  const p = localParts(t, timezone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** UTC offset of `timezone` at `t`, in minutes (Europe/Berlin: 60 in winter, 120 in summer). */
export function offsetMinutes(t: Date, timezone: string): number {
  const p = localParts(t, timezone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(t.getTime() / 1000) * 1000) / 60_000);
}
