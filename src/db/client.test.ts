import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, openDatabase } from "./client.js";

describe("openDatabase", () => {
  const dirs: string[] = [];
  const dbFile = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tb-db-"));
    dirs.push(dir);
    return path.join(dir, "data", "tele-backup.db");
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("applies every migration of the journal once to a new database", () => {
    const file = dbFile();
    openDatabase(file).$client.close();
    openDatabase(file).$client.close();
    const journal = JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, "meta/_journal.json"), "utf8")) as { entries: Array<{ when: number }> };
    const raw = new Database(file, { readonly: true });
    const applied = (raw.prepare(`SELECT created_at FROM "__drizzle_migrations"`).all() as Array<{ created_at: number }>).map((r) => Number(r.created_at));
    raw.close();
    expect(applied.sort()).toEqual(journal.entries.map((e) => e.when).sort());
  });

  it("opens an up-to-date database at once while another process holds the write lock", () => {
    const file = dbFile();
    openDatabase(file).$client.close();
    // `run` in the middle of a write: a CLI command must not wait for it just to learn there is nothing to migrate.
    const writer = new Database(file);
    writer.pragma("busy_timeout = 0");
    writer.exec("BEGIN IMMEDIATE");
    try {
      const started = Date.now();
      const db = openDatabase(file);
      db.$client.close();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      writer.exec("ROLLBACK");
      writer.close();
    }
  });

  it("still applies a migration the database lacks", () => {
    const file = dbFile();
    openDatabase(file).$client.close();
    const raw = new Database(file);
    const last = (raw.prepare(`SELECT max(created_at) AS m FROM "__drizzle_migrations"`).get() as { m: number }).m;
    raw.prepare(`DELETE FROM "__drizzle_migrations" WHERE created_at = ?`).run(last);
    raw.close();
    // Its statements run again: either they succeed and it is recorded, or they fail (a table
    // that exists already) and opening says so. Skipping it silently is the one wrong answer.
    let failed = false;
    try {
      openDatabase(file).$client.close();
    } catch {
      failed = true;
    }
    const check = new Database(file, { readonly: true });
    const recorded = (check.prepare(`SELECT count(*) AS n FROM "__drizzle_migrations" WHERE created_at = ?`).get(last) as { n: number }).n === 1;
    check.close();
    expect(failed || recorded).toBe(true);
  });
});
