import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { drills, type DrillRow } from "../db/schema.js";
import { ownerToken } from "../shared/process-owner.js";

export type NewDrill = Pick<typeof drills.$inferInsert, "jobId" | "jobName" | "runId" | "trigger" | "sourceId" | "scratch">;

/** Restore drills: recorded while they run (recovery drops what a killed one left), and their outcome. */
export class DrillsRepo {
  constructor(private readonly db: Db) {}

  /** Records a drill this process starts now. */
  begin(values: NewDrill, at = new Date()): DrillRow {
    return this.db.insert(drills).values({ ...values, status: "running", owner: ownerToken(), startedAt: at }).returning().get();
  }

  update(id: number, values: Partial<typeof drills.$inferInsert>): void {
    this.db.update(drills).set(values).where(eq(drills.id, id)).run();
  }

  get(id: number): DrillRow | null {
    return this.db.select().from(drills).where(eq(drills.id, id)).get() ?? null;
  }

  listRunning(): DrillRow[] {
    return this.db.select().from(drills).where(eq(drills.status, "running")).orderBy(drills.id).all();
  }

  /** A job's drills, newest first. */
  listByJob(jobId: number, limit = 20): DrillRow[] {
    return this.db.select().from(drills).where(eq(drills.jobId, jobId)).orderBy(desc(drills.id)).limit(limit).all();
  }

  /** The newest drill of the job that proved a run restorable in full, or null. For /status ("last proven restorable"). */
  lastProvenRestorable(jobId: number): DrillRow | null {
    return (
      this.db
        .select()
        .from(drills)
        .where(and(eq(drills.jobId, jobId), eq(drills.status, "passed"), eq(drills.level, "full")))
        .orderBy(desc(drills.id))
        .limit(1)
        .get() ?? null
    );
  }

  /** The newest finished drill of each of these jobs (any outcome), by job id. */
  latestByJobs(jobIds: number[]): Map<number, DrillRow> {
    const out = new Map<number, DrillRow>();
    if (jobIds.length === 0) return out;
    for (const row of this.db.select().from(drills).where(inArray(drills.jobId, jobIds)).orderBy(desc(drills.id)).all()) {
      if (row.jobId != null && row.status !== "running" && !out.has(row.jobId)) out.set(row.jobId, row);
    }
    return out;
  }
}
