import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { beforeReading, runCapture, spawnDump, type ChildCommand, type ChildContext, type Explained } from "./child-process.js";
import { findPgClients, parseServerVersionNum, pickPgClientForDump, requireAnyPgClient, type PgClient } from "./pg-clients.js";
import { assertPgReadable } from "./pg-privileges.js";
import { checkPgTarget, createPgScratch, dropPgScratch, loadPgPayload, renamePgScratch, type PgRestoreEnv } from "./pg-restore.js";
import { LOCK_WAIT_DEFAULT_S } from "./kind-schema.js";
import {
  SourceError,
  type DbConnection,
  type Dump,
  type DumpFormat,
  type DumpOptions,
  type RestoreInto,
  type RestoreOptions,
  type RestoreTargetState,
  type SourceCheck,
  type SourceConfig,
  type SourceDeps,
  type SourceDriver,
} from "./port.js";

export type PgConfig = Extract<SourceConfig, { kind: "postgres" }>;

export interface PostgresDriverOptions {
  /** Directory holding `<major>/bin/pg_dump` (tests point it at a fake tree). */
  clientBaseDir?: string;
}

const CONNECT_TIMEOUT_SECONDS = "10";

/** One libpq conninfo value, quoted so spaces, quotes and `=` in names are safe. */
function conninfoValue(v: string): string {
  return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Connection string without the password: it travels in PGPASSWORD, never in argv (visible in `ps`). */
export function pgConninfo(c: DbConnection): string {
  return [
    `host=${conninfoValue(c.host)}`,
    `port=${conninfoValue(String(c.port))}`,
    `user=${conninfoValue(c.user)}`,
    `dbname=${conninfoValue(c.database)}`,
    `application_name='tele-backup'`,
  ].join(" ");
}

export function pgEnv(c: DbConnection): Record<string, string> {
  const env: Record<string, string> = { PGCONNECT_TIMEOUT: CONNECT_TIMEOUT_SECONDS };
  if (c.password) env.PGPASSWORD = c.password;
  return env;
}

// --no-password: never prompt (a prompt would hang a scheduled job).
// --no-owner --no-acl: ownership and grants name roles of the source cluster; leaving them
// out lets a restore run as another user into a fresh database (objects then belong to the
// restoring user). Roles are cluster-wide and not part of a database dump anyway.
// --lock-wait-timeout: a table another session holds locked (an ALTER TABLE, a VACUUM FULL, a
// transaction left open) fails the dump after a while, with the reason, instead of hanging the
// job until someone looks.
export function pgDumpCommand(client: PgClient, c: PgConfig, format: DumpFormat): ChildCommand {
  const formatArgs = format === "custom" ? ["--format=custom", "--compress=0"] : ["--format=plain"];
  // --compress=0: the job's own compression stage compresses; compressing twice only costs CPU.
  const lockWaitMs = (c.lockWaitTimeout ?? LOCK_WAIT_DEFAULT_S) * 1000;
  return {
    command: client.pgDump,
    args: ["--no-password", "--no-owner", "--no-acl", `--lock-wait-timeout=${lockWaitMs}`, ...formatArgs, `--dbname=${pgConninfo(c)}`],
    env: pgEnv(c),
  };
}

/**
 * The loader of every PostgreSQL restore: psql reading the script of `PsqlScript` on stdin.
 * Not --single-transaction (psql would COMMIT at any end of file, even a cut one): the
 * script carries its own BEGIN, and COMMIT only after the payload ended normally.
 */
export function psqlLoadCommand(client: PgClient, c: DbConnection): ChildCommand {
  return {
    command: client.psql,
    args: ["--no-password", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--file=-", `--dbname=${pgConninfo(c)}`],
    env: pgEnv(c),
  };
}

/** A custom archive (stdin) → the plain SQL script it stands for (stdout); connects nowhere. */
export function pgArchiveToScriptCommand(client: PgClient, c: DbConnection): ChildCommand {
  return {
    command: client.pgRestore,
    args: ["--no-password", "--no-owner", "--no-acl", "--exit-on-error", "--file=-"],
    env: pgEnv(c),
  };
}

/** The first tool a payload of `format` goes through on its way into the database. */
export function pgRestoreCommand(client: PgClient, c: DbConnection, format: DumpFormat): ChildCommand {
  return format === "custom" ? pgArchiveToScriptCommand(client, c) : psqlLoadCommand(client, c);
}

/** One admin statement or query through psql (`-tA`: bare values, `|` between columns). */
export function pgAdminCommand(client: PgClient, c: DbConnection, sql: string): ChildCommand {
  return {
    command: client.psql,
    args: ["--no-password", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-c", sql, `--dbname=${pgConninfo(c)}`],
    env: pgEnv(c),
  };
}

export function pgVersionCommand(client: PgClient, c: DbConnection): ChildCommand {
  return {
    command: client.psql,
    args: ["--no-password", "-X", "-tA", "-c", "SHOW server_version_num", `--dbname=${pgConninfo(c)}`],
    env: pgEnv(c),
  };
}

/** Turns libpq's stderr into one readable line for the common connection failures. */
export function explainPgError(stderr: string, c: Pick<DbConnection, "host" | "port">): string | undefined {
  return explainPgFailure(stderr, c)?.message;
}

/** `explainPgError` with the locale key and params that say it in the reader's language. */
export function explainPgFailure(stderr: string, c: Pick<PgConfig, "host" | "port" | "lockWaitTimeout">): Explained | undefined {
  const where = `${c.host}:${c.port}`;
  // pg_dump's --lock-wait-timeout runs its LOCK TABLE statements under a lock_timeout (a
  // statement_timeout in older versions): either cancels the statement.
  const lockWait = /canceling statement due to (?:lock|statement) timeout[\s\S]*LOCK TABLE (\S+) IN/.exec(stderr);
  if (lockWait) {
    const table = lockWait[1]!;
    const seconds = String(c.lockWaitTimeout ?? LOCK_WAIT_DEFAULT_S);
    return {
      message: `PostgreSQL at ${where}: ${table} stayed locked by another session for longer than \`lock_wait_timeout\` (${seconds} s); the dump did not start. Find the session in \`pg_stat_activity\`, or raise \`lock_wait_timeout\``,
      key: "source-error-pg-lock-timeout",
      params: { server: where, table, seconds },
    };
  }
  const cannot = (how: string, reason: string): Explained => ({ message: `cannot connect to ${where}: ${how}`, key: "source-error-connect", params: { server: where, reason: { key: reason } } });
  // The server's own word first: libpq lists every address it tried (`localhost` → ::1
  // refused, 127.0.0.1 answered FATAL), and the one that answered is the one that matters.
  const fatal = /FATAL:\s+(.+)/.exec(stderr);
  if (fatal) return { message: `PostgreSQL at ${where}: ${fatal[1]!.trim()}`, key: "source-error-server-said", params: { server: where, detail: fatal[1]!.trim() } };
  if (/fe_sendauth: no password supplied/.test(stderr)) {
    return { message: `PostgreSQL at ${where} asks for a password and none is configured`, key: "source-error-no-password", params: { server: where } };
  }
  if (/Connection refused/i.test(stderr)) return cannot("connection refused", "source-reason-refused");
  if (/could not translate host name/i.test(stderr)) return cannot("unknown host name", "source-reason-unknown-host");
  if (/timeout expired/i.test(stderr)) return cannot("connection timed out", "source-reason-timeout");
  if (/No route to host/i.test(stderr)) return cannot("no route to host", "source-reason-no-route");
  return undefined;
}

const EXTENSIONS: Partial<Record<DumpFormat, string>> = { sql: "sql", custom: "dump" };

/** How long a successful probe of a connection stands (see `probe`). */
const PROBE_REUSE_MS = 10_000;

interface Probed {
  clients: PgClient[];
  major: number;
  version: string;
}

export function createPostgresDriver(deps: SourceDeps, options: PostgresDriverOptions = {}): SourceDriver {
  const { log } = deps;

  function connection(config: SourceConfig): PgConfig {
    if (config.kind !== "postgres") throw new SourceError(`the postgres driver cannot handle a ${config.kind} source`, "postgres");
    return config;
  }

  function ensureFormat(format: DumpFormat): void {
    if (!EXTENSIONS[format]) throw new SourceError(`postgres sources support the formats sql and custom, not ${format}`, "postgres");
  }

  function context(c: DbConnection): ChildContext {
    return { kind: "postgres", secrets: [c.password], explain: (stderr) => explainPgFailure(stderr, c) };
  }

  /**
   * Successful probes by connection, kept for PROBE_REUSE_MS. Keyed by a SHA-256 of every
   * setting (the password too: other credentials are another connection), so the map never
   * holds a password in the clear for longer than the probe itself.
   */
  const probes = new Map<string, { at: number; result: Probed }>();

  /**
   * Connects with the newest psql and reads the server's version; fails on bad credentials.
   * A connection probed successfully within PROBE_REUSE_MS is not probed again: a restore checks
   * its target, then loads it (each probe is a psql process and a connection, ~50 ms).
   */
  async function probe(c: PgConfig, signal?: AbortSignal): Promise<Probed> {
    const key = createHash("sha256").update(JSON.stringify(c)).digest("hex");
    const now = Date.now();
    for (const [k, p] of probes) if (now - p.at > PROBE_REUSE_MS || now < p.at) probes.delete(k);
    const kept = probes.get(key);
    if (kept) return kept.result;
    const clients = await findPgClients({ baseDir: options.clientBaseDir });
    const out = await runCapture(pgVersionCommand(requireAnyPgClient(clients), c), context(c), signal);
    const { major, display } = parseServerVersionNum(out);
    const result = { clients, major, version: `PostgreSQL ${display}` };
    probes.set(key, { at: Date.now(), result });
    return result;
  }

  return {
    kind: "postgres",
    formats: ["sql", "custom"],

    extension(format) {
      ensureFormat(format);
      return EXTENSIONS[format]!;
    },

    async check(config, signal): Promise<SourceCheck> {
      const c = connection(config);
      const { clients, version } = await probe(c, signal);
      await assertPgReadable((sql) => runCapture(pgAdminCommand(requireAnyPgClient(clients), c, sql), context(c), signal), c);
      return { serverVersion: version };
    },

    async dump(config, { format, signal }: DumpOptions): Promise<Dump> {
      ensureFormat(format);
      const c = connection(config);
      const { clients, major, version } = await probe(c, signal);
      const client = pickPgClientForDump(clients, major);
      log.debug({ server: version, client: client.pgDump, format }, "starting pg_dump");
      const { stream, done } = spawnDump(pgDumpCommand(client, c, format), context(c), signal);
      return { stream, done, serverVersion: version };
    },

    async checkRestoreTarget(config, into, signal): Promise<RestoreTargetState> {
      const c = connection(config);
      const { env, adminConn } = await restoreEnv(c, into, signal);
      return checkPgTarget(env, c, adminConn, into, signal);
    },

    async restore(config, input: Readable, { format, signal, into = { mode: "replace" } }: RestoreOptions): Promise<void> {
      const c = connection(config);
      const { env, adminConn, scratch } = await beforeReading(input, async () => {
        ensureFormat(format);
        const prepared = await restoreEnv(c, into, signal);
        // A replace needs nothing more than a working connection to the target (probed above).
        if (into.mode === "new") await checkPgTarget(prepared.env, c, prepared.adminConn, into, signal);
        const scratch = into.mode === "new" ? await createPgScratch(prepared.env, c, prepared.adminConn, into.from) : undefined;
        return { ...prepared, scratch };
      });
      log.debug({ server: env.major, format, mode: into.mode }, "starting PostgreSQL restore");
      let done = false;
      try {
        await loadPgPayload(env, scratch ? { ...c, database: scratch } : c, input, format, into.mode === "replace", signal);
        if (scratch) await renamePgScratch(env, adminConn, scratch, c.database);
        done = true;
      } finally {
        if (scratch && !done) await dropPgScratch(env, adminConn, scratch);
      }
    },
  };

  /**
   * The client and a working admin connection for a restore: the target itself (replace),
   * or for a new database the `from` database, else `postgres`.
   */
  async function restoreEnv(c: PgConfig, into: RestoreInto, signal?: AbortSignal): Promise<{ env: PgRestoreEnv; adminConn: PgConfig }> {
    let adminConn: PgConfig = into.mode === "new" ? { ...c, database: into.from } : c;
    let probed;
    try {
      probed = await probe(adminConn, signal);
    } catch (err) {
      if (into.mode !== "new" || !/does not exist/.test((err as Error).message)) throw err;
      adminConn = { ...c, database: "postgres" };
      probed = await probe(adminConn, signal);
    }
    // Restore with the newest client: it reads archives of its own and older pg_dump
    // versions, and psql/pg_restore also load into newer servers.
    const client = requireAnyPgClient(probed.clients);
    if (client.major < probed.major) {
      log.warn({ server: probed.version, client: client.major }, "restoring with a PostgreSQL client older than the server");
    }
    const env: PgRestoreEnv = {
      commands: {
        admin: (conn, sql) => pgAdminCommand(client, conn, sql),
        load: (conn) => psqlLoadCommand(client, conn),
        toScript: (conn) => pgArchiveToScriptCommand(client, conn),
      },
      major: probed.major,
      ctx: context,
      log,
      now: () => new Date(),
    };
    return { env, adminConn };
  }
}
