import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { restores, type RestoreRow } from "../db/schema.js";
import { ownerToken } from "../shared/process-owner.js";

export type NewRestore = Pick<typeof restores.$inferInsert, "runId" | "target" | "via" | "kind" | "scratch" | "progressChatId" | "progressMessageId">;

/** Restores while they run (and their outcome), so that start-up recovery can finish one whose process died. */
export class RestoresRepo {
  constructor(private readonly db: Db) {}

  /** Records a restore this process starts now. */
  begin(values: NewRestore, at = new Date()): RestoreRow {
    return this.db.insert(restores).values({ ...values, status: "running", owner: ownerToken(), startedAt: at }).returning().get();
  }

  finish(id: number, status: Exclude<RestoreRow["status"], "running">, error: string | null = null, at = new Date()): void {
    this.db.update(restores).set({ status, error, finishedAt: at }).where(eq(restores.id, id)).run();
  }

  get(id: number): RestoreRow | null {
    return this.db.select().from(restores).where(eq(restores.id, id)).get() ?? null;
  }

  listRunning(): RestoreRow[] {
    return this.db.select().from(restores).where(eq(restores.status, "running")).orderBy(restores.id).all();
  }

  /** Every distinct process that ever owned a restore into this kind of target. */
  owners(kind: string): string[] {
    return this.db.selectDistinct({ owner: restores.owner }).from(restores).where(eq(restores.kind, kind)).all().map((r) => r.owner);
  }
}
