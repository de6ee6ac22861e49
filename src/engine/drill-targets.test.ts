import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { IntegrityError, sqliteInventory } from "./drill-targets.js";

const signal = () => new AbortController().signal;

describe("a drill's check of a restored SQLite file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "tb-drill-targets-"));

  it("counts every table's rows of a sound file", async () => {
    const file = path.join(dir, "sound.sqlite");
    const db = new Database(file);
    db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3); CREATE TABLE u (y TEXT);");
    db.close();
    expect(await sqliteInventory(file, signal())).toEqual({ kind: "rows", tables: { t: 3, u: 0 } });
  });

  it("names what integrity_check found, once, without repeating itself", async () => {
    const file = path.join(dir, "broken.sqlite");
    const db = new Database(file);
    db.exec("CREATE TABLE t (x INTEGER, y INTEGER); CREATE INDEX t_x ON t (x);");
    const insert = db.prepare("INSERT INTO t VALUES (?, ?)");
    for (let i = 0; i < 200; i++) insert.run(i, 1000 - i);
    // The index said to be on y while its entries are x's: integrity_check lists the rows it misses.
    db.unsafeMode(true);
    db.pragma("writable_schema = ON");
    db.prepare("UPDATE sqlite_master SET sql = 'CREATE INDEX t_x ON t (y)' WHERE name = 't_x'").run();
    db.close();
    const err = await sqliteInventory(file, signal()).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err!.message).toBe("the restored SQLite file fails PRAGMA integrity_check: row 1 missing from index t_x; row 2 missing from index t_x; row 3 missing from index t_x");
    expect(err!.message).not.toContain("integrity check failed");
  });

  it("says a file that is no database cannot be checked", async () => {
    const file = path.join(dir, "text.sqlite");
    writeFileSync(file, "not a database at all, just some text that is long enough to have a header".repeat(20));
    await expect(sqliteInventory(file, signal())).rejects.toThrow(/^the restored SQLite file cannot be checked: the payload is not a SQLite database$/);
  });
});
