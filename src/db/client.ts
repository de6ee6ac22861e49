import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { packageFile } from "../shared/package-root.js";
import * as schema from "./schema.js";

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** The committed migrations, shipped beside package.json. */
export const MIGRATIONS_DIR = packageFile("drizzle");

/** Private on disk: the folder holding the database is 0700, the database and its WAL files 0600. */
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * Opens (creating if needed) the SQLite database and applies pending migrations. The folder
 * and files are made private whatever the umask (and made private again if an older version
 * left them readable).
 */
export function openDatabase(file: string): Db {
  if (file !== ":memory:") {
    const dir = path.dirname(file);
    mkdirSync(dir, { recursive: true, mode: DIR_MODE });
    // Never a shared folder such as /tmp (sticky bit): it is not ours to close.
    if ((statSync(dir).mode & 0o1000) === 0) chmodSync(dir, DIR_MODE);
  }
  const sqlite = new Database(file);
  // Before WAL is on: SQLite creates the -wal and -shm files with the database file's mode.
  if (file !== ":memory:") for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, FILE_MODE);
  sqlite.pragma("busy_timeout = 5000");
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  const db = drizzle(sqlite, { schema }) as Db;
  applyMigrations(sqlite);
  return db;
}

/**
 * drizzle's migrator, with its bookkeeping table unchanged, but run inside one IMMEDIATE
 * transaction: drizzle reads the last applied migration before it takes the write lock, so two
 * commands started together on a new data folder both tried to create the tables and one
 * failed. Here the second waits for the lock (busy_timeout) and then finds nothing to do.
 */
function applyMigrations(sqlite: Database.Database): void {
  if (upToDate(sqlite)) return;
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_DIR });
  const apply = sqlite.transaction(() => {
    sqlite.exec(`CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
    // Applied = recorded by its journal time, not "older than the newest applied": migrations
    // written side by side may land in the journal out of time order, and none may be skipped.
    const applied = appliedMigrations(sqlite);
    const insert = sqlite.prepare(`INSERT INTO "__drizzle_migrations" ("hash", "created_at") VALUES (?, ?)`);
    for (const m of migrations) {
      if (applied.has(m.folderMillis)) continue;
      for (const stmt of m.sql) if (stmt.trim()) sqlite.exec(stmt);
      insert.run(m.hash, m.folderMillis);
    }
  });
  apply.immediate();
}

const appliedMigrations = (sqlite: Database.Database) =>
  new Set((sqlite.prepare(`SELECT created_at FROM "__drizzle_migrations"`).all() as Array<{ created_at: number }>).map((r) => Number(r.created_at)));

/**
 * Every migration of the journal is recorded already (the usual start): then no SQL file is
 * read or hashed and no write lock is taken, which a command would otherwise wait for while
 * `run` writes. Migrations are never unapplied, so a lock-free read cannot be stale in the
 * direction that matters.
 */
function upToDate(sqlite: Database.Database): boolean {
  if (!sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'`).get()) return false;
  const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")) as { entries: Array<{ when: number }> };
  const applied = appliedMigrations(sqlite);
  return journal.entries.every((e) => applied.has(e.when));
}
