import type { StorageAdapter } from "grammy";
import type { BotStorageRepo } from "../repos/bot-storage.repo.js";

/**
 * grammY storage over the `bot_storage` table, so sessions and half-finished conversations
 * survive a restart. One `BotStorage` per database; `adapter(namespace)` gives a
 * `StorageAdapter` whose keys are prefixed `<namespace>:`, so the session and the
 * conversations plugin never see each other's keys. Values are stored as JSON.
 */
export interface BotStorage {
  adapter<T>(namespace: string): StorageAdapter<T>;
}

export function createBotStorage(repo: BotStorageRepo): BotStorage {
  return { adapter: <T>(namespace: string) => new SqliteStorageAdapter<T>(repo, namespace) };
}

class SqliteStorageAdapter<T> implements StorageAdapter<T> {
  private readonly prefix: string;

  constructor(
    private readonly repo: BotStorageRepo,
    namespace: string,
  ) {
    if (!namespace || namespace.includes(":")) throw new Error(`storage namespace must be non-empty and without ":", got "${namespace}"`);
    this.prefix = `${namespace}:`;
  }

  read(key: string): T | undefined {
    const value = this.repo.get(this.prefix + key);
    return value === null ? undefined : (JSON.parse(value) as T);
  }

  write(key: string, value: T): void {
    this.repo.set(this.prefix + key, JSON.stringify(value));
  }

  delete(key: string): void {
    this.repo.delete(this.prefix + key);
  }

  has(key: string): boolean {
    return this.read(key) !== undefined;
  }

  *readAllKeys(): Generator<string> {
    for (const key of this.repo.keysStartingWith(this.prefix)) yield key.slice(this.prefix.length);
  }
}
