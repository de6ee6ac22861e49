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
  /** The run that has just finished (the one whose success triggered pruning) is never pruned. */
  | "just-finished"
  /** The job's history holds a clock error nobody has confirmed yet: pruning is paused, everything is kept. */
  | "clock-skew"
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

/**
 * A run whose start time cannot be right (see `findClockSkews`):
 * - `ahead`: it starts more than `SKEW_TOLERANCE_MS` after `now`;
 * - `behind`: it starts more than `SKEW_TOLERANCE_MS` before a run that came before it in the
 *   sequence (an earlier id) and is not itself skewed.
 * `byMs` is how far off it is: after `now`, or before that earlier run (`reference`).
 */
export interface ClockSkew {
  runId: number;
  startedAt: Date;
  kind: "ahead" | "behind";
  byMs: number;
  /** For `behind`: the earlier run it starts before. */
  reference?: { runId: number; startedAt: Date };
}

/** A key that names one skewed run for acknowledgement: `"<runId>:<kind>"`. */
export const skewKey = (s: Pick<ClockSkew, "runId" | "kind">): string => `${s.runId}:${s.kind}`;

export interface RetentionPlan<R extends RetentionRun> {
  /** Newest first (by id); every rule that keeps a run is listed. */
  keep: Array<{ run: R; reasons: KeepReason[] }>;
  /** Newest first (by id). */
  prune: Array<{ run: R; reasons: PruneReason[] }>;
  /** Clock errors not acknowledged yet; when there is any, nothing is pruned. */
  skews: ClockSkew[];
}

export interface RetentionOptions {
  now: Date;
  /** Time zone whose calendar days, ISO weeks and months the GFS rules use (the job's). Default UTC. */
  timezone?: string;
  /** The run that has just finished: never pruned, whatever the rules say. */
  justFinished?: number;
  /** Skew keys (`skewKey`) an admin has confirmed: they no longer pause pruning. */
  acknowledgedSkews?: ReadonlySet<string>;
  /**
   * Every run of the job, expired ones included, to judge start times against (a run 700 days
   * behind is behind the runs before it even when those have been pruned). Default `runs`.
   * Only clock errors of `runs` themselves are reported.
   */
  history?: readonly Pick<RetentionRun, "id" | "startedAt">[];
}

const DAY_MS = 86_400_000;
/**
 * How far a start time may be off before it counts as a clock error. Runs of one job never
 * overlap (the scheduler's overlap guard), so in sequence their starts only move forward; an
 * hour leaves room for a clock that NTP slews back a little.
 */
export const SKEW_TOLERANCE_MS = 3_600_000;

/**
 * Decides which runs of one job to keep, with GFS semantics like restic's `forget`/borg's `prune`.
 *
 * Order is the sequence, not the clock: "newest" is the highest run id (ids grow with every run
 * started, whatever the clock says). keep_last counts in id order; the GFS buckets are walked in
 * id order too. Only the calendar rules (keep_daily/weekly/monthly) and `max_age_days` read
 * start times.
 *
 * Clock errors (the contract for runs whose start time cannot be right, `findClockSkews`):
 * - A run starting more than an hour after `now`, or more than an hour before an earlier run of
 *   the sequence, is a clock error: a VM that booted before NTP, a clock set back by hand.
 * - While any clock error has not been acknowledged, nothing is pruned: every run is kept with
 *   "clock-skew" (a running one "in-progress"), and `skews` lists the errors, so the caller can
 *   alert (once) and wait for an admin to confirm that the clock is right again.
 * - Once acknowledged, a skewed run stays in the sequence where its id puts it (keep_last counts
 *   it like any other) and the time rules read an *effective* start instead of its recorded one:
 *   the latest start of the sane runs before it (or, when there is none, the earliest start of
 *   the sane runs after it, or `now`). So it shares the calendar bucket of its predecessor and
 *   never looks older or younger than its neighbours to `max_age_days`.
 * - A clock that jumps *forward* and stays there cannot be told from a long pause while it is
 *   still ahead; it shows as soon as the clock is put right (the runs made meanwhile then lie
 *   after `now`).
 *
 * Precedence, first match wins:
 * 1. A `running` run is kept ("in-progress").
 * 2. The run that has just finished is kept ("just-finished").
 * 3. With an unacknowledged clock error, every run is kept ("clock-skew").
 * 4. With no rule set (every field missing or 0), everything is kept ("no-policy").
 * 5. A failed or interrupted run is pruned ("unsuccessful").
 * 6. Safeguards, whatever the rules say: the newest successful run is kept ("newest-success"),
 *    and so is the newest *verified* successful run when that is an older one ("newest-verified").
 * 7. A successful run is kept if any rule selects it (all such rules are listed):
 *    - `keep_last: n` — the n newest successful runs;
 *    - `keep_daily: n` — the newest successful run of each of the n most recent calendar days
 *      that have successful runs (days without runs do not count); `keep_weekly` (ISO weeks)
 *      and `keep_monthly` likewise;
 *    - `max_age_days: d` — every successful run started at most d days before `now`.
 * 8. Anything else is pruned: "older-than-max-age" when `max_age_days` is set (it is older),
 *    else "not-selected". So `max_age_days` prunes old runs only where no other rule keeps them,
 *    and on its own it means "keep everything younger than d days".
 */
export function selectRetention<R extends RetentionRun>(runs: readonly R[], policy: Retention, options: RetentionOptions): RetentionPlan<R> {
  const tz = options.timezone ?? "UTC";
  const sorted = [...runs].sort((a, b) => b.id - a.id);
  const candidateIds = new Set(runs.map((r) => r.id));
  const allSkews = findClockSkews(options.history ?? runs, options.now).filter((s) => candidateIds.has(s.runId));
  const acknowledged = options.acknowledgedSkews ?? new Set<string>();
  const skews = allSkews.filter((s) => !acknowledged.has(skewKey(s)));
  const effective = effectiveStarts(runs, allSkews, options.now);
  const startOf = (r: R) => effective.get(r.id) ?? r.startedAt;
  const keepLast = policy.keep_last ?? 0;
  const maxAge = policy.max_age_days ?? 0;
  const buckets = [
    { reason: "keep_daily" as const, count: policy.keep_daily ?? 0, key: (d: Date) => dayKey(d, tz) },
    { reason: "keep_weekly" as const, count: policy.keep_weekly ?? 0, key: (d: Date) => isoWeekKey(d, tz) },
    { reason: "keep_monthly" as const, count: policy.keep_monthly ?? 0, key: (d: Date) => dayKey(d, tz).slice(0, 7) },
  ];
  const noPolicy = keepLast <= 0 && maxAge <= 0 && buckets.every((b) => b.count <= 0);

  const plan: RetentionPlan<R> = { keep: [], prune: [], skews };
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
    const justFinished = run.id === options.justFinished;
    if (skews.length > 0) {
      plan.keep.push({ run, reasons: justFinished ? ["just-finished", "clock-skew"] : ["clock-skew"] });
      continue;
    }
    if (noPolicy) {
      plan.keep.push({ run, reasons: justFinished ? ["just-finished", "no-policy"] : ["no-policy"] });
      continue;
    }
    if (run.status !== "success") {
      if (justFinished) plan.keep.push({ run, reasons: ["just-finished"] });
      else plan.prune.push({ run, reasons: ["unsuccessful"] });
      continue;
    }
    const reasons: KeepReason[] = justFinished ? ["just-finished"] : [];
    if (run === newestSuccess) reasons.push("newest-success");
    else if (run === newestVerified) reasons.push("newest-verified");
    if (successIndex < keepLast) reasons.push("keep_last");
    successIndex++;
    // Like restic: walking newest → oldest, a run is the newest of its bucket when its bucket
    // differs from the previous run's; each rule keeps that many distinct buckets.
    for (const b of buckets) {
      if (b.count <= 0) continue;
      const key = b.key(startOf(run));
      if (lastBucket.get(b.reason) === key) continue;
      lastBucket.set(b.reason, key);
      const left = remaining.get(b.reason)!;
      if (left > 0) {
        reasons.push(b.reason);
        remaining.set(b.reason, left - 1);
      }
    }
    const withinMaxAge = maxAge > 0 && options.now.getTime() - startOf(run).getTime() <= maxAge * DAY_MS;
    if (withinMaxAge) reasons.push("max_age_days");

    if (reasons.length > 0) plan.keep.push({ run, reasons });
    else plan.prune.push({ run, reasons: [maxAge > 0 ? "older-than-max-age" : "not-selected"] });
  }
  return plan;
}

/**
 * The clock errors in one job's runs (any order in, oldest first out), as `selectRetention`
 * defines them: walking the sequence (ids ascending), a run that starts more than
 * `SKEW_TOLERANCE_MS` after `now` is "ahead"; one that starts more than that before the latest
 * start of the sane runs before it is "behind". Skewed runs never become the reference, so one
 * run from the future does not make every later run look "behind".
 */
export function findClockSkews(runs: readonly Pick<RetentionRun, "id" | "startedAt">[], now: Date, toleranceMs = SKEW_TOLERANCE_MS): ClockSkew[] {
  const ascending = [...runs].sort((a, b) => a.id - b.id);
  const skews: ClockSkew[] = [];
  let reference: { runId: number; startedAt: Date } | undefined;
  for (const run of ascending) {
    const t = run.startedAt.getTime();
    if (t > now.getTime() + toleranceMs) {
      skews.push({ runId: run.id, startedAt: run.startedAt, kind: "ahead", byMs: t - now.getTime() });
      continue;
    }
    if (reference && t < reference.startedAt.getTime() - toleranceMs) {
      skews.push({ runId: run.id, startedAt: run.startedAt, kind: "behind", byMs: reference.startedAt.getTime() - t, reference });
      continue;
    }
    if (!reference || t > reference.startedAt.getTime()) reference = { runId: run.id, startedAt: run.startedAt };
  }
  return skews;
}

/** Effective start times of skewed runs (see `selectRetention`); sane runs are not in the map. */
function effectiveStarts(runs: readonly RetentionRun[], skews: readonly ClockSkew[], now: Date): Map<number, Date> {
  const out = new Map<number, Date>();
  if (skews.length === 0) return out;
  const skewed = new Set(skews.map((s) => s.runId));
  const sane = [...runs].filter((r) => !skewed.has(r.id)).sort((a, b) => a.id - b.id);
  for (const s of skews) {
    let before: Date | undefined;
    let after: Date | undefined;
    for (const r of sane) {
      if (r.id < s.runId) before = !before || r.startedAt > before ? r.startedAt : before;
      else if (!after || r.startedAt < after) after = r.startedAt;
    }
    out.set(s.runId, before ?? after ?? now);
  }
  return out;
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
