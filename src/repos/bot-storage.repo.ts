import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { botStorage } from "../db/schema.js";

/** The `bot_storage` table: the bot's sessions and half-finished conversations as JSON text by key. */
export class BotStorageRepo {
  constructor(private readonly db: Db) {}

  get(key: string): string | null {
    return this.db.select({ value: botStorage.value }).from(botStorage).where(eq(botStorage.key, key)).get()?.value ?? null;
  }

  set(key: string, value: string, updatedAt = new Date()): void {
    this.db
      .insert(botStorage)
      .values({ key, value, updatedAt })
      .onConflictDoUpdate({ target: botStorage.key, set: { value, updatedAt } })
      .run();
  }

  delete(key: string): void {
    this.db.delete(botStorage).where(eq(botStorage.key, key)).run();
  }

  /** Every key that starts with `prefix` (compared exactly: no LIKE wildcards). */
  keysStartingWith(prefix: string): string[] {
    return this.db
      .select({ key: botStorage.key })
      .from(botStorage)
      .where(sql`substr(${botStorage.key}, 1, ${prefix.length}) = ${prefix}`)
      .all()
      .map((row) => row.key)
      .filter((key) => key.startsWith(prefix));
  }
}
