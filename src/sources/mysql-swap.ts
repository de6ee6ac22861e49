import type { Logger } from "../logger.js";
import { SourceProcessError } from "./child-process.js";
import { SourceError, type RestoreInto, type RestoreTargetState } from "./port.js";
import { INCOMPLETE_MARKER_PREFIX, incompleteMarkerName, isIncompleteMarker, isScratchName, isStaleMarker, isStaleScratch, scratchDatabaseName } from "./restore-names.js";

/**
 * MySQL/MariaDB restores, all or nothing. DDL is not transactional there (a dump drops and
 * reloads one table at a time), so the payload never goes into the target itself:
 *
 * 1. load into a scratch database `<db>__tb_scratch_<time>_<hex>` on the same server;
 * 2. only after the load finished and the input ended normally, swap with ONE
 *    `RENAME TABLE` statement (atomic, and crash-safe on MariaDB ≥ 10.6): the target's
 *    tables move to a trash database `<db>__tb_trash_<time>_<hex>` and the scratch tables
 *    into the target, in the same statement;
 * 3. drop the trash and scratch databases.
 *
 * Views, triggers, routines and events cannot move between databases in that statement.
 * Replacing: a target holding any is refused up front, a backup holding any after the
 * scratch load (the target untouched). Into a NEW database, such a backup is copied from the
 * scratch database by the dump tool and the client instead (`MysqlCopy`); the new database
 * is created holding a marker table (`__tb_restore_incomplete_<time>`) and the marker is
 * dropped only after a clean copy. A failed copy drops the new database; one left by a
 * killed process keeps its marker and is dropped by a later restore on the same server.
 *
 * A failed restore drops its scratch database; one left by a killed process is dropped by a
 * later restore on the same server once it is stale and no connection uses it.
 */

/** Runs SQL on the server (no default database) and returns the client's tab-separated output. */
export type MysqlExec = (sql: string, signal?: AbortSignal) => Promise<string>;

export const mysqlIdent = (s: string) => `\`${s.replace(/`/g, "``")}\``;
export const mysqlLiteral = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

const MAX_NAME_CHARS = 64;

const rows = (out: string) =>
  out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => l.split("\t"));

export async function databaseExists(exec: MysqlExec, name: string, signal?: AbortSignal): Promise<boolean> {
  return (await exec(`SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mysqlLiteral(name)}`, signal)).trim() === "1";
}

/** Views, triggers, routines and events of a database, as "view v", "trigger t", … */
export async function unswappableObjects(exec: MysqlExec, db: string, signal?: AbortSignal): Promise<string[]> {
  const d = mysqlLiteral(db);
  const out = await exec(
    `SELECT 'view', TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${d} AND TABLE_TYPE = 'VIEW'
     UNION ALL SELECT 'trigger', TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ${d}
     UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ${d}
     UNION ALL SELECT 'event', EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ${d}`,
    signal,
  );
  return rows(out).map(([kind, name]) => `${kind} ${name}`);
}

export async function tablesOf(exec: MysqlExec, db: string, signal?: AbortSignal): Promise<string[]> {
  const out = await exec(`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${mysqlLiteral(db)} AND TABLE_TYPE <> 'VIEW' ORDER BY TABLE_NAME`, signal);
  return rows(out).map(([name]) => name!);
}

function listed(objects: string[]): string {
  const shown = objects.slice(0, 5).join(", ");
  return objects.length > 5 ? `${shown} and ${objects.length - 5} more` : shown;
}

/** The up-front check (see `SourceDriver.checkRestoreTarget`). */
export async function checkMysqlTarget(exec: MysqlExec, database: string, into: RestoreInto, where: string, signal?: AbortSignal): Promise<RestoreTargetState> {
  if (into.mode === "new") {
    if (!database || [...database].length > MAX_NAME_CHARS || /[/\\.]|\s$/.test(database)) {
      throw new SourceError(`"${database}" is not a usable database name`, "mysql", { key: "restore-error-db-name", params: { database } });
    }
    if (isScratchName(database)) throw new SourceError(`"${database}" is a name reserved for restores' scratch databases`, "mysql", { key: "restore-error-db-reserved", params: { database } });
    if (await databaseExists(exec, database, signal)) {
      throw new SourceError(`database "${database}" already exists on ${where}; choose another name for the new database`, "mysql", {
        key: "restore-error-db-exists",
        params: { database, server: where },
      });
    }
    return { empty: true };
  }
  if (!(await databaseExists(exec, database, signal))) {
    throw new SourceError(`MySQL/MariaDB at ${where}: database "${database}" does not exist`, "mysql", { key: "restore-error-db-missing", params: { database, server: where } });
  }
  const objects = await unswappableObjects(exec, database, signal);
  if (objects.length > 0) {
    throw new SourceError(
      `database "${database}" holds objects that cannot be replaced in one atomic step (${listed(objects)}); restore into a new database instead, or drop them first`,
      "mysql",
    );
  }
  return { empty: (await tablesOf(exec, database, signal)).length === 0 };
}

async function charsetOf(exec: MysqlExec, db: string): Promise<string> {
  const [row] = rows(await exec(`SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${mysqlLiteral(db)}`));
  return row ? ` CHARACTER SET ${row[0]} COLLATE ${row[1]}` : "";
}

/**
 * Drops what killed restores left: scratch/trash databases, and new databases still holding
 * their incomplete-restore marker — each only once stale by the time in its name and used
 * by no connection.
 */
async function dropStale(exec: MysqlExec, log: Logger, now: Date): Promise<void> {
  const scratch = rows(await exec(`SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '%\\_\\_tb\\_%'`)).map(([n]) => n!);
  const marked = rows(
    await exec(`SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME LIKE ${mysqlLiteral(`${INCOMPLETE_MARKER_PREFIX.replace(/_/g, "\\_")}%`)}`),
  )
    .filter(([, table]) => isStaleMarker(table!, now))
    .map(([db]) => db!);
  const stale = [...new Set([...scratch.filter((n) => isStaleScratch(n, now)), ...marked])];
  if (stale.length === 0) return;
  const inUse = new Set(rows(await exec("SELECT DISTINCT DB FROM information_schema.PROCESSLIST WHERE DB IS NOT NULL")).map(([n]) => n!));
  for (const name of stale) {
    if (inUse.has(name)) continue;
    await exec(`DROP DATABASE IF EXISTS ${mysqlIdent(name)}`);
    log.info({ database: name }, marked.includes(name) ? "dropped a new database left incomplete by an interrupted restore" : "dropped a scratch database left by an interrupted restore");
  }
}

/** Copies database `from` (tables, views, triggers, routines, events) into the existing database `to`. */
export type MysqlCopy = (from: string, to: string, signal: AbortSignal) => Promise<void>;

export interface MysqlSwapDeps {
  exec: MysqlExec;
  copy: MysqlCopy;
  log: Logger;
  clock: () => Date;
  /** Seconds the swap waits for target tables another session uses (`swapLockWait`). */
  lockWaitS: number;
}

/** The longest the swap waits for the target's tables; see `swapLockWait`. */
const SWAP_LOCK_WAIT_MAX_S = 30;

/**
 * How long the swap's RENAME TABLE waits for target tables another session uses (an open
 * transaction that read them): the source's `lock_wait_timeout`, at most half a minute. The
 * server's own wait is a day, and while the statement waits every new query on those tables
 * queues behind it, so the application stalls; it is better to stop and say so.
 */
export function swapLockWait(lockWaitTimeout: number | undefined, fallback: number): number {
  return Math.min(lockWaitTimeout ?? fallback, SWAP_LOCK_WAIT_MAX_S);
}

export interface MysqlSwap {
  scratch: string;
  /** Moves the loaded scratch tables into the target in one statement (or copies them into a new database). */
  commit(signal: AbortSignal): Promise<void>;
  /** Drops the scratch and trash databases; never throws. */
  cleanup(): Promise<void>;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
/** What the client printed, when `err` is its failure; else the error's text. */
const stderrOf = (err: unknown) => (err instanceof SourceProcessError ? err.stderrTail : errorText(err));

/** Creates the scratch database for a restore into `database` and returns how to finish it. */
export async function prepareMysqlSwap(deps: MysqlSwapDeps, database: string, into: RestoreInto): Promise<MysqlSwap> {
  const { exec, log, clock } = deps;
  const now = clock();
  await dropStale(exec, log, now).catch((err: unknown) => log.warn({ err: String(err) }, "could not look for stale scratch databases"));
  const charset = await charsetOf(exec, into.mode === "new" ? into.from : database);
  const scratch = scratchDatabaseName(database, "scratch", now);
  const trash = scratchDatabaseName(database, "trash", now);
  await exec(`CREATE DATABASE ${mysqlIdent(scratch)}${charset}`);
  let createdTarget = false;

  /** Creates `database` with its marker; the copy goes in; the marker goes last. On failure, drops `database` and says so. */
  async function copyIntoNew(objects: string[], signal: AbortSignal): Promise<void> {
    const marker = incompleteMarkerName(clock());
    // One client call, not cancelled by our signal: it runs to its end even when tele-backup
    // is killed, so the database never exists without its marker.
    try {
      await exec(
        `CREATE DATABASE ${mysqlIdent(database)}${charset}; ` +
          `CREATE TABLE ${mysqlIdent(database)}.${mysqlIdent(marker)} (started_at DATETIME NOT NULL) ENGINE=InnoDB ` +
          `COMMENT='tele-backup: restore not finished, this database is incomplete'; ` +
          `INSERT INTO ${mysqlIdent(database)}.${mysqlIdent(marker)} VALUES (UTC_TIMESTAMP())`,
      );
    } catch (err) {
      if (!/\b1007\b|database exists/i.test(errorText(err))) createdTarget = true; // ours, maybe without its marker: cleanup drops it
      throw new SourceError(`creating the new database "${database}" failed: ${errorText(err)}; nothing was restored`, "mysql", { cause: err });
    }
    createdTarget = true;
    log.info({ database, objects: objects.length }, "copying a restore with views, triggers, routines or events into its new database");
    try {
      await deps.copy(scratch, database, signal);
      if (signal.aborted) throw new SourceError("the restore was aborted", "mysql");
      // The copy holds what the scratch database holds (a cut input cannot pass unnoticed).
      const [want, got] = await Promise.all([contentOf(exec, scratch, signal), contentOf(exec, database, signal)]);
      const missing = want.filter((o) => !got.includes(o));
      if (missing.length > 0) throw new SourceError(`the copy lacks ${listed(missing)}`, "mysql");
      // Last step: from here on the database is the backup.
      await exec(`DROP TABLE ${mysqlIdent(database)}.${mysqlIdent(marker)}`, signal);
      createdTarget = false;
    } catch (err) {
      const reason = signal.aborted ? "the restore was aborted" : errorText(err);
      const dropped = await exec(`DROP DATABASE IF EXISTS ${mysqlIdent(database)}`).then(
        () => undefined,
        (e: unknown) => errorText(e),
      );
      if (dropped === undefined) createdTarget = false;
      const outcome =
        dropped === undefined
          ? `the new database "${database}" was dropped; nothing was restored`
          : `the new database "${database}" is incomplete and could not be dropped (${dropped}); it holds the table ${marker}: drop it, or the next restore on this server drops it after 10 minutes`;
      throw new SourceError(`copying the backup into the new database "${database}" failed: ${reason}; ${outcome}`, "mysql", { cause: err });
    }
  }

  return {
    scratch,
    async commit(signal) {
      const incoming = await tablesOf(exec, scratch, signal);
      const planted = incoming.find(isIncompleteMarker);
      if (planted) {
        throw new SourceError(
          `the backup holds the table ${planted}, which marks a database that tele-backup had not finished restoring; it is a copy of an incomplete database, nothing was changed`,
          "mysql",
        );
      }
      const objects = await unswappableObjects(exec, scratch, signal);
      if (objects.length > 0) {
        if (into.mode === "new") return copyIntoNew(objects, signal);
        throw new SourceError(
          `the backup holds objects that cannot be swapped in atomically (${listed(objects)}); nothing was changed. Restore it into a new database instead`,
          "mysql",
        );
      }
      const renames: string[] = [];
      if (into.mode === "replace") {
        const leaving = await tablesOf(exec, database, signal);
        if (leaving.length > 0) await exec(`CREATE DATABASE ${mysqlIdent(trash)}`, signal);
        for (const t of leaving) renames.push(`${mysqlIdent(database)}.${mysqlIdent(t)} TO ${mysqlIdent(trash)}.${mysqlIdent(t)}`);
      } else {
        await exec(`CREATE DATABASE ${mysqlIdent(database)}${charset}`, signal);
        createdTarget = true;
      }
      for (const t of incoming) renames.push(`${mysqlIdent(scratch)}.${mysqlIdent(t)} TO ${mysqlIdent(database)}.${mysqlIdent(t)}`);
      // The one step that changes the target: all of its tables, or none (also when it gives up
      // waiting for tables in use: the statement then fails whole).
      if (renames.length > 0) {
        try {
          await exec(`SET SESSION lock_wait_timeout = ${deps.lockWaitS}; RENAME TABLE ${renames.join(", ")}`);
        } catch (err) {
          if (!/\bERROR 1205\b/.test(stderrOf(err))) throw err;
          const seconds = String(deps.lockWaitS);
          throw new SourceError(
            `the tables of ${database} stayed in use by another session (an open transaction) for ${seconds} s, so the restore did not swap them in; nothing was changed. Stop the application or end that session (\`SHOW PROCESSLIST\`), then restore again`,
            "mysql",
            { cause: err, key: "source-error-mysql-swap-in-use", params: { database, seconds } },
          );
        }
      }
      createdTarget = false;
    },
    async cleanup() {
      for (const db of [trash, scratch, ...(createdTarget ? [database] : [])]) {
        await exec(`DROP DATABASE IF EXISTS ${mysqlIdent(db)}`).catch((err: unknown) =>
          log.warn({ database: db, err: String(err) }, "could not drop a restore's scratch database; a later restore drops it"),
        );
      }
    },
  };
}

/** Names of a database's tables and other objects, marker tables left out. */
async function contentOf(exec: MysqlExec, db: string, signal: AbortSignal): Promise<string[]> {
  const tables = (await tablesOf(exec, db, signal)).filter((t) => !isIncompleteMarker(t));
  return [...tables.map((t) => `table ${t}`), ...(await unswappableObjects(exec, db, signal))];
}
