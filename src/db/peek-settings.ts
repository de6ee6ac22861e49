import { existsSync } from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import { lazyRequire } from "../lazy.js";

/**
 * Required, not imported: an ES import of the CommonJS package first has its source parsed for
 * named exports, and this runs before the master key's scrypt can start (15 ms later there).
 */
const Database = lazyRequire("better-sqlite3") as typeof BetterSqlite3;

/**
 * Reads `keys` from the settings table of an existing database without creating, migrating or
 * changing anything (main.ts starts the master key's scrypt with them before the rest of the
 * application loads). Null when there is no such database or table yet, or it cannot be read:
 * the caller then does everything the ordinary way, after `openDatabase`.
 */
export function peekSettings(file: string, keys: readonly string[]): Record<string, string> | null {
  if (file === ":memory:" || !existsSync(file)) return null;
  let sqlite: BetterSqlite3.Database | undefined;
  try {
    sqlite = new Database(file, { fileMustExist: true });
    sqlite.pragma("busy_timeout = 5000");
    const rows = sqlite.prepare(`SELECT key, value FROM settings WHERE key IN (${keys.map(() => "?").join(", ")})`).all(...keys) as Array<{ key: string; value: string }>;
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  } catch {
    return null;
  } finally {
    sqlite?.close();
  }
}
