import { describe, expect, it } from "vitest";
import { CronSchedule, isRepeatedWallClock, nextRuns, ScheduleError } from "./cron.js";

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
