import { describe, expect, it } from "vitest";
import { CronSchedule, isRepeatedWallClock, nextRuns, ScheduleError, UpcomingRuns } from "./cron.js";
import { MIN_INTERVAL_MINUTES, scheduleProblem } from "../shared/cron-rules.js";

describe("CronSchedule", () => {
  it("gives the next fire times in a time zone", () => {
    expect(nextRuns({ schedule: "0 3 * * *", timezone: "Europe/Berlin" }, 2, new Date("2026-03-28T12:00:00Z"), "UTC")).toEqual([
      new Date("2026-03-29T01:00:00Z"), // 03:00 CEST, the first summer-time day
      new Date("2026-03-30T01:00:00Z"),
    ]);
    expect(nextRuns({ schedule: "0 3 * * *", timezone: null }, 1, new Date("2026-03-28T12:00:00Z"), "America/New_York")).toEqual([new Date("2026-03-29T07:00:00Z")]);
  });

  it("skips the second occurrence of a repeated wall-clock time for fixed-hour jobs only", () => {
    const fixed = new CronSchedule("30 2 * * *", "Europe/Berlin");
    expect(fixed.nextAfter(new Date("2026-10-25T01:00:00Z"))).toEqual(new Date("2026-10-26T01:30:00Z"));
    const hourly = new CronSchedule("30 * * * *", "Europe/Berlin");
    expect(hourly.nextAfter(new Date("2026-10-25T01:00:00Z"))).toEqual(new Date("2026-10-25T01:30:00Z"));
    expect(isRepeatedWallClock(new Date("2026-10-25T01:30:00Z"), "Europe/Berlin")).toBe(true);
    expect(isRepeatedWallClock(new Date("2026-10-25T00:30:00Z"), "Europe/Berlin")).toBe(false);
    expect(isRepeatedWallClock(new Date("2026-10-25T02:30:00Z"), "Europe/Berlin")).toBe(false);
    expect(isRepeatedWallClock(new Date("2026-10-25T01:30:00Z"), "UTC")).toBe(false);
  });

  it("finds a fire time inside a window", () => {
    const s = new CronSchedule("0 3 * * *", "UTC");
    expect(s.firstBetween(new Date("2026-01-10T02:00:00Z"), new Date("2026-01-10T03:00:00Z"))).toEqual(new Date("2026-01-10T03:00:00Z"));
    expect(s.firstBetween(new Date("2026-01-10T03:00:00Z"), new Date("2026-01-10T04:00:00Z"))).toBeNull();
  });

  it("rejects a bad expression or time zone with a ScheduleError naming it", () => {
    expect(() => new CronSchedule("61 * * * *", "UTC")).toThrow(ScheduleError);
    expect(() => new CronSchedule("0 3 * * *", "Mars/Olympus")).toThrow('unknown time zone "Mars/Olympus"');
  });
});

describe("schedule errors carry a key and parameters", () => {
  it("names the bad field, or the unknown time zone", () => {
    const caught = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err as ScheduleError;
      }
      throw new Error("no error");
    };
    const field = caught(() => new CronSchedule("61 * * * *", "UTC"));
    expect(field).toBeInstanceOf(ScheduleError);
    expect(field).toMatchObject({ key: "cron-error-field", params: { field: { key: "cron-field-minute" }, value: "61", range: "0-59" } });
    expect(caught(() => new CronSchedule("0 3 * 13 *", "UTC"))).toMatchObject({ key: "cron-error-field", params: { field: { key: "cron-field-month" }, value: "13" } });
    expect(caught(() => new CronSchedule("0 3 * * *", "Mars/Olympus"))).toMatchObject({ key: "cron-error-timezone", params: { timezone: "Mars/Olympus" } });
  });
});

describe("the rules for a schedule a person types (issue 13, item 4)", () => {
  it("refuses a seconds field and anything more often than every 5 minutes", () => {
    expect(scheduleProblem("*/10 * * * * *", "UTC")).toEqual({ key: "cron-error-seconds", params: { schedule: "*/10 * * * * *" } });
    expect(scheduleProblem("* * * * *", "UTC")).toEqual({ key: "cron-error-too-often", params: { schedule: "* * * * *", min: MIN_INTERVAL_MINUTES, gap: 1 } });
    expect(scheduleProblem("*/4 * * * *", "UTC")).toMatchObject({ key: "cron-error-too-often", params: { gap: 4 } });
    // two runs close together once a day are still too close
    expect(scheduleProblem("0,2 3 * * *", "UTC")).toMatchObject({ key: "cron-error-too-often", params: { gap: 2 } });
    // across the hour: 03:58 then 04:00
    expect(scheduleProblem("0,58 3,4 * * *", "UTC")).toMatchObject({ key: "cron-error-too-often", params: { gap: 2 } });
    expect(scheduleProblem("* * * *", "UTC")).toMatchObject({ key: "cron-error-fields", params: { count: 4 } });
    expect(scheduleProblem("61 * * * *", "UTC")).toMatchObject({ key: "cron-error-field" });
    expect(scheduleProblem("0 3 * * *", "Mars/Olympus")).toMatchObject({ key: "cron-error-timezone" });
  });

  it("accepts every 5 minutes and the usual schedules", () => {
    for (const ok of ["*/5 * * * *", "0 3 * * *", "30 2 * * 1-5", "0 */6 * * *", "0 3 1 * *", "0,58 3 * * *", "*/15 * * * MON-FRI"]) {
      expect(scheduleProblem(ok, "Europe/Berlin"), ok).toBeUndefined();
    }
  });
});

describe("previews never repeat a time", () => {
  it("gives one fire time per minute even for a seconds schedule the scheduler still runs", () => {
    const times = nextRuns({ schedule: "*/10 * * * * *", timezone: "UTC" }, 3, new Date("2026-01-10T00:00:00Z"), "UTC");
    expect(times).toEqual([new Date("2026-01-10T00:00:10Z"), new Date("2026-01-10T00:01:00Z"), new Date("2026-01-10T00:02:00Z")]);
    expect(new Set(times.map((t) => t.toISOString().slice(0, 16))).size).toBe(3);
  });
});

describe("UpcomingRuns", () => {
  it("answers exactly what nextRuns answers, at every moment, forwards and after the clock went back", () => {
    const upcoming = new UpcomingRuns("UTC");
    const jobs = [
      { schedule: "0 3 * * *", timezone: "Europe/Berlin" },
      { schedule: "*/15 * * * *", timezone: null },
      { schedule: "30 2 * * 0", timezone: "Europe/Berlin" }, // over the October change
    ];
    const start = new Date("2026-10-24T00:00:00Z").getTime();
    const moments: number[] = [];
    for (let t = start; t < start + 3 * 86_400_000; t += 7 * 60_000) moments.push(t);
    // The exact fire times and the instants around them, where a stale answer would show.
    for (const at of [Date.parse("2026-10-25T02:00:00Z"), Date.parse("2026-10-25T01:30:00Z"), Date.parse("2026-10-26T01:45:00Z")]) moments.push(at - 1, at, at + 1);
    moments.push(...[...moments].reverse());
    for (const at of moments) {
      for (const job of jobs) {
        for (const n of [1, 3]) expect(upcoming.next(job, n, new Date(at))).toEqual(nextRuns(job, n, new Date(at), "UTC"));
      }
    }
  });

  it("throws for an unusable schedule every time it is asked", () => {
    const upcoming = new UpcomingRuns("UTC");
    for (let i = 0; i < 2; i++) expect(() => upcoming.next({ schedule: "61 * * * *", timezone: null }, 1, new Date())).toThrow(ScheduleError);
  });
});
