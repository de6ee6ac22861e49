import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

/**
 * A snapshot that fails with a write error other than a full disk is reported as SQLite gives it.
 * The error is made with a file-size limit (`ulimit -f`, SIGXFSZ ignored): the snapshot's writes
 * fail with EFBIG, which SQLite's backup reports as SQLITE_IOERR, while the spool has room to spare.
 */
describe("SQLite snapshot write error", () => {
  let ws: Workspace;

  beforeAll(async () => {
    ws = createWorkspace();
    const file = path.join(ws.dir, "app.sqlite");
    const db = new Database(file);
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)");
    const insert = db.prepare("INSERT INTO t (body) VALUES (randomblob(4096))");
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run();
    })();
    db.close();
    const config = ws.writeFile(
      "config.yaml",
      "sources:\n" +
        `  - { name: lite, kind: sqlite, path: "${file}" }\n` +
        "destinations:\n" +
        `  - { name: disk, kind: local, path: "${path.join(ws.dir, "out")}" }\n` +
        "jobs:\n" +
        '  - { name: lite, source: lite, destinations: [disk], schedule: "0 3 * * *", compression: none }\n',
    );
    const imported = await ws.cli(["config", "import", config]);
    expect(imported.code, imported.stderr).toBe(0);
  }, 60_000);

  afterAll(() => ws?.remove());

  it("says SQLite's disk I/O error, not 'no space left', and leaves nothing in the spool", async () => {
    // 4 MiB per file: the 8 MB snapshot cannot be written, the tool's own database can.
    const { code, stdout, stderr } = await ws.cli(["backup", "lite"], {}, { fileSizeLimitKiB: 4096 });
    const out = stdout + stderr;
    expect(code, out).toBe(1);
    expect(out).toMatch(/cannot snapshot SQLite database \/.*\/app\.sqlite: disk I\/O error/);
    expect(out).not.toContain("no space left");
    expect(ws.spoolEntries()).toEqual([]);
  }, 60_000);
});
