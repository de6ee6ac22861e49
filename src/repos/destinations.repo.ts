import { asc, count, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { destinations, type DestinationRow } from "../db/schema.js";

export type NewDestinationRow = Pick<typeof destinations.$inferInsert, "name" | "kind" | "settings" | "tokenEnc">;

export class DestinationsRepo {
  constructor(private readonly db: Db) {}

  list(): DestinationRow[] {
    return this.db.select().from(destinations).orderBy(asc(destinations.id)).all();
  }

  findById(id: number): DestinationRow | null {
    return this.db.select().from(destinations).where(eq(destinations.id, id)).get() ?? null;
  }

  findByName(name: string): DestinationRow | null {
    return this.db.select().from(destinations).where(eq(destinations.name, name)).get() ?? null;
  }

  insert(values: NewDestinationRow): DestinationRow {
    return this.db.insert(destinations).values(values).returning().get();
  }

  update(id: number, values: Partial<NewDestinationRow>): DestinationRow | null {
    return this.db.update(destinations).set({ ...values, updatedAt: new Date() }).where(eq(destinations.id, id)).returning().get() ?? null;
  }

  /** True when a row was deleted. */
  delete(id: number): boolean {
    return this.db.delete(destinations).where(eq(destinations.id, id)).run().changes > 0;
  }

  count(): number {
    return this.db.select({ n: count() }).from(destinations).get()?.n ?? 0;
  }
}
