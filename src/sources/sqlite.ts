import { createReadStream } from "node:fs";
import { link, lstat, mkdir, mkdtemp, open, rename, rm, stat, statfs } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { SourceError, type Dump, type DumpFormat, type SourceConfig, type SourceDeps, type SourceDriver } from "./port.js";
import { oneLine } from "../shared/one-line.js";
import { ownerTag } from "../shared/process-owner.js";

/** The consumer that took the snapshot as a file stopped before reading all of it (`cause`: why). */
class ReaderStopped extends Error {
  override name = "ReaderStopped";
  constructor(cause: unknown) {
    super("the reader stopped before the end of the snapshot", { cause });
  }
}

/** sqlite3_backup_step page count meaning "all remaining pages in one step". */
const ALL_PAGES = 0x7fffffff;

/**
 * The snapshot is read this many bytes at a time. In 64 KiB reads (the default) zstd took 0.73 s
 * to compress a 139 MB snapshot fed through the pipeline, in 1 MiB reads 0.56 s (alone: 0.35 s).
 */
const SNAPSHOT_READ = 1024 * 1024;

/**
 * Where a restore by this process writes the new database before it replaces (or becomes) the
 * target: a hidden file beside it, named after the process, so that start-up recovery can
 * remove it if the process dies first. Then what SQLite may make beside it (`restoreScratch`).
 */
function restoreFilesOf(file: string): [temp: string, wal: string, shm: string] {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.restore-${ownerTag()}`);
  return [temp, `${temp}-wal`, `${temp}-shm`];
}

/**
 * A SQLite database file. The payload is a consistent snapshot *database file* made with the
 * online backup API (never a copy of the live file), so `sqlite3 restored.sqlite` just works.
 * A restore writes the whole payload to a hidden file beside the target and checks it
 * (`integrity_check`) before the target changes: a new path gets it by `link` (refused if a
 * file appeared meanwhile); `into: replace` over an existing database renames it over the old
 * file in one step, after folding the old file's WAL into it (so no stale WAL is replayed
 * onto the new file). A kill at any moment leaves the old file or the new one, never a mix.
 * `into: new` refuses an existing path.
 */
export function createSqliteDriver(deps: SourceDeps): SourceDriver {
  return {
    kind: "sqlite",
    formats: ["sql"],
    extension: () => "sqlite",

    async check(config) {
      return { serverVersion: await inspectDatabase(databasePath(config)) };
    },

    async dump(config, { format, signal, scratchDir }): Promise<Dump> {
      const file = databasePath(config);
      assertFormat(format);
      const serverVersion = await inspectDatabase(file);
      if (signal.aborted) throw new SourceError(`backup of SQLite database ${file} aborted`, "sqlite", { cause: signal.reason });
      const tempDir = await mkdtemp(path.join(scratchDir ?? tmpdir(), "tele-backup-sqlite-"));
      const snapshot = path.join(tempDir, "snapshot.sqlite");
      let size: number;
      try {
        await snapshotDatabase(file, snapshot, signal);
        signal.throwIfAborted(); // a snapshot that finished as the abort came
        size = (await stat(snapshot)).size;
      } catch (err) {
        await rm(tempDir, { recursive: true, force: true });
        // The snapshot's folder is full (SQLite says "database or disk is full"), not the source.
        const dir = path.dirname(tempDir);
        if (await snapshotFolderFull(err, dir, file)) {
          throw new SourceError(`cannot snapshot SQLite database ${file}: no space left in ${dir} for its snapshot (a copy of the database is made there first)`, "sqlite", { cause: err, key: "source-error-sqlite-snapshot-full", params: { path: file, dir } });
        }
        throw new SourceError(`cannot snapshot SQLite database ${file}: ${oneLine(err)}`, "sqlite", { cause: err, key: "source-error-sqlite-unreadable", params: { path: file, detail: oneLine(err) } });
      }
      deps.log.debug({ file, snapshot }, "sqlite snapshot taken");

      // Every table's rows, counted in the snapshot on a thread of its own while it streams (for
      // drills and anomaly checks); stopped if the stream fails, always over before the snapshot goes.
      const stopCounting = new AbortController();
      const counting = countTables(snapshot, AbortSignal.any([signal, stopCounting.signal]));
      counting.catch(() => {});
      // The snapshot is read once, through `stream` (opened on first use) or by the consumer itself
      // (`takeFile`); `read` settles when that reading is over, and only then does it go.
      let stream: Readable | undefined;
      let taken = false;
      let settleRead!: (err?: unknown) => void;
      const read = new Promise<void>((resolve, reject) => {
        settleRead = (err) => (err === undefined ? resolve() : reject(err));
      });
      const openStream = (): Readable => {
        if (taken) throw new Error("the SQLite snapshot was taken as a file: its stream is not read");
        const s = createReadStream(snapshot, { highWaterMark: SNAPSHOT_READ });
        finished(s).then(() => settleRead(), settleRead);
        return s;
      };
      const onAbort = () => {
        const reason = signal.reason instanceof Error ? signal.reason : new Error("aborted");
        if (stream) stream.destroy(reason);
        else settleRead(reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const done = read
        .catch((err: unknown) => {
          stopCounting.abort(err);
          throw err;
        })
        .finally(async () => {
          signal.removeEventListener("abort", onAbort);
          await counting.catch(() => {});
          await rm(tempDir, { recursive: true, force: true });
        })
        .catch((err: unknown) => {
          const readerGaveUp = err instanceof ReaderStopped || (err as { code?: string }).code === "ERR_STREAM_PREMATURE_CLOSE";
          const why = signal.aborted ? oneLine(signal.reason) : readerGaveUp ? "the reader closed the stream before its end" : oneLine(err);
          throw new SourceError(`backup of SQLite database ${file} failed: ${why}`, "sqlite", { cause: err, key: "source-error-sqlite-backup-failed", params: { path: file, detail: why } });
        });
      done.catch(() => undefined); // the consumer awaits it; never an unhandled rejection meanwhile
      const tables = async (): Promise<Record<string, number> | null> => {
        try {
          return await counting;
        } catch (err) {
          deps.log.warn({ file, err: oneLine(err) }, "could not count the rows of the SQLite snapshot; the run records no counts");
          return null;
        }
      };
      return {
        get stream() {
          stream ??= openStream();
          return stream;
        },
        takeFile() {
          if (stream || taken) throw new Error("the SQLite snapshot is already being read");
          taken = true;
          return { path: snapshot, size, release: (err?: unknown) => settleRead(err === undefined ? undefined : new ReaderStopped(err)) };
        },
        done,
        serverVersion,
        tables,
      };
    },

    restoreScratch(config) {
      return restoreFilesOf(databasePath(config));
    },

    async checkRestoreTarget(config, into) {
      const file = databasePath(config);
      const exists = await lstat(file).then(() => true, () => false);
      if (exists && into.mode === "new") throw new SourceError(`restore target ${file} already exists: restore into a new file path`, "sqlite", { key: "restore-error-target-file-exists", params: { path: file } });
      return { empty: !exists };
    },

    async restore(config, input: Readable, { format, signal, into }) {
      // On failure the input is destroyed, so the stages feeding it end instead of waiting forever.
      try {
        const file = databasePath(config);
        assertFormat(format);
        const exists = await lstat(file).then(() => true, () => false);
        if (exists && into?.mode === "new") {
          throw new SourceError(`restore target ${file} already exists: restore into a new file path`, "sqlite", { key: "restore-error-target-file-exists", params: { path: file } });
        }
        const dir = path.dirname(file);
        await mkdir(dir, { recursive: true });
        const scratch = restoreFilesOf(file);
        const [temp] = scratch;
        const failed = (err: unknown, why = oneLine(err)) =>
          new SourceError(`restore into SQLite database ${file} failed: ${why}`, "sqlite", { cause: err, key: "source-error-sqlite-restore-failed", params: { path: file, detail: why } });
        // Taken before anything is written, and removed only by the restore that took it: a
        // second restore into the same file by this process stops here and leaves it alone.
        const handle = await open(temp, "wx", 0o644).catch((err: NodeJS.ErrnoException) => {
          throw failed(err, err.code === "EEXIST" ? "another restore into this file is running" : undefined);
        });
        try {
          await pipeline(input, handle.createWriteStream(), { signal });
          await fsync(temp);
          await checkIntegrity(temp, signal);
          if (exists) {
            await replaceDatabase(temp, file, signal);
          } else {
            await link(temp, file); // unlike rename, never replaces a file that appeared meanwhile
          }
          await fsync(dir);
        } catch (err) {
          throw failed(err, (err as { code?: string }).code === "EEXIST" ? "the file appeared while restoring" : undefined);
        } finally {
          await handle.close().catch(() => {}); // closed by its stream already, unless that never started
          for (const leftover of scratch) await rm(leftover, { force: true });
        }
      } catch (err) {
        input.destroy();
        throw err;
      }
    },
  };
}

function databasePath(config: SourceConfig): string {
  if (config.kind !== "sqlite") throw new SourceError(`expected a sqlite source, got ${config.kind}`, "sqlite");
  return config.path;
}

function assertFormat(format: DumpFormat): void {
  if (format !== "sql") throw new SourceError(`SQLite sources have no "${format}" format`, "sqlite");
}

/** Throws a SourceError unless `file` is an existing SQLite database; returns "SQLite 3.x.y". */
async function inspectDatabase(file: string): Promise<string> {
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new SourceError(`SQLite database ${file} does not exist`, "sqlite", { cause: err, key: "source-error-sqlite-missing", params: { path: file } });
    throw new SourceError(`cannot read SQLite database ${file}: ${oneLine(err)}`, "sqlite", { cause: err, key: "source-error-sqlite-unreadable", params: { path: file, detail: oneLine(err) } });
  });
  if (!st.isFile()) throw new SourceError(`SQLite database ${file} is not a file`, "sqlite", { key: "source-error-sqlite-not-file", params: { path: file } });
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma("schema_version"); // reads the header: fails on a file that is not a database
    const { version } = db.prepare("select sqlite_version() as version").get() as { version: string };
    return `SQLite ${version}`;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "SQLITE_NOTADB") throw new SourceError(`${file} is not a SQLite database`, "sqlite", { cause: err, key: "source-error-sqlite-not-db", params: { path: file } });
    throw new SourceError(`cannot open SQLite database ${file}: ${oneLine(err)}`, "sqlite", { cause: err, key: "source-error-sqlite-unreadable", params: { path: file, detail: oneLine(err) } });
  } finally {
    db?.close();
  }
}

/**
 * Copies the database with the online backup API in a single step, so the copy is one
 * consistent read transaction even while other connections write (WAL writers are not blocked;
 * a stepwise backup restarts whenever another connection writes, possibly forever).
 */
async function snapshotDatabase(file: string, snapshot: string, signal: AbortSignal): Promise<void> {
  await onSqliteThread({ op: "snapshot", file, snapshot, pages: ALL_PAGES }, signal);
}

/**
 * Every table of the SQLite database `file` (not SQLite's own `sqlite_*` ones) with its row
 * count, on a thread of its own. Backups count their snapshot with it, drills what they restored.
 */
export async function countTables(file: string, signal: AbortSignal): Promise<Record<string, number>> {
  return (await onSqliteThread({ op: "count", file }, signal)) as Record<string, number>;
}

/** What `integrity_check` found wrong: the first three problems. */
export class IntegrityCheckError extends Error {
  override name = "IntegrityCheckError";
  constructor(readonly problems: string[]) {
    super(`integrity check failed: ${problems.join("; ")}`);
  }
}

/** Throws IntegrityCheckError unless `file` passes `integrity_check`, or why it could not be checked. */
export async function checkIntegrity(file: string, signal: AbortSignal): Promise<void> {
  let rows: string[];
  try {
    rows = (await onSqliteThread({ op: "integrity", file }, signal)) as string[];
  } catch (err) {
    if ((err as { code?: string }).code === "SQLITE_NOTADB") throw new Error("the payload is not a SQLite database", { cause: err });
    throw err;
  }
  const problems = rows.filter((r) => r !== "ok");
  if (problems.length > 0) throw new IntegrityCheckError(problems.slice(0, 3));
}

type SqliteTask = { op: "snapshot"; file: string; snapshot: string; pages: number } | { op: "integrity"; file: string } | { op: "checkpoint"; file: string } | { op: "count"; file: string };

/**
 * Runs one long SQLite task on a worker thread. On the main thread a snapshot held the event
 * loop, and so the bot, for the whole copy (0.6–0.9 s for 160 MB), `integrity_check` for
 * longer (2.6 s for a 139 MB file), and a checkpoint for as long as its log took to fold in
 * (0.5 s for 160 MB). An aborted `signal` ends the thread, and the promise rejects once it has
 * ended (the caller then removes what it wrote). Errors come back with their SQLite code.
 */
function onSqliteThread(task: SqliteTask, signal: AbortSignal): Promise<unknown> {
  signal.throwIfAborted();
  return new Promise<unknown>((resolve, reject) => {
    const worker = new Worker(SQLITE_THREAD, { eval: true, workerData: { ...task, module: BETTER_SQLITE3 } });
    let settled = false;
    const settle = (outcome: { result: unknown } | { error: unknown }) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", stop);
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.result);
    };
    // An abort settles on the thread's exit, not before: a backup step in progress runs to its
    // end (SQLite cannot interrupt one, as on the main thread before), and nothing may write
    // into the snapshot's folder after the caller has removed it.
    const stop = () => void worker.terminate();
    signal.addEventListener("abort", stop, { once: true });
    worker.once("message", (m: { ok: true; result: unknown } | { ok: false; message: string; code?: string }) => {
      settle(m.ok ? { result: m.result } : { error: Object.assign(new Error(m.message), m.code ? { code: m.code } : {}) });
    });
    worker.once("error", (error) => settle({ error }));
    worker.once("exit", (code) => settle({ error: signal.aborted ? signal.reason : new Error(`the SQLite thread ended without a result (exit code ${code})`) }));
  });
}

/** better-sqlite3 as a path the SQLite thread can require, wherever this module runs from. */
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

/** The SQLite thread (CommonJS, evaluated: no file of its own to find in dist/ or src/). */
const SQLITE_THREAD = `
const { workerData: task, parentPort } = require("node:worker_threads");
const fail = (err) => parentPort.postMessage({ ok: false, message: String((err && err.message) || err), code: err && err.code });
let db;
try {
  const Database = require(task.module);
  db = new Database(task.file, { readonly: task.op === "snapshot" || task.op === "count", fileMustExist: true });
} catch (err) {
  fail(err);
}
const finish = (result) => { db.close(); parentPort.postMessage({ ok: true, result }); };
const failed = (err) => { db.close(); fail(err); };
if (db && task.op === "snapshot") {
  db.backup(task.snapshot, { progress: () => task.pages }).then(() => finish(null), failed);
} else if (db) {
  try {
    if (task.op === "checkpoint") finish(db.pragma("wal_checkpoint(TRUNCATE)"));
    else if (task.op === "count") {
      const tables = {};
      const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) != 'sqlite_' ORDER BY name").pluck().all();
      for (const name of names) tables[name] = db.prepare('SELECT count(*) FROM "' + name.replace(/"/g, '""') + '"').pluck().get();
      finish(tables);
    } else finish(db.pragma("integrity_check").map((r) => r.integrity_check));
  } catch (err) {
    failed(err);
  }
}
`;

/**
 * Puts the checked `temp` in place of the database `file`. The old file's write-ahead log is
 * checkpointed and truncated first: a WAL left beside the new file would be replayed onto it.
 * A WAL that cannot be emptied (another connection holds a read transaction) refuses the
 * replacement; the old database is then untouched.
 */
async function replaceDatabase(temp: string, file: string, signal: AbortSignal): Promise<void> {
  const wal = `${file}-wal`;
  if (await lstat(wal).then((s) => s.size > 0, () => false)) {
    // On the SQLite thread: folding a large log in took the event loop with it. An abort ends
    // the thread once the checkpoint call returns (SQLite's checkpoint is safe to stop at any
    // point: the log stays valid) and nothing is replaced.
    await onSqliteThread({ op: "checkpoint", file }, signal);
    if (await lstat(wal).then((s) => s.size > 0, () => false)) throw new Error("the database's write-ahead log could not be emptied (is it in use?); nothing was replaced");
  }
  await rename(temp, file);
  // The old file's (empty) WAL and shared-memory index do not belong to the new file.
  for (const leftover of [wal, `${file}-shm`]) await rm(leftover, { force: true });
}

async function fsync(file: string): Promise<void> {
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Whether a failed snapshot failed for want of room in `dir`: SQLite's SQLITE_FULL (ENOSPC), or
 * an I/O error (the backup API says SQLITE_IOERR, whatever the write's errno was) while `dir`
 * has less room left than the source file takes. Any other I/O error (EFBIG, EIO, ...) is
 * reported as SQLite gave it, never as a full disk.
 */
async function snapshotFolderFull(err: unknown, dir: string, source: string): Promise<boolean> {
  const code = (err as { code?: string }).code ?? "";
  if (code === "SQLITE_FULL" || code === "ENOSPC") return true;
  if (!code.startsWith("SQLITE_IOERR")) return false;
  try {
    const [fsStats, sourceStats] = await Promise.all([statfs(dir), stat(source)]);
    return fsStats.bavail * fsStats.bsize < sourceStats.size;
  } catch {
    return false;
  }
}
