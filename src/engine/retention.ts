import type { Retention } from "../domain.js";
import type { RunRow } from "../db/schema.js";

/** What retention needs to know about a run. */
export interface RetentionRun {
  id: number;
  startedAt: Date;
  status: RunRow["status"];
  /** The run's parts were read back and matched their checksums. */
  verified: boolean;
}

export type KeepReason =
  /** The run is still going; retention never touches it. */
  | "in-progress"
  /** The job has no retention rule: everything is kept. */
  | "no-policy"
  /** Safeguard: the newest successful run is never pruned. */
  | "newest-success"
  /** Safeguard: the newest verified successful run is never pruned either (when the newest success is unverified). */
  | "newest-verified"
  | "keep_last"
  | "keep_daily"
  | "keep_weekly"
  | "keep_monthly"
  /** Younger than `max_age_days`. */
  | "max_age_days";

export type PruneReason =
  /** A failed or interrupted run: whatever it left behind is not a backup. */
  | "unsuccessful"
  /** No rule keeps it (and there is no `max_age_days`). */
  | "not-selected"
  /** Older than `max_age_days` and no other rule keeps it. */
  | "older-than-max-age";

export interface RetentionPlan<R extends RetentionRun> {
  /** Newest first; every rule that keeps a run is listed. */
  keep: Array<{ run: R; reasons: KeepReason[] }>;
  /** Newest first. */
  prune: Array<{ run: R; reasons: PruneReason[] }>;
}

export interface RetentionOptions {
  now: Date;
  /** Time zone whose calendar days, ISO weeks and months the GFS rules use (the job's). Default UTC. */
  timezone?: string;
}

const DAY_MS = 86_400_000;

/**
 * Decides which runs of one job to keep, with GFS semantics like restic's `forget`/borg's `prune`.
 *
 * Precedence, first match wins:
 * 1. A `running` run is kept ("in-progress").
 * 2. With no rule set (every field missing or 0), everything is kept ("no-policy").
 * 3. A failed or interrupted run is pruned ("unsuccessful").
 * 4. Safeguards, whatever the rules say: the newest successful run is kept ("newest-success"),
 *    and so is the newest *verified* successful run when that is an older one ("newest-verified").
 * 5. A successful run is kept if any rule selects it (all such rules are listed):
 *    - `keep_last: n` — the n newest successful runs;
 *    - `keep_daily: n` — the newest successful run of each of the n most recent calendar days
 *      that have successful runs (days without runs do not count); `keep_weekly` (ISO weeks)
 *      and `keep_monthly` likewise;
 *    - `max_age_days: d` — every successful run started at most d days before `now`.
 * 6. Anything else is pruned: "older-than-max-age" when `max_age_days` is set (it is older),
 *    else "not-selected". So `max_age_days` prunes old runs only where no other rule keeps them,
 *    and on its own it means "keep everything younger than d days".
 */
export function selectRetention<R extends RetentionRun>(runs: readonly R[], policy: Retention, options: RetentionOptions): RetentionPlan<R> {
  const tz = options.timezone ?? "UTC";
  const sorted = [...runs].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || b.id - a.id);
  const keepLast = policy.keep_last ?? 0;
  const maxAge = policy.max_age_days ?? 0;
  const buckets = [
    { reason: "keep_daily" as const, count: policy.keep_daily ?? 0, key: (d: Date) => dayKey(d, tz) },
    { reason: "keep_weekly" as const, count: policy.keep_weekly ?? 0, key: (d: Date) => isoWeekKey(d, tz) },
    { reason: "keep_monthly" as const, count: policy.keep_monthly ?? 0, key: (d: Date) => dayKey(d, tz).slice(0, 7) },
  ];
  const noPolicy = keepLast <= 0 && maxAge <= 0 && buckets.every((b) => b.count <= 0);

  const plan: RetentionPlan<R> = { keep: [], prune: [] };
  const successes = sorted.filter((r) => r.status === "success");
  const newestSuccess = successes[0];
  const newestVerified = successes.find((r) => r.verified);
  const lastBucket = new Map<string, string>();
  const remaining = new Map<string, number>(buckets.map((b) => [b.reason, b.count]));
  let successIndex = 0;

  for (const run of sorted) {
    if (run.status === "running") {
      plan.keep.push({ run, reasons: ["in-progress"] });
      continue;
    }
    if (noPolicy) {
      plan.keep.push({ run, reasons: ["no-policy"] });
      continue;
    }
    if (run.status !== "success") {
      plan.prune.push({ run, reasons: ["unsuccessful"] });
      continue;
    }
    const reasons: KeepReason[] = [];
    if (run === newestSuccess) reasons.push("newest-success");
    else if (run === newestVerified) reasons.push("newest-verified");
    if (successIndex < keepLast) reasons.push("keep_last");
    successIndex++;
    // Like restic: walking newest → oldest, a run is the newest of its bucket when its bucket
    // differs from the previous run's; each rule keeps that many distinct buckets.
    for (const b of buckets) {
      if (b.count <= 0) continue;
      const key = b.key(run.startedAt);
      if (lastBucket.get(b.reason) === key) continue;
      lastBucket.set(b.reason, key);
      const left = remaining.get(b.reason)!;
      if (left > 0) {
        reasons.push(b.reason);
        remaining.set(b.reason, left - 1);
      }
    }
    const withinMaxAge = maxAge > 0 && options.now.getTime() - run.startedAt.getTime() <= maxAge * DAY_MS;
    if (withinMaxAge) reasons.push("max_age_days");

    if (reasons.length > 0) plan.keep.push({ run, reasons });
    else plan.prune.push({ run, reasons: [maxAge > 0 ? "older-than-max-age" : "not-selected"] });
  }
  return plan;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** Local calendar date in `tz`, "YYYY-MM-DD". */
function dayKey(d: Date, tz: string): string {
  let f = dayFormats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormats.set(tz, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(d)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** ISO 8601 week of the local date, e.g. "2026-W01" (weeks start on Monday; week 1 holds the first Thursday). */
function isoWeekKey(d: Date, tz: string): string {
  const [y, m, day] = dayKey(d, tz).split("-").map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const year = date.getUTCFullYear();
  const week = Math.ceil(((date.getTime() - Date.UTC(year, 0, 1)) / DAY_MS + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}
