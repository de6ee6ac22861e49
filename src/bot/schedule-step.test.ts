import { describe, expect, it } from "vitest";
import { createI18n, translator } from "../i18n.js";
import { nextRuns } from "../scheduler/cron.js";
import { hourRows, presetAt, presetByValue, previewRuns, readSchedule } from "./schedule-step.js";

const translate = translator(createI18n());
const en = { locale: "en", translate };
const FROM = new Date("2026-03-02T10:00:00Z");
const deps = { translate, nextRuns: (job: { schedule: string; timezone: string | null }, n: number) => nextRuns(job, n, FROM, "UTC") };

describe("the schedule step", () => {
  it("runs the daily, weekly and monthly presets at a chosen hour; hourly ones stay as they are", () => {
    expect(presetAt(presetByValue("daily")!, 4)).toBe("0 4 * * *");
    expect(presetAt(presetByValue("weekly")!, 22, 30)).toBe("30 22 * * 0");
    expect(presetAt(presetByValue("monthly")!, 0)).toBe("0 0 1 * *");
    expect(presetAt(presetByValue("hourly")!, 4)).toBe("0 * * * *");
    const grid = hourRows((hour, label) => ({ hour, label }));
    expect(grid.map((r) => r.length)).toEqual([6, 6, 6, 6]);
    expect(grid.flat().map((b) => b.label)).toEqual(Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, "0")}:00`));
  });

  it("reads a typed preset with a time, in English or Russian", () => {
    expect(readSchedule("daily 04:30", "UTC", en)).toEqual({ ok: "30 4 * * *" });
    expect(readSchedule("  Weekly   at 5 ", "UTC", en)).toEqual({ ok: "0 5 * * 0" });
    expect(readSchedule("ежедневно в 4:05", "Europe/Moscow", en)).toEqual({ ok: "5 4 * * *" });
    expect(readSchedule("daily 25:00", "UTC", en)).toEqual({ error: expect.stringMatching(/fields/) });
    expect(readSchedule("30 2 * * 1-5", "UTC", en)).toEqual({ ok: "30 2 * * 1-5" });
  });

  it("refuses seconds and runs closer than 5 minutes", () => {
    expect(readSchedule("*/10 * * * * *", "UTC", en)).toEqual({ error: expect.stringMatching(/seconds field/) });
    expect(readSchedule("* * * * *", "UTC", en)).toEqual({ error: expect.stringMatching(/more often than every 5 minutes/) });
  });

  it("the preview shows distinct times, even for a seconds schedule kept with allow_frequent (the scheduler starts a job once a minute at most)", () => {
    const seconds = previewRuns(deps, "*/2 * * * * *", "UTC", "en");
    expect(seconds).toEqual({ ok: ["Mon 2026-03-02 10:00", "Mon 2026-03-02 10:01", "Mon 2026-03-02 10:02"] });
    const daily = previewRuns(deps, "0 4 * * *", "Europe/Moscow", "en");
    expect("ok" in daily && new Set(daily.ok).size).toBe(3);
  });
});
