import { and, desc, eq, gte, inArray, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { once } from "../shared/once.js";
import { drills, runParts, runs, type DrillRow, type RunRow } from "../db/schema.js";

/** One result in a job's history strip: a backup run or a restore drill. */
export type HistoryEntry =
  | { kind: "run"; id: number; at: Date; run: Pick<RunRow, "status" | "verifiedAt" | "anomalies"> }
  | { kind: "drill"; id: number; at: Date; drill: Pick<DrillRow, "status" | "level"> };

/** Run and drill history, read for /status, /logs and the weekly digest. */
export class HistoryRepo {
  constructor(private readonly db: Db) {}

  /**
   * A job's last `n` finished results, runs and drills together, oldest first. Runs are ordered
   * by sequence (id); a drill sits after the run it proved (`run_id`), else by its start time.
   */
  recent(jobId: number, n: number): HistoryEntry[] {
    const r = this.recentRuns().all({ jobId, n });
    const d = this.recentDrills().all({ jobId, n });
    const entries: Array<HistoryEntry & { seq: number }> = [
      ...r.map((x) => ({ kind: "run" as const, id: x.id, at: x.startedAt, run: x, seq: x.id })),
      // Between its run and the next one (or, unknown run, at the newest run started before it).
      ...d.map((x) => ({ kind: "drill" as const, id: x.id, at: x.startedAt, drill: x, seq: (x.runId ?? r.find((y) => y.startedAt <= x.startedAt)?.id ?? 0) + 0.5 + x.id / 1e9 })),
    ];
    entries.sort((a, b) => a.seq - b.seq);
    return entries.slice(-n).map(({ seq: _seq, ...e }) => e as HistoryEntry);
  }

  private readonly recentRuns = once(() =>
    this.db
      .select({ id: runs.id, status: runs.status, verifiedAt: runs.verifiedAt, anomalies: runs.anomalies, startedAt: runs.startedAt })
      .from(runs)
      .where(and(eq(runs.jobId, sql.placeholder("jobId")), sql`${runs.status} <> 'running'`))
      .orderBy(desc(runs.id))
      .limit(sql.placeholder("n"))
      .prepare(),
  );

  private readonly recentDrills = once(() =>
    this.db
      .select({ id: drills.id, status: drills.status, level: drills.level, startedAt: drills.startedAt, runId: drills.runId })
      .from(drills)
      .where(and(eq(drills.jobId, sql.placeholder("jobId")), sql`${drills.status} <> 'running'`))
      .orderBy(desc(drills.id))
      .limit(sql.placeholder("n"))
      .prepare(),
  );

  /** Finished drills of these runs, newest first. */
  drillsOf(runIds: number[]): Array<Pick<DrillRow, "id" | "runId" | "status" | "level" | "startedAt" | "finishedAt">> {
    if (runIds.length === 0) return [];
    return this.db
      .select({ id: drills.id, runId: drills.runId, status: drills.status, level: drills.level, startedAt: drills.startedAt, finishedAt: drills.finishedAt })
      .from(drills)
      .where(and(inArray(drills.runId, runIds), sql`${drills.status} <> 'running'`))
      .orderBy(desc(drills.id))
      .all();
  }

  /** When a drill last proved a run of the job restorable in full (restored and compared). */
  lastProvenRestore(jobId: number): Date | null {
    const row = this.provenRestore().get({ jobId });
    return row ? (row.at ?? row.startedAt) : null;
  }

  private readonly provenRestore = once(() =>
    this.db
      .select({ at: drills.finishedAt, startedAt: drills.startedAt })
      .from(drills)
      .where(and(eq(drills.jobId, sql.placeholder("jobId")), eq(drills.status, "passed"), eq(drills.level, "full")))
      .orderBy(desc(drills.id))
      .limit(1)
      .prepare(),
  );

  /** Runs of the given jobs started in [from, to). */
  runsBetween(jobIds: number[], from: Date, to: Date): RunRow[] {
    if (jobIds.length === 0) return [];
    return this.db.select().from(runs).where(and(inArray(runs.jobId, jobIds), gte(runs.startedAt, from), lt(runs.startedAt, to))).orderBy(runs.id).all();
  }

  /** Finished drills of the given jobs started in [from, to). */
  drillsBetween(jobIds: number[], from: Date, to: Date): Array<Pick<DrillRow, "jobId" | "status" | "level">> {
    if (jobIds.length === 0) return [];
    return this.db
      .select({ jobId: drills.jobId, status: drills.status, level: drills.level })
      .from(drills)
      .where(and(inArray(drills.jobId, jobIds), gte(drills.startedAt, from), lt(drills.startedAt, to), sql`${drills.status} <> 'running'`))
      .all();
  }

  /** Copies of the given jobs' runs the watchdog re-checked in [from, to) (found intact), and found lost then. */
  watchdogBetween(jobIds: number[], from: Date, to: Date): { checked: number; lost: number } {
    if (jobIds.length === 0) return { checked: 0, lost: 0 };
    const count = (column: typeof runParts.checkedAt | typeof runParts.lostAt) =>
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(runParts)
        .innerJoin(runs, eq(runs.id, runParts.runId))
        .where(and(inArray(runs.jobId, jobIds), isNotNull(column), gte(column, from), lt(column, to)))
        .get()?.n ?? 0;
    return { checked: count(runParts.checkedAt), lost: count(runParts.lostAt) };
  }
}
