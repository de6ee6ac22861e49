import { describe, expect, it } from "vitest";
import type { Retention } from "../domain.js";
import { findClockSkews, selectRetention, type RetentionRun } from "./retention.js";

/**
 * Runs are written "YYYY-MM-DD HH:MM" (UTC), optionally followed by a status other than
 * success and/or "unverified": "2026-01-10 03:00 failed". Here the clock was right: ids follow
 * the start times (the sequence is what orders runs; `inSequence` sets it explicitly).
 */
function runs(...specs: string[]): RetentionRun[] {
  const made = inSequence(...specs);
  const order = [...made].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || b.id - a.id);
  return made.map((r) => ({ ...r, id: order.indexOf(r) + 1 }));
}

/** Like `runs`, but listed in the order they were made (oldest first): the first gets id 1. */
function inSequence(...specs: string[]): RetentionRun[] {
  return specs.map((spec, i) => {
    const [date, time, ...flags] = spec.split(" ");
    const status = (flags.find((f) => f !== "unverified") ?? "success") as RetentionRun["status"];
    return { id: i + 1, startedAt: new Date(`${date}T${time}:00Z`), status, verified: status === "success" && !flags.includes("unverified") };
  });
}

function label(r: RetentionRun): string {
  return r.startedAt.toISOString().slice(0, 16).replace("T", " ");
}

/** Daily runs at 03:00 UTC from `from` to `to` inclusive. */
function daily(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T03:00:00Z`); t <= Date.parse(`${to}T03:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 16).replace("T", " "));
  return out;
}

interface Case {
  name: string;
  policy: Retention;
  runs: string[];
  now?: string;
  timezone?: string;
  keep: string[];
}

const NOW = "2026-01-12T12:00:00Z";

const cases: Case[] = [
  {
    name: "keep_last 3 keeps the three newest",
    policy: { keep_last: 3 },
    runs: daily("2026-01-07", "2026-01-12"),
    keep: ["2026-01-12 03:00", "2026-01-11 03:00", "2026-01-10 03:00"],
  },
  {
    name: "keep_daily 3: newest run of each of the 3 most recent days that have runs (gap days do not count)",
    policy: { keep_daily: 3 },
    runs: ["2026-01-10 15:00", "2026-01-10 03:00", "2026-01-09 03:00", "2026-01-07 03:00", "2026-01-06 03:00"],
    keep: ["2026-01-10 15:00", "2026-01-09 03:00", "2026-01-07 03:00"],
  },
  {
    name: "keep_weekly 3 uses ISO weeks (Monday start): newest run of weeks 2026-W03, W02, W01",
    policy: { keep_weekly: 3 },
    runs: daily("2025-12-24", "2026-01-12"),
    // 2026-01-12 is the Monday of W03; W02 ends Sunday 01-11; W01 ends Sunday 01-04.
    keep: ["2026-01-12 03:00", "2026-01-11 03:00", "2026-01-04 03:00"],
  },
  {
    name: "keep_monthly 3: newest run of each of the 3 most recent months with runs",
    policy: { keep_monthly: 3 },
    runs: ["2026-03-02 03:00", "2026-03-01 03:00", "2026-02-28 03:00", "2026-02-01 03:00", "2025-12-31 03:00", "2025-11-30 03:00"],
    now: "2026-03-02T12:00:00Z",
    keep: ["2026-03-02 03:00", "2026-02-28 03:00", "2025-12-31 03:00"],
  },
  {
    name: "GFS combined: the union of every rule",
    policy: { keep_last: 2, keep_daily: 4, keep_weekly: 2, keep_monthly: 2 },
    runs: [...daily("2025-12-20", "2026-01-12"), "2026-01-12 15:00"],
    now: "2026-01-12T16:00:00Z",
    keep: [
      "2026-01-12 15:00", // last, daily, weekly (W03), monthly (2026-01)
      "2026-01-12 03:00", // last
      "2026-01-11 03:00", // daily, weekly (W02)
      "2026-01-10 03:00", // daily
      "2026-01-09 03:00", // daily
      "2025-12-31 03:00", // monthly (2025-12)
    ],
  },
  {
    name: "max_age_days alone keeps everything younger than that",
    policy: { max_age_days: 3 },
    runs: daily("2026-01-05", "2026-01-12"),
    keep: ["2026-01-12 03:00", "2026-01-11 03:00", "2026-01-10 03:00"],
  },
  {
    name: "max_age_days prunes old runs unless another rule keeps them",
    policy: { max_age_days: 2, keep_monthly: 2 },
    runs: daily("2025-12-25", "2026-01-12"),
    keep: ["2026-01-12 03:00", "2026-01-11 03:00", "2025-12-31 03:00"],
  },
  {
    name: "the newest successful run is kept even when every rule would drop it",
    policy: { max_age_days: 1 },
    runs: ["2026-01-05 03:00", "2026-01-04 03:00", "2026-01-11 03:00 failed"],
    keep: ["2026-01-05 03:00"],
  },
  {
    name: "failed and interrupted runs are pruned and do not count towards keep_last",
    policy: { keep_last: 2 },
    runs: ["2026-01-12 03:00 failed", "2026-01-11 03:00", "2026-01-10 03:00 interrupted", "2026-01-09 03:00", "2026-01-08 03:00"],
    keep: ["2026-01-11 03:00", "2026-01-09 03:00"],
  },
  {
    name: "a running run is never touched",
    policy: { keep_last: 1 },
    runs: ["2026-01-12 11:00 running", "2026-01-12 03:00", "2026-01-11 03:00"],
    keep: ["2026-01-12 11:00", "2026-01-12 03:00"],
  },
  {
    name: "an unverified newest success keeps the newest verified one as well",
    policy: { keep_last: 1 },
    runs: ["2026-01-12 03:00 unverified", "2026-01-11 03:00", "2026-01-10 03:00"],
    keep: ["2026-01-12 03:00", "2026-01-11 03:00"],
  },
  {
    name: "no rule (or only zeros) keeps everything, failed runs included",
    policy: { keep_last: 0 },
    runs: ["2026-01-12 03:00", "2026-01-11 03:00 failed", "2020-01-01 03:00"],
    keep: ["2026-01-12 03:00", "2026-01-11 03:00", "2020-01-01 03:00"],
  },
  {
    name: "days follow the job's time zone: 23:30 UTC is the next day in Berlin",
    policy: { keep_daily: 2 },
    runs: ["2026-01-10 23:30", "2026-01-10 22:30", "2026-01-09 22:30"],
    timezone: "Europe/Berlin",
    keep: ["2026-01-10 23:30", "2026-01-10 22:30"],
  },
  {
    name: "the same runs bucketed in UTC",
    policy: { keep_daily: 2 },
    runs: ["2026-01-10 23:30", "2026-01-10 22:30", "2026-01-09 22:30"],
    timezone: "UTC",
    keep: ["2026-01-10 23:30", "2026-01-09 22:30"],
  },
];

describe("selectRetention", () => {
  it.each(cases)("$name", (c) => {
    const input = runs(...c.runs);
    const plan = selectRetention(input, c.policy, { now: new Date(c.now ?? NOW), timezone: c.timezone });
    const kept = plan.keep.map((k) => label(k.run));
    expect(kept).toEqual(c.keep);
    // Every run is decided exactly once.
    expect([...kept, ...plan.prune.map((p) => label(p.run))].sort()).toEqual(input.map(label).sort());
  });

  it("explains each decision", () => {
    const plan = selectRetention(
      runs("2026-01-12 03:00", "2026-01-11 03:00", "2026-01-10 03:00 failed", "2026-01-01 03:00", "2025-12-01 03:00"),
      { keep_last: 1, keep_daily: 2, max_age_days: 5 },
      { now: new Date(NOW) },
    );
    expect(plan.keep.map((k) => [label(k.run), k.reasons])).toEqual([
      ["2026-01-12 03:00", ["newest-success", "keep_last", "keep_daily", "max_age_days"]],
      ["2026-01-11 03:00", ["keep_daily", "max_age_days"]],
    ]);
    expect(plan.prune.map((p) => [label(p.run), p.reasons])).toEqual([
      ["2026-01-10 03:00", ["unsuccessful"]],
      ["2026-01-01 03:00", ["older-than-max-age"]],
      ["2025-12-01 03:00", ["older-than-max-age"]],
    ]);
    expect(selectRetention(runs("2026-01-12 03:00", "2026-01-11 03:00"), { keep_last: 1 }, { now: new Date(NOW) }).prune[0]!.reasons).toEqual(["not-selected"]);
  });

  it("an ISO week that spans a year boundary is one bucket", () => {
    // 2026-01-01 (Thursday) belongs to 2026-W01, which starts on Monday 2025-12-29.
    const plan = selectRetention(runs("2026-01-01 03:00", "2025-12-29 03:00", "2025-12-28 03:00"), { keep_weekly: 2 }, { now: new Date(NOW) });
    expect(plan.keep.map((k) => label(k.run))).toEqual(["2026-01-01 03:00", "2025-12-28 03:00"]);
  });
});

describe("retention by sequence, not by clock", () => {
  const DAY = 86_400_000;

  it("keep_last counts by id: a run recorded 400 days in the future does not push later runs out", () => {
    // Made in this order; run 3 was made by a clock 400 days ahead; now the clock is right again.
    const made = inSequence("2026-01-09 03:00", "2026-01-10 03:00", "2027-02-14 03:00", "2026-01-11 03:00", "2026-01-12 03:00");
    const plan = selectRetention(made, { keep_last: 1 }, { now: new Date(NOW), justFinished: 5 });
    // The clock error pauses pruning: everything is kept, and the run from the future is named.
    expect(plan.prune).toEqual([]);
    expect(plan.keep.map((k) => [k.run.id, k.reasons])).toEqual([
      [5, ["just-finished", "clock-skew"]],
      [4, ["clock-skew"]],
      [3, ["clock-skew"]],
      [2, ["clock-skew"]],
      [1, ["clock-skew"]],
    ]);
    expect(plan.skews).toEqual([{ runId: 3, kind: "ahead", startedAt: new Date("2027-02-14T03:00:00Z"), byMs: Date.parse("2027-02-14T03:00:00Z") - Date.parse(NOW) }]);

    // Once an admin confirmed the clock, the sequence decides: the newest run (id 5) is kept, the one from the future is not.
    const resumed = selectRetention(made, { keep_last: 1 }, { now: new Date(NOW), justFinished: 5, acknowledgedSkews: new Set(["3:ahead"]) });
    expect(resumed.skews).toEqual([]);
    expect(resumed.keep.map((k) => k.run.id)).toEqual([5]);
    expect(resumed.prune.map((p) => p.run.id)).toEqual([4, 3, 2, 1]);
  });

  it("names a run 700 days behind the one before it, and a clock now behind every earlier run", () => {
    const made = inSequence("2026-01-10 03:00", "2024-02-10 03:00", "2026-01-11 03:00");
    const skews = findClockSkews(made, new Date(NOW));
    expect(skews).toEqual([
      { runId: 2, kind: "behind", startedAt: new Date("2024-02-10T03:00:00Z"), byMs: Date.parse("2026-01-10T03:00:00Z") - Date.parse("2024-02-10T03:00:00Z"), reference: { runId: 1, startedAt: new Date("2026-01-10T03:00:00Z") } },
    ]);
    expect(Math.round(skews[0]!.byMs / DAY)).toBe(700);
    // The clock itself 700 days behind: every earlier run lies in its future.
    expect(findClockSkews(made.slice(0, 1), new Date(Date.parse(NOW) - 700 * DAY)).map((s) => [s.runId, s.kind])).toEqual([[1, "ahead"]]);
  });

  it("never prunes the run that has just finished, even when no rule selects it", () => {
    const made = inSequence("2026-01-11 03:00", "2026-01-12 03:00 failed", "2026-01-12 04:00");
    // Pruning is asked for after run 2 (say, a caller that prunes after any run): it stays.
    const plan = selectRetention(made, { keep_last: 1 }, { now: new Date(NOW), justFinished: 2 });
    expect(plan.keep.map((k) => [k.run.id, k.reasons])).toEqual([
      [3, ["newest-success", "keep_last"]],
      [2, ["just-finished"]],
    ]);
    expect(plan.prune.map((p) => p.run.id)).toEqual([1]);
  });

  it("after confirmation, a skewed run takes its predecessor's day for keep_daily (it does not claim a day of its own)", () => {
    const made = inSequence("2026-01-10 03:00", "2026-01-11 03:00", "2024-02-10 03:00", "2026-01-12 03:00");
    const plan = selectRetention(made, { keep_daily: 2 }, { now: new Date(NOW), acknowledgedSkews: new Set(["3:behind"]) });
    // Days: run 4 → 01-12, run 3 → (effective) 01-11, run 2 → 01-11, run 1 → 01-10: the two newest days are kept by their newest runs.
    expect(plan.keep.map((k) => k.run.id)).toEqual([4, 3]);
    expect(plan.prune.map((p) => p.run.id)).toEqual([2, 1]);
  });
});
