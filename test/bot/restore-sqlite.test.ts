import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatTime } from "../../src/bot/format.js";
import { recoverInterruptedRuns } from "../../src/lifecycle/recovery.js";
import { startCli } from "../helpers/workspace.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

const rowsOf = (file: string): string[] => {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    return db.prepare("select v from notes order by id").pluck().all() as string[];
  } finally {
    db.close();
  }
};

/**
 * /restore of a SQLite backup: every target offered can take it. A new file beside the
 * source is the first choice; replacing the source writes the backup beside it, checks it and
 * renames it over the old file, so a kill at any moment leaves the old file or the new one.
 */
describe("/restore of a SQLite backup", () => {
  let h: Harness;
  let dir: string;
  let notes: string;
  let runId: number;

  beforeAll(async () => {
    h = await startHarness();
    dir = path.join(h.ws.dir, "db");
    notes = path.join(dir, "notes.sqlite");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    const db = new Database(notes);
    db.pragma("journal_mode = WAL");
    db.exec("create table notes (id integer primary key, v text); insert into notes (v) values ('first'), ('second')");
    db.close();
    h.app.sources.create({ name: "notes", kind: "sqlite", path: notes });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    // A zone far from the default, so a screen in the wrong zone shows another hour.
    h.app.jobs.create({ name: "notes-nightly", source: "notes", destinations: ["disk"], schedule: "0 3 * * *", timezone: "Asia/Tokyo" });
    const result = await h.app.runner.run(await h.app.jobs.resolve("notes-nightly"), { trigger: "manual" });
    expect(result.status).toBe("success");
    runId = result.runId;
    const after = new Database(notes);
    after.exec("insert into notes (v) values ('written after the backup')");
    after.close();
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  const stampOf = (at: Date) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
        .formatToParts(at)
        .map((x) => [x.type, x.value]),
    );
    return `${p.year}${p.month}${p.day}_${p.hour}${p.minute}`;
  };

  it("shows the run in the job's zone, named, on every screen, and offers a new file first", async () => {
    const run = h.app.runs.get(runId)!;
    const when = formatTime(run.startedAt, "en", "Asia/Tokyo");
    const pick = await h.say("/restore");
    await h.press(pick, "notes-nightly");
    const runs = h.current(pick.message_id);
    expect(runs.text).toContain("🕒 Times in Asia/Tokyo");
    expect(buttonsOf(runs)[0]).toContain(when);
    await h.press(pick, `#${runId} `);
    const target = h.current(pick.message_id);
    expect(target.text).toContain(`(${when}, sqlite)`);
    expect(target.text).toContain("🕒 Times in Asia/Tokyo");
    expect(buttonsOf(target)).toEqual([
      `🆕 New file notes_restored_${stampOf(run.startedAt)}.sqlite (beside notes)`,
      "♻️ Replace notes (the original source)",
      "📎 Send me the file",
      "◀ Back",
    ]);
  });

  it("restores into a new file beside the source and leaves the source alone", async () => {
    const run = h.app.runs.get(runId)!;
    const file = path.join(dir, `notes_restored_${stampOf(run.startedAt)}.sqlite`);
    const pick = await h.say("/restore");
    await h.press(pick, "notes-nightly");
    await h.press(pick, `#${runId} `);
    await h.press(pick, "New file");
    expect(h.current(pick.message_id).text).toContain(`into the new file ${file}`);
    const done = await h.waitForText((t) => t.startsWith("✅ Restored backup"), ADMIN_ID, 30_000);
    expect(done.text).toContain(`into "notes_restored_${stampOf(run.startedAt)}.sqlite"`);
    expect(rowsOf(file)).toEqual(["first", "second"]);
    expect(rowsOf(notes)).toEqual(["first", "second", "written after the backup"]);
  });

  it("replaces the source after the typed name: the backup takes the old file's place, nothing left beside it", async () => {
    const pick = await h.say("/restore");
    await h.press(pick, "notes-nightly");
    await h.press(pick, `#${runId} `);
    await h.press(pick, "Replace notes");
    const text = h.current(pick.message_id).text ?? "";
    expect(text).toContain(`into "notes" REPLACES its database file: the backup is written beside it and checked first`);
    expect(text).toContain("type the name of the target exactly: notes");
    expect(rowsOf(notes)).toEqual(["first", "second", "written after the backup"]);
    h.fake.sendUserMessage(ADMIN_ID, "notes");
    const done = await h.waitForText((t) => /^✅ Restored backup #\d+ of notes-nightly into "notes"/.test(t), ADMIN_ID, 30_000);
    expect(done.text).toContain(`#${runId}`);
    expect(rowsOf(notes)).toEqual(["first", "second"]);
    expect(readdirSync(dir).filter((f) => f.includes(".restore-"))).toEqual([]);
  });

  it("a restore killed while loading over the source leaves the old file whole; run again, it leaves the new one", async () => {
    const big = path.join(dir, "big.sqlite");
    const db = new Database(big);
    db.exec("create table notes (id integer primary key, v text); create table blobs (b blob)");
    db.exec("insert into notes (v) values ('backed up')");
    const insert = db.prepare("insert into blobs values (randomblob(65536))");
    db.transaction(() => {
      for (let i = 0; i < 1200; i++) insert.run();
    })();
    db.close();
    h.app.sources.create({ name: "big", kind: "sqlite", path: big });
    h.app.jobs.create({ name: "big-nightly", source: "big", destinations: ["disk"], schedule: "0 3 * * *", compression: "none" });
    const result = await h.app.runner.run(await h.app.jobs.resolve("big-nightly"), { trigger: "manual" });
    expect(result.status).toBe("success");
    const live = new Database(big);
    live.exec("update notes set v = 'the old file'");
    live.close();

    const cli = startCli(h.ws.env, ["restore", String(result.runId), "--to", "big", "--replace"]);
    // Kill it once the backup is being written beside the source.
    const temp = () => readdirSync(dir).find((f) => f.startsWith(".big.sqlite.restore-"));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const t = temp();
      if (t && existsSync(path.join(dir, t)) && statSync(path.join(dir, t), { throwIfNoEntry: false })?.size) break;
      if (Date.now() > deadline || cli.child.exitCode !== null) throw new Error(`the restore never started loading: ${(await cli.result).stderr}`);
      await new Promise((r) => setImmediate(r));
    }
    cli.child.kill("SIGKILL");
    expect((await cli.result).code).toBe(-1);
    expect(rowsOf(big)).toEqual(["the old file"]);
    // The new database it was writing beside the old one is recorded with the restore: the
    // next start removes it (a full copy of the data, left beside the user's file otherwise).
    const left = temp();
    expect(left).toBeDefined();
    const report = await recoverInterruptedRuns({ runs: h.app.runs, restores: h.app.restores, spoolDir: h.app.config.spoolDir, notifier: h.app.notifier, log: h.app.log });
    expect(report.interruptedRestores.map((r) => r.target)).toEqual(["big"]);
    expect(report.removedSpool).toContain(path.join(dir, left!));
    expect(readdirSync(dir).filter((f) => f.includes(".restore-"))).toEqual([]);

    const again = await startCli(h.ws.env, ["restore", String(result.runId), "--to", "big", "--replace"]).result;
    expect(again.code, again.stderr).toBe(0);
    expect(rowsOf(big)).toEqual(["backed up"]);
  }, 120_000);
});
