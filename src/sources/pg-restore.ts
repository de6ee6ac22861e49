import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "../logger.js";
import { runCapture, runWithInput, spawnFilter, type ChildCommand, type ChildContext } from "./child-process.js";
import { PayloadRefusedError, PsqlScript, REPLACE_PRELUDE, restrictKey, XID_MARK } from "./pg-restore-script.js";
import { SourceError, type DbConnection, type DumpFormat, type RestoreInto, type RestoreTargetState } from "./port.js";
import { isScratchName, isStaleScratch, MAX_DATABASE_NAME_BYTES, scratchDatabaseName } from "./restore-names.js";

/**
 * PostgreSQL restores, all or nothing:
 * - replace: one transaction in the target itself — drop what it holds (REPLACE_PRELUDE),
 *   load the payload, COMMIT only after the payload ended normally (see PsqlScript).
 * - new: the same transaction in a scratch database `<name>__tb_scratch_<time>_<hex>`, then
 *   `ALTER DATABASE … RENAME TO <name>`: the name appears only with the whole backup in it.
 *   The scratch database is dropped on any failure; one left by a killed process is dropped
 *   by a later restore on the same server once it is stale (see restore-names.ts).
 * A custom archive goes through `pg_restore --file=-` into the same psql path.
 */

export interface PgRestoreEnv {
  /** The commands of postgres.ts, bound to the client in use. */
  commands: {
    admin(c: DbConnection, sql: string): ChildCommand;
    load(c: DbConnection): ChildCommand;
    toScript(c: DbConnection): ChildCommand;
  };
  /** Server major version. */
  major: number;
  ctx: (c: DbConnection) => ChildContext;
  log: Logger;
  now: () => Date;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function admin(env: PgRestoreEnv, c: DbConnection, sql: string, signal?: AbortSignal): Promise<string> {
  return (await runCapture(env.commands.admin(c, sql), env.ctx(c), signal)).trim();
}

async function databaseExists(env: PgRestoreEnv, adminConn: DbConnection, name: string, signal?: AbortSignal): Promise<boolean> {
  return (await admin(env, adminConn, `SELECT 1 FROM pg_database WHERE datname = ${literal(name)}`, signal)) === "1";
}

const USER_OBJECTS = `SELECT
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')
+ (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema')
+ (SELECT count(*) FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT IN ('information_schema', 'public'))
+ (SELECT count(*) FROM pg_largeobject_metadata)`;

/**
 * Checks the target before anything is loaded; `adminConn` is a connection that works
 * (the target itself for replace, the `from` database or `postgres` for new).
 */
export async function checkPgTarget(env: PgRestoreEnv, c: DbConnection, adminConn: DbConnection, into: RestoreInto, signal?: AbortSignal): Promise<RestoreTargetState> {
  if (into.mode === "new") {
    if (!c.database || Buffer.byteLength(c.database) > MAX_DATABASE_NAME_BYTES) {
      throw new SourceError(`"${c.database}" is not a usable database name (1 to ${MAX_DATABASE_NAME_BYTES} bytes)`, "postgres", {
        key: "restore-error-db-name",
        params: { database: c.database },
      });
    }
    if (isScratchName(c.database)) throw new SourceError(`"${c.database}" is a name reserved for restores' scratch databases`, "postgres", { key: "restore-error-db-reserved", params: { database: c.database } });
    if (await databaseExists(env, adminConn, c.database, signal)) {
      throw new SourceError(`database "${c.database}" already exists on ${c.host}:${c.port}; choose another name for the new database`, "postgres", {
        key: "restore-error-db-exists",
        params: { database: c.database, server: `${c.host}:${c.port}` },
      });
    }
    return { empty: true };
  }
  return { empty: Number(await admin(env, c, USER_OBJECTS, signal)) === 0 };
}

/** Drops scratch databases left by killed restores (stale, and not in use: no FORCE). */
async function dropStaleScratch(env: PgRestoreEnv, adminConn: DbConnection): Promise<void> {
  const names = (await admin(env, adminConn, `SELECT datname FROM pg_database WHERE datname LIKE '%\\_\\_tb\\_scratch\\_%'`)).split("\n").filter(Boolean);
  for (const name of names) {
    if (!isStaleScratch(name, env.now())) continue;
    try {
      await admin(env, adminConn, `DROP DATABASE IF EXISTS ${ident(name)}`);
      env.log.info({ database: name }, "dropped a scratch database left by an interrupted restore");
    } catch (err) {
      env.log.debug({ database: name, err: String(err) }, "a stale-looking scratch database is still in use; kept");
    }
  }
}

/** Creates the scratch database for a `new` restore, like `from` (encoding, collation). */
export async function createPgScratch(env: PgRestoreEnv, c: DbConnection, adminConn: DbConnection, from: string): Promise<string> {
  await dropStaleScratch(env, adminConn).catch((err: unknown) => env.log.warn({ err: String(err) }, "could not look for stale scratch databases"));
  const like = await admin(env, adminConn, `SELECT pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype FROM pg_database WHERE datname = ${literal(from)}`);
  const scratch = scratchDatabaseName(c.database, "scratch", env.now());
  let sql = `CREATE DATABASE ${ident(scratch)} TEMPLATE template0`;
  if (like) {
    const [encoding, collate, ctype] = like.split("|");
    sql += ` ENCODING ${literal(encoding!)} LC_COLLATE ${literal(collate!)} LC_CTYPE ${literal(ctype!)}`;
  }
  await admin(env, adminConn, sql);
  return scratch;
}

export async function dropPgScratch(env: PgRestoreEnv, adminConn: DbConnection, scratch: string): Promise<void> {
  const force = env.major >= 13 ? " WITH (FORCE)" : "";
  try {
    await admin(env, adminConn, `DROP DATABASE IF EXISTS ${ident(scratch)}${force}`);
  } catch (err) {
    env.log.warn({ database: scratch, err: String(err) }, "could not drop a restore's scratch database; a later restore drops it");
  }
}

export async function renamePgScratch(env: PgRestoreEnv, adminConn: DbConnection, scratch: string, name: string): Promise<void> {
  await admin(env, adminConn, `ALTER DATABASE ${ident(scratch)} RENAME TO ${ident(name)}`);
}

/**
 * Loads `input` into `c.database` in one transaction. Resolves after psql (and pg_restore)
 * exited; nothing is committed unless `input` ended normally and every statement succeeded.
 */
export async function loadPgPayload(env: PgRestoreEnv, c: DbConnection, input: Readable, format: DumpFormat, replace: boolean, signal: AbortSignal): Promise<void> {
  const ctx = env.ctx(c);
  // Replacing in place is the one load whose COMMIT changes the user's database: if psql dies
  // after sending it, the server may still commit, so the transaction's id is kept to ask.
  const script = new PsqlScript({ key: restrictKey(), prelude: replace ? REPLACE_PRELUDE : undefined, announceXid: replace });
  let stdout = "";
  const keep = (chunk: Buffer) => {
    if (stdout.length < 4096) stdout += chunk.toString("latin1");
  };
  const converter = format === "custom" ? spawnFilter(env.commands.toScript(c), ctx, input, signal) : undefined;
  // Errors reach psql's runner through `script`; this only keeps the rejection handled.
  const feeding = pipeline(converter?.stream ?? input, script).catch(() => {});
  try {
    await runWithInput(env.commands.load(c), ctx, script, signal, replace ? keep : undefined);
  } catch (err) {
    if (script.commitWritten && (await committedAnyway(env, c, stdout, err))) return;
    // The filter's refusal or pg_restore's own error is the reason; "the input failed" is not.
    const cause = (err as Error).cause;
    if (cause instanceof PayloadRefusedError || cause instanceof SourceError) throw cause;
    throw err;
  } finally {
    script.destroy();
    await feeding;
    await converter?.done.catch(() => {});
  }
}

/**
 * psql failed after COMMIT was sent (it was killed, or lost its connection): the server may
 * have committed all the same. Waits for the transaction's fate (txid_status) and says whether
 * it committed; then the restore is complete and saying "failed" would be false.
 */
async function committedAnyway(env: PgRestoreEnv, c: DbConnection, stdout: string, err: unknown): Promise<boolean> {
  const xid = new RegExp(`${XID_MARK}(\\d+)`).exec(stdout)?.[1];
  if (!xid) return false;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await admin(env, c, `SELECT txid_status(${xid})`).catch(() => "unknown");
    if (status === "committed") {
      env.log.warn({ database: c.database, reason: (err as Error).message }, "psql ended abnormally after COMMIT; the server committed the restore");
      return true;
    }
    if (status !== "in progress" || Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
