import { mkdirSync } from "node:fs";
import Database from "better-sqlite3";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { ManualClock } from "../helpers/manual-clock.js";
import { writeTree } from "../helpers/tree.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

/**
 * Issue 14, item 1: a job's own drill schedule (`drill.schedule`), driven by the scheduler's
 * tick on a manual clock, and the drill of a directory: restored into a temporary folder and
 * compared by file count and bytes (counted from the tar stream at dump time).
 */
describe("scheduled restore drills (directory source)", () => {
  let ws: Workspace;
  let app: App;
  let clock: ManualClock;

  beforeAll(async () => {
    ws = createWorkspace();
    const tree = path.join(ws.dir, "tree");
    await writeTree(tree, { "a.txt": "alpha\n", "sub/b.bin": "x".repeat(5000), "sub/deeper/c.txt": "" });
    mkdirSync(path.join(tree, "empty-dir"));
    const notes = path.join(ws.dir, "notes.sqlite");
    const db = new Database(notes);
    db.exec("create table notes (id integer primary key, body text); create table tags (name text);");
    db.prepare("insert into notes (body) select 'n' || value from json_each(?)").run(JSON.stringify(Array.from({ length: 77 }, (_, i) => i)));
    db.close();
    const yaml = `
sources:
  - { name: files, kind: directory, path: ${tree} }
  - { name: notes, kind: sqlite, path: ${notes} }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "disk")} }
jobs:
  - { name: weekly-files, source: files, destinations: [disk], schedule: "0 3 * * *", timezone: UTC, drill: { schedule: weekly } }
  - { name: no-drill, source: files, destinations: [disk], schedule: "0 3 * * *" }
  - { name: notes, source: notes, destinations: [disk], schedule: "0 3 * * *" }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    for (const job of ["weekly-files", "no-drill", "notes"]) {
      const r = await ws.cli(["backup", job]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    // Saturday 12:00 UTC: the weekly drill (Sunday 04:00) is due 16 hours later.
    clock = new ManualClock("2030-01-05T12:00:00Z");
    app = await ws.app({}, { clock });
  }, 60_000);

  afterAll(() => {
    app?.close();
    ws?.remove();
  });

  it("records the file count and bytes of the tar at dump time", () => {
    const run = app.runs.list(5).find((r) => r.jobName === "weekly-files")!;
    expect(run.inventory).toEqual({ kind: "files", files: 3, bytes: 5006 });
  });

  it("runs the drill when its schedule fires, not before, and only for the job that has one", async () => {
    const job = app.jobsRepo.findByName("weekly-files")!;
    await app.drills.tick(clock.now());
    await clock.advanceTo(new Date("2030-01-06T03:59:00Z"));
    await app.drills.tick(clock.now());
    expect(app.drillsRepo.listByJob(job.id)).toEqual([]);

    await clock.advanceTo(new Date("2030-01-06T04:00:10Z"));
    await app.drills.tick(clock.now());
    const [drill] = app.drillsRepo.listByJob(job.id);
    expect(drill).toMatchObject({ trigger: "schedule", status: "passed", level: "full", tables: 3 });
    expect(app.drillsRepo.listByJob(app.jobsRepo.findByName("no-drill")!.id)).toEqual([]);
    // Nothing of the drill is left in the spool.
    expect(ws.spoolEntries().filter((e) => e.includes("drill"))).toEqual([]);

    // The next tick within the same week does not drill again.
    await clock.advanceTo(new Date("2030-01-06T05:00:00Z"));
    await app.drills.tick(clock.now());
    expect(app.drillsRepo.listByJob(job.id)).toHaveLength(1);
  });

  it("a restored tree that differs from the counts fails the drill, naming the difference", async () => {
    const job = app.jobsRepo.findByName("no-drill")!;
    const run = app.runs.list(5).find((r) => r.jobName === "no-drill")!;
    // What the run recorded is what a drill compares against: pretend the dump had one more file.
    app.runs.update(run.id, { inventory: { kind: "files", files: 4, bytes: 5006 } });
    const report = await app.drills.drill(job.id, "manual");
    expect(report.status).toBe("failed");
    expect(report.differences).toEqual(["files: 4 recorded, 3 restored"]);
  });

  it("SQLite: restored into a temporary file, PRAGMA integrity_check, every table's rows compared with the counts the backup took of its snapshot", async () => {
    const run = app.runs.list(10).find((r) => r.jobName === "notes")!;
    expect(run.inventory).toEqual({ kind: "rows", tables: { notes: 77, tags: 0 } });
    expect((run.manifest as { inventory?: unknown }).inventory).toEqual(run.inventory);
    const report = await app.drills.drill("notes", "manual");
    expect(report).toMatchObject({ status: "passed", level: "full", tables: 2, uncounted: false, differences: [] });
    expect(ws.spoolEntries().filter((e) => e.includes("drill"))).toEqual([]);

    // What the run recorded is what a drill compares against: pretend the snapshot had one more note.
    app.runs.update(run.id, { inventory: { kind: "rows", tables: { notes: 78, tags: 0 } } });
    const differs = await app.drills.drill("notes", "manual");
    expect(differs).toMatchObject({ status: "failed", differences: ["table notes: 78 rows recorded, 77 restored"] });
  });
});
