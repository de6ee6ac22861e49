import { and, desc, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { runParts, runs, type RunPartRow, type RunRow } from "../db/schema.js";

export type NewRun = typeof runs.$inferInsert;
export type NewRunPart = typeof runParts.$inferInsert;

export class RunsRepo {
  constructor(private readonly db: Db) {}

  create(values: NewRun): RunRow {
    return this.db.insert(runs).values(values).returning().get();
  }

  update(id: number, values: Partial<NewRun>): void {
    this.db.update(runs).set(values).where(eq(runs.id, id)).run();
  }

  /** Whether a run of this job already used this payload file name. */
  fileNameTaken(jobName: string, fileName: string): boolean {
    return this.db.select({ id: runs.id }).from(runs).where(and(eq(runs.jobName, jobName), eq(runs.fileName, fileName))).get() !== undefined;
  }

  get(id: number): RunRow | null {
    return this.db.select().from(runs).where(eq(runs.id, id)).get() ?? null;
  }

  listByJob(jobId: number, limit = 50, offset = 0): RunRow[] {
    return this.db.select().from(runs).where(eq(runs.jobId, jobId)).orderBy(desc(runs.startedAt), desc(runs.id)).limit(limit).offset(offset).all();
  }

  list(limit = 50, offset = 0): RunRow[] {
    return this.db.select().from(runs).orderBy(desc(runs.startedAt), desc(runs.id)).limit(limit).offset(offset).all();
  }

  listByStatus(status: RunRow["status"]): RunRow[] {
    return this.db.select().from(runs).where(eq(runs.status, status)).all();
  }

  addPart(values: NewRunPart): RunPartRow {
    return this.db.insert(runParts).values(values).returning().get();
  }

  /** Parts not deleted, ordered by destination then part number. */
  liveParts(runId: number): RunPartRow[] {
    return this.db
      .select()
      .from(runParts)
      .where(and(eq(runParts.runId, runId), isNull(runParts.deletedAt)))
      .orderBy(runParts.destinationId, runParts.partIndex)
      .all();
  }

  allParts(runId: number): RunPartRow[] {
    return this.db.select().from(runParts).where(eq(runParts.runId, runId)).orderBy(runParts.destinationId, runParts.partIndex).all();
  }

  markPartDeleted(partId: number, at = new Date()): void {
    this.db.update(runParts).set({ deletedAt: at }).where(eq(runParts.id, partId)).run();
  }
}
