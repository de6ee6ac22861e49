import type { StorageAdapter } from "grammy";
import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { botStorage } from "../db/schema.js";

/**
 * grammY storage over the `bot_storage` table, so sessions and half-finished conversations
 * survive a restart. One `BotStorage` per database; `adapter(namespace)` gives a
 * `StorageAdapter` whose keys are prefixed `<namespace>:`, so the session and the
 * conversations plugin never see each other's keys. Values are stored as JSON.
 */
export interface BotStorage {
  adapter<T>(namespace: string): StorageAdapter<T>;
}

export function createBotStorage(db: Db): BotStorage {
  return { adapter: <T>(namespace: string) => new SqliteStorageAdapter<T>(db, namespace) };
}

export class SqliteStorageAdapter<T> implements StorageAdapter<T> {
  private readonly prefix: string;

  constructor(
    private readonly db: Db,
    namespace: string,
  ) {
    if (!namespace || namespace.includes(":")) throw new Error(`storage namespace must be non-empty and without ":", got "${namespace}"`);
    this.prefix = `${namespace}:`;
  }

  read(key: string): T | undefined {
    const row = this.db.select({ value: botStorage.value }).from(botStorage).where(eq(botStorage.key, this.prefix + key)).get();
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  write(key: string, value: T): void {
    const json = JSON.stringify(value);
    const updatedAt = new Date();
    this.db
      .insert(botStorage)
      .values({ key: this.prefix + key, value: json, updatedAt })
      .onConflictDoUpdate({ target: botStorage.key, set: { value: json, updatedAt } })
      .run();
  }

  delete(key: string): void {
    this.db.delete(botStorage).where(eq(botStorage.key, this.prefix + key)).run();
  }

  has(key: string): boolean {
    return this.read(key) !== undefined;
  }

  *readAllKeys(): Generator<string> {
    const rows = this.db
      .select({ key: botStorage.key })
      .from(botStorage)
      .where(sql`substr(${botStorage.key}, 1, ${this.prefix.length}) = ${this.prefix}`)
      .all();
    for (const row of rows) if (row.key.startsWith(this.prefix)) yield row.key.slice(this.prefix.length);
  }
}
