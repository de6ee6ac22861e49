import { asc, count, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { sources, type SourceRow } from "../db/schema.js";

export type NewSourceRow = Pick<typeof sources.$inferInsert, "name" | "kind" | "settings" | "passwordEnc">;

export class SourcesRepo {
  constructor(private readonly db: Db) {}

  list(): SourceRow[] {
    return this.db.select().from(sources).orderBy(asc(sources.id)).all();
  }

  findById(id: number): SourceRow | null {
    return this.db.select().from(sources).where(eq(sources.id, id)).get() ?? null;
  }

  findByName(name: string): SourceRow | null {
    return this.db.select().from(sources).where(eq(sources.name, name)).get() ?? null;
  }

  insert(values: NewSourceRow): SourceRow {
    return this.db.insert(sources).values(values).returning().get();
  }

  update(id: number, values: Partial<NewSourceRow>): SourceRow | null {
    return this.db.update(sources).set({ ...values, updatedAt: new Date() }).where(eq(sources.id, id)).returning().get() ?? null;
  }

  /** True when a row was deleted. */
  delete(id: number): boolean {
    return this.db.delete(sources).where(eq(sources.id, id)).run().changes > 0;
  }

  count(): number {
    return this.db.select({ n: count() }).from(sources).get()?.n ?? 0;
  }
}
