import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { settings } from "../db/schema.js";
import { once } from "../shared/once.js";

export class SettingsRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | null {
    return this.byKey().get({ key })?.value ?? null;
  }

  // Prepared on first use: read for nearly every message the bot sends (a chat's language, a job's time zone, its clock-skew state).
  private readonly byKey = once(() => this.db.select().from(settings).where(eq(settings.key, sql.placeholder("key"))).prepare());

  /**
   * Inserts every pair whose key is not there yet, in one write transaction; existing values
   * are kept (the first writer wins when several processes start at once).
   */
  insertAllIfAbsent(values: Record<string, string>): void {
    this.db.transaction(
      (tx) => {
        for (const [key, value] of Object.entries(values)) tx.insert(settings).values({ key, value }).onConflictDoNothing().run();
      },
      { behavior: "immediate" },
    );
  }

  set(key: string, value: string): void {
    this.db.insert(settings).values({ key, value }).onConflictDoUpdate({ target: settings.key, set: { value } }).run();
  }
}
