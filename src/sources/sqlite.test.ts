import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { waitFor } from "../../test/helpers/wait.js";
import { createLogger } from "../logger.js";
import { SourceError, type RestoreInto, type SourceDeps } from "./port.js";
import { checkIntegrity, countTables, createSqliteDriver } from "./sqlite.js";

const deps: SourceDeps = {
  log: createLogger("silent"),
  docker: () => {
    throw new Error("the sqlite source must not use Docker");
  },
  helperImage: undefined,
};
const driver = createSqliteDriver(deps);
const signal = () => new AbortController().signal;

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "tb-sqlite-test-"));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function backupToFile(database: string, file: string): Promise<void> {
  const dump = await driver.dump({ kind: "sqlite", path: database }, { format: "sql", signal: signal() });
  expect(dump.serverVersion).toMatch(/^SQLite 3\.\d+/);
  await pipeline(dump.stream, createWriteStream(file));
  await dump.done;
}

async function restoreFrom(payload: string, target: string): Promise<void> {
  await driver.restore({ kind: "sqlite", path: target }, createReadStream(payload), { format: "sql", signal: signal() });
}

function rows(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

async function snapshotDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith("tele-backup-sqlite-"));
}

describe("sqlite source", () => {
  test("formats and extension: the job format is `sql`, the payload a database file", () => {
    expect(driver.formats).toEqual(["sql"]);
    expect(driver.extension("sql")).toBe("sqlite");
  });

  test("round trip keeps every row, blob, NULL and the schema", async () => {
    const source = path.join(work, "app.sqlite");
    const db = new Database(source);
    db.exec(`
      create table notes (id integer primary key, title text not null, body blob, score real, note text);
      create index notes_title on notes(title);
      create view long_notes as select id from notes where length(title) > 5;
    `);
    const insert = db.prepare("insert into notes (title, body, score, note) values (?, ?, ?, ?)");
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run(`title ${i} ✓ данные`, Buffer.from([i % 256, 0, 255]), i / 3, i % 7 === 0 ? null : "x");
    })();
    db.close();

    const payload = path.join(work, "payload.sqlite");
    await backupToFile(source, payload);
    expect((await readFile(payload)).subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");

    const target = path.join(work, "restored", "app.sqlite");
    await restoreFrom(payload, target);
    for (const sql of ["select * from notes order by id", "select * from long_notes order by id", "select type, name, sql from sqlite_master order by name"]) {
      expect(rows(target, sql)).toEqual(rows(source, sql));
    }
    expect(rows(target, "pragma integrity_check")).toEqual([{ integrity_check: "ok" }]);
  });

  test("includes commits that still sit in the WAL of an open connection (never a raw file copy)", async () => {
    const source = path.join(work, "wal.sqlite");
    const db = openWal(source, { checkpoints: false });
    db.exec("create table t (id integer primary key, v text)");
    db.prepare("insert into t (v) values (?)").run("only in the WAL");
    try {
      const payload = path.join(work, "payload.sqlite");
      await backupToFile(source, payload);
      const target = path.join(work, "restored.sqlite");
      await restoreFrom(payload, target);
      expect(rows(target, "select v from t")).toEqual([{ v: "only in the WAL" }]);
    } finally {
      db.close();
    }
  });

  test("counts every table's rows in the snapshot it streams (WAL commits included), and still removes the snapshot", async () => {
    const source = path.join(work, "counted.sqlite");
    const db = openWal(source, { checkpoints: false });
    db.exec(`
      create table items (id integer primary key, v text);
      create table "we""ird" (x);
      create table sqlitefoo (x);
      create index items_v on items (v);
      insert into "we""ird" values (1), (2);
      insert into sqlitefoo values (1);
    `);
    const insert = db.prepare("insert into items (v) values (?)");
    db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run(`v${i}`);
    })();
    try {
      const before = await snapshotDirs();
      const dump = await driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: signal() });
      await pipeline(dump.stream, createWriteStream(path.join(work, "payload.sqlite")));
      await dump.done;
      expect(await dump.tables!()).toEqual({ items: 500, 'we"ird': 2, sqlitefoo: 1 });
      expect(await snapshotDirs()).toEqual(before);
    } finally {
      db.close();
    }
  });

  test("a dump the reader gives up on stops counting and removes the snapshot; its counts are absent, never partial", async () => {
    const source = databaseOfBlobs(path.join(work, "big.sqlite"), 40_000, 4000);
    const before = await snapshotDirs();
    const dump = await driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: signal() });
    dump.stream.destroy();
    await expect(dump.done).rejects.toThrow("the reader closed the stream before its end");
    expect([null, { t: 40_000 }]).toContainEqual(await dump.tables!()); // stopped (or done just before)
    expect(await snapshotDirs()).toEqual(before);
  });

  test("the SQLite thread's failures come back with SQLite's reason and code, and an abort ends it with the abort's reason", async () => {
    const notADatabase = path.join(work, "text.sqlite");
    await writeFile(notADatabase, "x".repeat(8192));
    await expect(countTables(notADatabase, signal())).rejects.toMatchObject({ message: "file is not a database", code: "SQLITE_NOTADB" });
    await expect(checkIntegrity(notADatabase, signal())).rejects.toThrow("the payload is not a SQLite database");
    await expect(countTables(path.join(work, "missing.sqlite"), signal())).rejects.toMatchObject({ code: "SQLITE_CANTOPEN" });

    const big = databaseOfBlobs(path.join(work, "big.sqlite"), 40_000, 4000);
    const controller = new AbortController();
    const counting = countTables(big, controller.signal);
    setTimeout(() => controller.abort(new Error("job cancelled")), 5);
    await expect(counting).rejects.toThrow("job cancelled");
    await expect(countTables(big, controller.signal)).rejects.toThrow("job cancelled"); // refused before a thread starts
    expect(await countTables(big, signal())).toEqual({ t: 40_000 });
  });

  test("a database written by another process during the backup yields a consistent snapshot", async () => {
    const source = path.join(work, "live.sqlite");
    const db = openWal(source);
    db.exec(`
      create table items (id integer primary key, batch integer not null, n integer not null, payload blob not null);
      create table counter (batches integer not null);
      insert into counter values (0);
    `);
    const insert = db.prepare("insert into items (batch, n, payload) values (?, ?, randomblob(300))");
    db.transaction(() => {
      for (let b = 1; b <= 2000; b++) for (let n = 0; n < 10; n++) insert.run(-b, n);
    })();
    db.close();

    const writer = startWriter(source);
    try {
      await waitForBatches(writer, 20);
      const payload = path.join(work, "payload.sqlite");
      await backupToFile(source, payload);
      await waitForBatches(writer, 20); // still writing after the snapshot
      const target = path.join(work, "restored.sqlite");
      await restoreFrom(payload, target);
      writer.kill("SIGTERM");
      await once(writer, "exit");

      expect(rows(target, "pragma integrity_check")).toEqual([{ integrity_check: "ok" }]);
      // Every transaction of the writer is either fully in the snapshot or not at all.
      const [{ batches }] = rows(target, "select batches from counter") as [{ batches: number }];
      expect(batches).toBeGreaterThan(0);
      expect(rows(target, "select count(distinct batch) as c from items where batch > 0")).toEqual([{ c: batches }]);
      expect(rows(target, "select count(*) as c from (select batch from items group by batch having count(*) <> 10)")).toEqual([{ c: 0 }]);
      // ...and every row it has is the same row in the live database.
      const check = new Database(target, { readonly: true });
      check.exec(`attach database '${source}' as live`);
      const [{ same, total }] = check
        .prepare("select (select count(*) from items r join live.items l using (id) where r.batch = l.batch and r.n = l.n and r.payload = l.payload) as same, (select count(*) from items) as total")
        .all() as [{ same: number; total: number }];
      check.close();
      expect(same).toBe(total);
      expect(total).toBe(20_000 + batches * 10);
    } finally {
      if (writer.exitCode === null) writer.kill("SIGKILL");
    }
  });

  test("check reports the SQLite version, a missing file and a file that is not a database", async () => {
    const good = path.join(work, "good.sqlite");
    new Database(good).exec("create table t (x)").close();
    await expect(driver.check({ kind: "sqlite", path: good })).resolves.toEqual({ serverVersion: expect.stringMatching(/^SQLite 3\.\d+\.\d+/) });

    const missing = path.join(work, "missing.sqlite");
    await expect(driver.check({ kind: "sqlite", path: missing })).rejects.toThrow(new SourceError(`SQLite database ${missing} does not exist`, "sqlite", { key: "source-error-sqlite-missing", params: { path: missing } }));
    await expect(driver.dump({ kind: "sqlite", path: missing }, { format: "sql", signal: signal() })).rejects.toThrow(`SQLite database ${missing} does not exist`);

    const text = path.join(work, "notes.txt");
    await writeFile(text, "this is a text file, long enough to have a header ".repeat(20));
    await expect(driver.check({ kind: "sqlite", path: text })).rejects.toThrow(new SourceError(`${text} is not a SQLite database`, "sqlite", { key: "source-error-sqlite-not-db", params: { path: text } }));
    await expect(driver.dump({ kind: "sqlite", path: text }, { format: "sql", signal: signal() })).rejects.toBeInstanceOf(SourceError);
  });

  test("restore into a new path refuses an existing file and leaves it untouched", async () => {
    const target = path.join(work, "existing.sqlite");
    await writeFile(target, "precious");
    await expect(restoreFromBytes(Buffer.from("whatever"), target, { mode: "new", from: target })).rejects.toThrow(`restore target ${target} already exists: restore into a new file path`);
    await expect(driver.checkRestoreTarget!({ kind: "sqlite", path: target }, { mode: "new", from: target })).rejects.toThrow("already exists");
    expect(await readFile(target, "utf8")).toBe("precious");
  });

  test("restore with replace puts the backup in place of an existing database (its WAL folded in first), and a bad payload leaves the old one", async () => {
    const snapshot = await smallSnapshot();

    const target = path.join(work, "live.sqlite");
    const live = openWal(target);
    live.exec("create table old (v text); insert into old values ('old content')");
    // Left open: its last commit sits in the WAL, not in the main file.
    await expect(driver.checkRestoreTarget!({ kind: "sqlite", path: target }, { mode: "replace" })).resolves.toEqual({ empty: false });
    await expect(restoreFromBytes(Buffer.alloc(8192, 7), target, { mode: "replace" })).rejects.toThrow("the payload is not a SQLite database");
    expect(live.prepare("select v from old").pluck().get()).toBe("old content");
    live.close();

    const before = openWal(target);
    before.exec("insert into old values ('only in the WAL')");
    await restoreFromBytes(snapshot, target, { mode: "replace" });
    before.close();
    const after = new Database(target, { readonly: true });
    expect(after.prepare("select v from t").pluck().all()).toEqual(["from the backup"]);
    expect(after.prepare("select count(*) from sqlite_master where name = 'old'").pluck().get()).toBe(0);
    expect(after.pragma("integrity_check", { simple: true })).toBe("ok");
    after.close();
    expect((await readdir(work)).filter((f) => f.includes(".restore-"))).toEqual([]);
  });

  test("a second restore into the same file by this process is refused and leaves the first one's file alone; its file is what restoreScratch names", async () => {
    const snapshot = await smallSnapshot();

    const target = path.join(work, "target.sqlite");
    const config = { kind: "sqlite" as const, path: target };
    const input = new PassThrough();
    const first = driver.restore(config, input, { format: "sql", signal: signal() });
    input.write(snapshot.subarray(0, 4096));
    const [temp] = driver.restoreScratch!(config, "a-token");
    await waitFor("the first restore's file", async () => (await readdir(work)).includes(path.basename(temp!)), 1000, 10);

    await expect(restoreFromBytes(snapshot, target)).rejects.toThrow(`restore into SQLite database ${target} failed: another restore into this file is running`);
    input.end(snapshot.subarray(4096));
    await first;
    expect(rows(target, "select v from t")).toEqual([{ v: "from the backup" }]);
    expect((await readdir(work)).filter((f) => f.includes(".restore-"))).toEqual([]);
  });

  test("restore of a payload that is not a database fails and leaves no file behind", async () => {
    const target = path.join(work, "new.sqlite");
    await expect(restoreFromBytes(Buffer.alloc(8192, 7), target)).rejects.toThrow(
      `restore into SQLite database ${target} failed: the payload is not a SQLite database`,
    );
    expect(await readdir(work)).toEqual([]);
  });

  test("done rejects and the snapshot is deleted when the reader gives up", async () => {
    const source = databaseOfBlobs(path.join(work, "app.sqlite"), 2000, 1000);

    const before = await snapshotDirs();
    const dump = await driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: signal() });
    expect((await snapshotDirs()).length).toBe(before.length + 1);
    dump.stream.destroy();
    await expect(dump.done).rejects.toThrow(`backup of SQLite database ${source} failed: the reader closed the stream before its end`);
    expect(await snapshotDirs()).toEqual(before);
  });

  test("a consumer that takes the snapshot as a file reads it whole, and done resolves once it is released, the snapshot gone", async () => {
    const source = databaseOfBlobs(path.join(work, "app.sqlite"), 200, 1000);
    const before = await snapshotDirs();
    const dump = await driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: signal() });
    const file = dump.takeFile!();
    expect((await stat(file.path)).size).toBe(file.size);
    const copy = path.join(work, "copy.sqlite");
    await writeFile(copy, await readFile(file.path));
    // Taken: the stream is never opened, so nothing reads the file twice.
    expect(() => dump.stream).toThrow("the SQLite snapshot was taken as a file: its stream is not read");
    let settled = false;
    void dump.done.finally(() => (settled = true)).catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false); // the file stays until the consumer is done with it
    expect(await stat(file.path)).toBeTruthy();
    file.release();
    await dump.done;
    expect(await snapshotDirs()).toEqual(before);
    expect(rows(copy, "select count(*) as n from t")).toEqual([{ n: 200 }]);
  });

  test("a consumer of the file that gives up makes done reject as a reader that gave up, and the snapshot goes", async () => {
    const source = databaseOfBlobs(path.join(work, "app.sqlite"), 200, 1000);
    const before = await snapshotDirs();
    const dump = await driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: signal() });
    const file = dump.takeFile!();
    expect(() => dump.takeFile!()).toThrow("the SQLite snapshot is already being read");
    file.release(new Error("zstd was killed by SIGKILL"));
    await expect(dump.done).rejects.toThrow(`backup of SQLite database ${source} failed: the reader closed the stream before its end`);
    expect(await snapshotDirs()).toEqual(before);
  });

  test("aborting the signal while a consumer holds the file ends the dump and deletes the snapshot", async () => {
    const source = databaseOfBlobs(path.join(work, "app.sqlite"), 200, 1000);
    const before = await snapshotDirs();
    const controller = new AbortController();
    const dump = await driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: controller.signal });
    dump.takeFile!();
    controller.abort(new Error("job cancelled"));
    await expect(dump.done).rejects.toThrow("job cancelled");
    expect(await snapshotDirs()).toEqual(before);
  });

  test("the snapshot is taken off the event loop: timers keep firing while a large database is copied, and the copy is whole", async () => {
    // ~160 MB: one backup step of it held the event loop 0.6-0.9 s here.
    const source = databaseOfBlobs(path.join(work, "big.sqlite"), 40_000, 4000);

    const worstGap = await worstTimerGap(() => backupToFile(source, path.join(work, "copy.sqlite")));
    expect(worstGap).toBeLessThan(300); // the copy alone takes 0.6-0.9 s here
    const copy = new Database(path.join(work, "copy.sqlite"), { readonly: true });
    expect(copy.prepare("select count(*) as n from t").get()).toEqual({ n: 40_000 });
    copy.close();
  });

  test("a restore checks the payload's integrity off the event loop", async () => {
    const payload = databaseOfBlobs(path.join(work, "payload.sqlite"), 40_000, 4000);
    const worstGap = await worstTimerGap(() => restoreFrom(payload, path.join(work, "restored.sqlite")));
    expect(worstGap).toBeLessThan(300); // integrity_check alone takes 0.5 s or more here
    const restored = new Database(path.join(work, "restored.sqlite"), { readonly: true });
    expect(restored.prepare("select count(*) as n from t").get()).toEqual({ n: 40_000 });
    restored.close();
  });

  test("a restore over a database with a large write-ahead log folds the log in off the event loop", async () => {
    const snapshot = await smallSnapshot();
    const target = path.join(work, "busy.sqlite");
    const live = openWal(target, { checkpoints: false });
    insertBlobs(live, 40_000, 4000);
    try {
      expect((await stat(`${target}-wal`)).size).toBeGreaterThan(150_000_000);
      const worstGap = await worstTimerGap(() => restoreFromBytes(snapshot, target, { mode: "replace" }));
      expect(worstGap).toBeLessThan(300); // the checkpoint alone took 0.4 s or more here
    } finally {
      live.close();
    }
    expect(rows(target, "select v from t")).toEqual([{ v: "from the backup" }]);
  });

  test("aborting during the snapshot stops it and leaves no snapshot behind", async () => {
    const source = databaseOfBlobs(path.join(work, "big.sqlite"), 40_000, 4000);
    const before = await snapshotDirs();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("job cancelled")), 30);
    const dumping = driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: controller.signal });
    await expect(dumping).rejects.toThrow(`cannot snapshot SQLite database ${source}: job cancelled`);
    expect(await snapshotDirs()).toEqual(before);
  });

  test("aborting the signal ends the dump and deletes the snapshot", async () => {
    const source = path.join(work, "app.sqlite");
    new Database(source).exec("create table t (x)").close();
    const before = await snapshotDirs();
    const controller = new AbortController();
    const dump = await driver.dump({ kind: "sqlite", path: source }, { format: "sql", signal: controller.signal });
    controller.abort(new Error("job cancelled"));
    await expect(dump.done).rejects.toThrow("job cancelled");
    expect(await snapshotDirs()).toEqual(before);
  });
});

/** The longest a 5 ms timer waited between two firings while `work` ran: how long the event loop was held. */
async function worstTimerGap(work: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(ticker);
  }
  return worst;
}

/** A database of one table `t` holding `rows` random blobs of `bytes` each; returns its path. */
function databaseOfBlobs(file: string, rows: number, bytes: number): string {
  const db = new Database(file);
  insertBlobs(db, rows, bytes);
  db.close();
  return file;
}

/** Creates table `t (x blob)` in `db` and fills it with `rows` random blobs of `bytes` each, in one transaction. */
function insertBlobs(db: Database.Database, rows: number, bytes: number): void {
  db.exec("create table t (x blob)");
  const insert = db.prepare("insert into t values (randomblob(?))");
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(bytes);
  })();
}

/** A connection to `file` in WAL mode; without checkpoints, every commit stays in the log until it closes. */
function openWal(file: string, { checkpoints = true } = {}): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  if (!checkpoints) db.pragma("wal_autocheckpoint = 0");
  return db;
}

/** The payload of a backup of a one-row database (`t.v = 'from the backup'`). */
async function smallSnapshot(): Promise<Buffer> {
  const source = path.join(work, "src.sqlite");
  const s = new Database(source);
  s.exec("create table t (v text); insert into t values ('from the backup')");
  s.close();
  await backupToFile(source, path.join(work, "payload.bin"));
  return readFile(path.join(work, "payload.bin"));
}

async function restoreFromBytes(bytes: Buffer, target: string, into?: RestoreInto): Promise<void> {
  await driver.restore({ kind: "sqlite", path: target }, Readable.from([bytes]), { format: "sql", signal: signal(), ...(into ? { into } : {}) });
}

/** Another process that commits batches of 10 rows (plus a counter bump) as fast as it can. */
function startWriter(file: string): ChildProcess {
  const script = `
    import Database from "better-sqlite3";
    const db = new Database(process.argv[1]);
    db.pragma("busy_timeout = 5000");
    const insert = db.prepare("insert into items (batch, n, payload) values (?, ?, randomblob(300))");
    const bump = db.prepare("update counter set batches = batches + 1");
    const commit = db.transaction((b) => { for (let n = 0; n < 10; n++) insert.run(b, n); bump.run(); });
    for (let b = 1; ; b++) {
      commit(b);
      if (b % 10 === 0) { process.stdout.write("batch\\n"); await new Promise((r) => setImmediate(r)); }
    }`;
  return spawn(process.execPath, ["--input-type=module", "-e", script, file], { cwd: process.cwd(), stdio: ["ignore", "pipe", "inherit"] });
}

/** Resolves after the writer reported `count` more progress lines. */
async function waitForBatches(writer: ChildProcess, count: number): Promise<void> {
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      seen += chunk.toString().split("\n").length - 1;
      if (seen >= count) {
        writer.stdout!.off("data", onData);
        resolve();
      }
    };
    writer.stdout!.on("data", onData);
    writer.once("exit", (code) => reject(new Error(`writer exited with ${code}`)));
  });
}
