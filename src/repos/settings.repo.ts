import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { settings } from "../db/schema.js";

export class SettingsRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | null {
    return this.db.select().from(settings).where(eq(settings.key, key)).get()?.value ?? null;
  }

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
