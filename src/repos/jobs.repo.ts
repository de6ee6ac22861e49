import { asc, count, eq, inArray } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { jobDestinations, jobs, type JobRow } from "../db/schema.js";

export type NewJobRow = Omit<typeof jobs.$inferInsert, "id" | "createdAt" | "updatedAt">;

/** A job row with the ids of the destinations it delivers to, in delivery order. */
export type JobWithDestinations = JobRow & { destinationIds: number[] };

/** Write transactions take the write lock first: see config-io.service.ts. */
const IMMEDIATE = { behavior: "immediate" } as const;

export class JobsRepo {
  constructor(private readonly db: Db) {}

  list(): JobWithDestinations[] {
    const rows = this.db.select().from(jobs).orderBy(asc(jobs.id)).all();
    return this.attach(rows);
  }

  findById(id: number): JobWithDestinations | null {
    const row = this.db.select().from(jobs).where(eq(jobs.id, id)).get();
    return row ? this.attach([row])[0]! : null;
  }

  findByName(name: string): JobWithDestinations | null {
    const row = this.db.select().from(jobs).where(eq(jobs.name, name)).get();
    return row ? this.attach([row])[0]! : null;
  }

  listBySource(sourceId: number): JobRow[] {
    return this.db.select().from(jobs).where(eq(jobs.sourceId, sourceId)).orderBy(asc(jobs.id)).all();
  }

  listByDestination(destinationId: number): JobRow[] {
    return this.db
      .select({ job: jobs })
      .from(jobDestinations)
      .innerJoin(jobs, eq(jobs.id, jobDestinations.jobId))
      .where(eq(jobDestinations.destinationId, destinationId))
      .orderBy(asc(jobs.id))
      .all()
      .map((r) => r.job);
  }

  insert(values: NewJobRow, destinationIds: number[]): JobWithDestinations {
    return this.db.transaction((tx) => {
      const row = tx.insert(jobs).values(values).returning().get();
      if (destinationIds.length > 0) {
        tx.insert(jobDestinations)
          .values(destinationIds.map((destinationId, position) => ({ jobId: row.id, destinationId, position })))
          .run();
      }
      return { ...row, destinationIds: [...destinationIds] };
    }, IMMEDIATE);
  }

  /** Updates the row; when `destinationIds` is given, replaces the destination list with it. */
  update(id: number, values: Partial<NewJobRow>, destinationIds?: number[]): JobWithDestinations | null {
    return this.db.transaction((tx) => {
      const row = tx.update(jobs).set({ ...values, updatedAt: new Date() }).where(eq(jobs.id, id)).returning().get();
      if (!row) return null;
      if (destinationIds) {
        tx.delete(jobDestinations).where(eq(jobDestinations.jobId, id)).run();
        if (destinationIds.length > 0) {
          tx.insert(jobDestinations)
            .values(destinationIds.map((destinationId, position) => ({ jobId: id, destinationId, position })))
            .run();
        }
      }
      return this.attach([row])[0]!;
    }, IMMEDIATE);
  }

  /** True when a row was deleted (its job_destinations go with it). */
  delete(id: number): boolean {
    return this.db.delete(jobs).where(eq(jobs.id, id)).run().changes > 0;
  }

  count(): number {
    return this.db.select({ n: count() }).from(jobs).get()?.n ?? 0;
  }

  private attach(rows: JobRow[]): JobWithDestinations[] {
    if (rows.length === 0) return [];
    const links = this.db
      .select()
      .from(jobDestinations)
      .where(inArray(jobDestinations.jobId, rows.map((r) => r.id)))
      .orderBy(asc(jobDestinations.jobId), asc(jobDestinations.position))
      .all();
    const byJob = new Map<number, number[]>();
    for (const l of links) {
      const list = byJob.get(l.jobId) ?? [];
      list.push(l.destinationId);
      byJob.set(l.jobId, list);
    }
    return rows.map((r) => ({ ...r, destinationIds: byJob.get(r.id) ?? [] }));
  }
}
