import { and, asc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { runParts, runs, type RunPartRow, type RunRow } from "../db/schema.js";

/** One stored copy of a part of a kept run, as the watchdog samples it. */
export interface KeptCopy {
  part: RunPartRow;
  run: Pick<RunRow, "id" | "jobId" | "jobName">;
}

/** What /status and the digest say about one job's copies. */
export interface JobCopiesState {
  /** Stored copies of the job's kept runs (lost ones included). */
  copies: number;
  /** Copies re-checked at least once. */
  checked: number;
  /** The most recent re-check, and the oldest one among the checked copies. */
  lastCheckedAt: Date | null;
  oldestCheckedAt: Date | null;
  /** Copies found gone or different. */
  lost: number;
  /** Runs with at least one lost copy, newest first. */
  lostRuns: number[];
}

/** Part re-checks of the channel watchdog (columns `checked_at`, `lost_at`, `lost_reason` of `run_parts`). */
export class PartChecksRepo {
  constructor(private readonly db: Db) {}

  /**
   * Every stored copy of every kept run (successful, not expired, not being pruned) that is not
   * known lost, in the order the watchdog re-checks them: never checked first, then the longest
   * unchecked; ties by id (deterministic).
   */
  candidates(): KeptCopy[] {
    return this.db
      .select({ part: runParts, run: { id: runs.id, jobId: runs.jobId, jobName: runs.jobName } })
      .from(runParts)
      .innerJoin(runs, eq(runs.id, runParts.runId))
      .where(and(eq(runs.status, "success"), isNull(runs.expiredAt), isNull(runs.expiringAt), isNull(runParts.deletedAt), isNull(runParts.lostAt)))
      .orderBy(sql`${runParts.checkedAt} IS NOT NULL`, asc(runParts.checkedAt), asc(runParts.id))
      .all();
  }

  markChecked(partId: number, at: Date): void {
    this.db.update(runParts).set({ checkedAt: at }).where(eq(runParts.id, partId)).run();
  }

  /** Marks a copy lost; false when it already was (so the admins hear of it once). */
  markLost(partId: number, at: Date, reason: "missing" | "corrupt"): boolean {
    const r = this.db.update(runParts).set({ lostAt: at, lostReason: reason }).where(and(eq(runParts.id, partId), isNull(runParts.lostAt))).run();
    return r.changes > 0;
  }

  /** Every stored copy of a run (lost ones included), to tell whether another copy can stand in. */
  copiesOf(runId: number): RunPartRow[] {
    return this.db.select().from(runParts).where(and(eq(runParts.runId, runId), isNull(runParts.deletedAt))).orderBy(runParts.partIndex, runParts.destinationId, runParts.copy).all();
  }

  /** Per job: how its kept runs' copies stand. Jobs without kept copies are absent. */
  byJob(): Map<number, JobCopiesState> {
    const rows = this.db
      .select({ jobId: runs.jobId, runId: runs.id, checkedAt: runParts.checkedAt, lostAt: runParts.lostAt })
      .from(runParts)
      .innerJoin(runs, eq(runs.id, runParts.runId))
      .where(and(eq(runs.status, "success"), isNull(runs.expiredAt), isNull(runParts.deletedAt), isNotNull(runs.jobId)))
      .all();
    const out = new Map<number, JobCopiesState>();
    for (const r of rows) {
      const s = out.get(r.jobId!) ?? { copies: 0, checked: 0, lastCheckedAt: null, oldestCheckedAt: null, lost: 0, lostRuns: [] };
      s.copies++;
      if (r.lostAt) {
        s.lost++;
        if (!s.lostRuns.includes(r.runId)) s.lostRuns.push(r.runId);
      } else if (r.checkedAt) {
        s.checked++;
        if (!s.lastCheckedAt || r.checkedAt > s.lastCheckedAt) s.lastCheckedAt = r.checkedAt;
        if (!s.oldestCheckedAt || r.checkedAt < s.oldestCheckedAt) s.oldestCheckedAt = r.checkedAt;
      }
      out.set(r.jobId!, s);
    }
    for (const s of out.values()) s.lostRuns.sort((a, b) => b - a);
    return out;
  }

  /** Copies found lost since `since` (for the weekly digest), with their run. */
  lostSince(since: Date): KeptCopy[] {
    return this.db
      .select({ part: runParts, run: { id: runs.id, jobId: runs.jobId, jobName: runs.jobName } })
      .from(runParts)
      .innerJoin(runs, eq(runs.id, runParts.runId))
      .where(and(isNotNull(runParts.lostAt), sql`${runParts.lostAt} >= ${since.getTime()}`))
      .orderBy(asc(runParts.lostAt), asc(runParts.id))
      .all();
  }

  /** Of the given runs, those with copies the watchdog found lost, and how many. */
  lostByRun(runIds: number[]): Map<number, number> {
    const out = new Map<number, number>();
    if (runIds.length === 0) return out;
    const rows = this.db
      .select({ runId: runParts.runId })
      .from(runParts)
      .where(and(isNotNull(runParts.lostAt), inArray(runParts.runId, runIds)))
      .all();
    for (const r of rows) out.set(r.runId, (out.get(r.runId) ?? 0) + 1);
    return out;
  }
}
