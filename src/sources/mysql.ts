import type { Readable } from "node:stream";
import { beforeReading, findExecutable, runCapture, runWithInput, spawnDump, type ChildCommand, type ChildContext, type Explained, type StallLimit } from "./child-process.js";
import { LOCK_WAIT_DEFAULT_S } from "./kind-schema.js";
import {
  SourceError,
  type DbConnection,
  type Dump,
  type DumpFormat,
  type DumpOptions,
  type RestoreOptions,
  type RestoreTargetState,
  type SourceCheck,
  type SourceConfig,
  type SourceDeps,
  type SourceDriver,
} from "./port.js";
import { assertMysqlReadable } from "./mysql-privileges.js";
import { checkMysqlTarget, prepareMysqlSwap, swapLockWait } from "./mysql-swap.js";

export type MysqlConfig = Extract<SourceConfig, { kind: "mysql" }>;

/** Absolute paths of the client tools in use (MariaDB's names first, MySQL's as fallback). */
export interface MysqlTools {
  dump: string;
  client: string;
}

export interface MysqlDriverOptions {
  /** PATH searched for the tools; default `process.env.PATH`. */
  pathEnv?: string;
  /** Time for the names of scratch databases and markers, and for their staleness; default the system clock. */
  clock?: () => Date;
}

const CONNECT_TIMEOUT_SECONDS = "10";
/** Lets one large row (a big BLOB) through the client; the server's own limit still applies. */
const MAX_PACKET = "1G";

// --no-defaults (must come first): no my.cnf of this machine changes what we connect to
// or how the dump looks. The password travels in MYSQL_PWD, never in argv (visible in `ps`).
function connectionArgs(c: DbConnection): string[] {
  return [
    "--no-defaults",
    `--host=${c.host}`,
    `--port=${c.port}`,
    `--user=${c.user}`,
    "--default-character-set=utf8mb4",
    `--max-allowed-packet=${MAX_PACKET}`,
  ];
}

// Only the interactive client has --connect-timeout; the dump tool has none, but every dump
// starts right after a check through the client, so an unreachable server fails there, fast.
function clientArgs(c: DbConnection): string[] {
  return [...connectionArgs(c), `--connect-timeout=${CONNECT_TIMEOUT_SECONDS}`];
}

export function mysqlEnv(c: DbConnection): Record<string, string> {
  return c.password ? { MYSQL_PWD: c.password } : {};
}

// --single-transaction: a consistent InnoDB snapshot without locking writers.
// --no-tablespaces: a one-database dump needs none, and MySQL 8 would demand PROCESS for it.
// `--` ends the options, so any database name is taken as a name.
export function mysqlDumpCommand(tools: MysqlTools, c: DbConnection): ChildCommand {
  return {
    command: tools.dump,
    args: [
      ...connectionArgs(c),
      "--single-transaction",
      "--routines",
      "--triggers",
      "--events",
      "--hex-blob",
      "--no-tablespaces",
      "--",
      c.database,
    ],
    env: mysqlEnv(c),
  };
}

/**
 * When a dump is stopped for its silence (MysqlConfig.lockWaitTimeout). mariadb-dump has no lock
 * wait of its own and ignores an init-command; a table another session keeps locked (an ALTER
 * TABLE queued behind a transaction left open) holds its SELECT, and so the job, for up to the
 * server's lock_wait_timeout, a day by default. A dump that streams sends something every few
 * milliseconds; minutes of silence is a wait.
 */
export function mysqlStallLimit(c: MysqlConfig): StallLimit {
  const seconds = c.lockWaitTimeout ?? LOCK_WAIT_DEFAULT_S;
  const server = `${c.host}:${c.port}`;
  return {
    ms: seconds * 1000,
    reason: {
      message: `MySQL/MariaDB at ${server}: the dump sent nothing for \`lock_wait_timeout\` (${seconds} s) and was stopped: a table it reads is most likely locked by another session (an ALTER TABLE waiting behind a transaction left open). Look for \`Waiting for table metadata lock\` in \`SHOW PROCESSLIST\`, or raise \`lock_wait_timeout\``,
      key: "source-error-mysql-stalled",
      params: { server, seconds: String(seconds) },
    },
  };
}

/** Feeds a dump on stdin into the database; the client stops at the first failing statement. */
export function mysqlRestoreCommand(tools: MysqlTools, c: DbConnection): ChildCommand {
  return {
    command: tools.client,
    args: [...clientArgs(c), "--batch", "--binary-mode", `--database=${c.database}`],
    env: mysqlEnv(c),
  };
}

/** One admin statement or query, without a default database. */
export function mysqlAdminCommand(tools: MysqlTools, c: DbConnection, sql: string): ChildCommand {
  return {
    command: tools.client,
    args: [...clientArgs(c), "--batch", "--skip-column-names", `--execute=${sql}`],
    env: mysqlEnv(c),
  };
}

export function mysqlVersionCommand(tools: MysqlTools, c: DbConnection): ChildCommand {
  return {
    command: tools.client,
    args: [...clientArgs(c), "--batch", "--skip-column-names", `--database=${c.database}`, "--execute=SELECT VERSION()"],
    env: mysqlEnv(c),
  };
}

/** `10.11.19-MariaDB-0+deb12u1` → `MariaDB 10.11.19`; `8.0.36` → `MySQL 8.0.36`. */
export function describeMysqlVersion(version: string): string {
  const v = version.trim();
  const number = /^\d+(?:\.\d+)*/.exec(v)?.[0] ?? v;
  return /mariadb/i.test(v) ? `MariaDB ${number}` : `MySQL ${number}`;
}

/** Turns the client's stderr (`ERROR 1045 (28000): …`, `Got error: 2002: …`) into one readable line. */
export function explainMysqlError(stderr: string, c: Pick<DbConnection, "host" | "port">): string | undefined {
  return explainMysqlFailure(stderr, c)?.message;
}

/** `explainMysqlError` with the locale key and params that say it in the reader's language. */
export function explainMysqlFailure(stderr: string, c: Pick<DbConnection, "host" | "port">): Explained | undefined {
  const where = `${c.host}:${c.port}`;
  const cannot = (how: string, reason: string): Explained => ({ message: `cannot connect to ${where}: ${how}`, key: "source-error-connect", params: { server: where, reason: { key: reason } } });
  const cantConnect = /Can't connect to (?:server|MySQL server) on [^(]*\((\d+)\)/i.exec(stderr);
  if (cantConnect) {
    const errno = cantConnect[1];
    // 111 ECONNREFUSED; MariaDB's client reports 115 (EINPROGRESS) for a refused non-blocking connect.
    if (errno === "110") return cannot("connection timed out", "source-reason-timeout");
    if (errno === "113") return cannot("no route to host", "source-reason-no-route");
    return cannot("connection refused", "source-reason-refused");
  }
  if (/Unknown (?:server|MySQL server) host/i.test(stderr)) return cannot("unknown host name", "source-reason-unknown-host");
  // Error 1044: the login worked, the user may not use this database (not a wrong password).
  const noDatabase = /Access denied for user '([^']*)'@'[^']*' to database '([^']*)'/i.exec(stderr);
  if (noDatabase) {
    return {
      message: `MySQL/MariaDB at ${where}: user "${noDatabase[1]}" has no access to database "${noDatabase[2]}"`,
      key: "source-error-mysql-no-access",
      params: { server: where, user: noDatabase[1]!, database: noDatabase[2]! },
    };
  }
  const denied = /Access denied for user '([^']*)'@'[^']*'(?: \(using password: (YES|NO)\))?/i.exec(stderr);
  if (denied) {
    const hint = denied[2] === "NO" ? "a password is required" : "wrong user name or password";
    return {
      message: `MySQL/MariaDB at ${where}: access denied for user "${denied[1]}" (${hint})`,
      key: "source-error-mysql-denied",
      params: { server: where, user: denied[1]!, hint: denied[2] === "NO" ? "no-password" : "wrong" },
    };
  }
  const unknownDb = /Unknown database '([^']*)'/i.exec(stderr);
  if (unknownDb) return { message: `MySQL/MariaDB at ${where}: database "${unknownDb[1]}" does not exist`, key: "restore-error-db-missing", params: { database: unknownDb[1]!, server: where } };
  return undefined;
}

export function createMysqlDriver(deps: SourceDeps, options: MysqlDriverOptions = {}): SourceDriver {
  const { log } = deps;

  function connection(config: SourceConfig): MysqlConfig {
    if (config.kind !== "mysql") throw new SourceError(`the mysql driver cannot handle a ${config.kind} source`, "mysql");
    return config;
  }

  function ensureFormat(format: DumpFormat): void {
    if (format !== "sql") throw new SourceError(`mysql sources support the format sql, not ${format}`, "mysql");
  }

  function context(c: DbConnection): ChildContext {
    return { kind: "mysql", secrets: [c.password], explain: (stderr) => explainMysqlFailure(stderr, c) };
  }

  async function tools(): Promise<MysqlTools> {
    const dump = await findExecutable(["mariadb-dump", "mysqldump"], options.pathEnv);
    const client = await findExecutable(["mariadb", "mysql"], options.pathEnv);
    if (!dump || !client) {
      throw new SourceError("no MySQL/MariaDB client tools found (mariadb-dump, mariadb): install mariadb-client", "mysql", {
        key: "source-error-tools-missing",
        params: { what: "MySQL/MariaDB", tools: "mariadb-dump, mariadb", package: "mariadb-client" },
      });
    }
    return { dump, client };
  }

  /** Connects, checks that the database exists and reads the server's version. */
  async function probe(c: MysqlConfig, signal?: AbortSignal): Promise<{ tools: MysqlTools; version: string }> {
    const t = await tools();
    const out = await runCapture(mysqlVersionCommand(t, c), context(c), signal);
    return { tools: t, version: describeMysqlVersion(out) };
  }

  return {
    kind: "mysql",
    formats: ["sql"],

    extension(format) {
      ensureFormat(format);
      return "sql";
    },

    async check(config, signal): Promise<SourceCheck> {
      const c = connection(config);
      const { tools: t, version } = await probe(c, signal);
      await assertMysqlReadable((sql) => runCapture(mysqlAdminCommand(t, c, sql), context(c), signal), c);
      return { serverVersion: version };
    },

    async dump(config, { format, signal }: DumpOptions): Promise<Dump> {
      ensureFormat(format);
      const c = connection(config);
      const { tools: t, version } = await probe(c, signal);
      log.debug({ server: version, client: t.dump }, "starting MySQL/MariaDB dump");
      const { stream, done } = spawnDump(mysqlDumpCommand(t, c), context(c), signal, mysqlStallLimit(c));
      return { stream, done, serverVersion: version };
    },

    async checkRestoreTarget(config, into, signal): Promise<RestoreTargetState> {
      const c = connection(config);
      const t = await tools();
      return checkMysqlTarget(admin(t, c), c.database, into, `${c.host}:${c.port}`, signal);
    },

    // Loads into a scratch database and swaps it in with one RENAME TABLE, or copies it into
    // a new database when it holds views, triggers, routines or events (see mysql-swap.ts).
    async restore(config, input: Readable, { format, signal, into = { mode: "replace" } }: RestoreOptions): Promise<void> {
      const c = connection(config);
      const { t, swap } = await beforeReading(input, async () => {
        ensureFormat(format);
        const t = await tools();
        const exec = admin(t, c);
        await checkMysqlTarget(exec, c.database, into, `${c.host}:${c.port}`, signal);
        const copy = (from: string, to: string, copySignal: AbortSignal) => copyDatabase(t, c, from, to, copySignal);
        const lockWaitS = swapLockWait(c.lockWaitTimeout, LOCK_WAIT_DEFAULT_S);
        return { t, swap: await prepareMysqlSwap({ exec, copy, log, clock: options.clock ?? (() => new Date()), lockWaitS }, c.database, into) };
      });
      log.debug({ client: t.client, scratch: swap.scratch, mode: into.mode }, "starting MySQL/MariaDB restore");
      try {
        await runWithInput(mysqlRestoreCommand(t, { ...c, database: swap.scratch }), context(c), input, signal);
        await swap.commit(signal);
      } finally {
        await swap.cleanup();
      }
    },
  };

  /**
   * `mariadb-dump from | mariadb to`: the dump names no database, so the objects land in
   * `to`. The client's error wins; a dump failure reaches it as its failed input.
   */
  async function copyDatabase(t: MysqlTools, c: MysqlConfig, from: string, to: string, signal: AbortSignal): Promise<void> {
    const dump = spawnDump(mysqlDumpCommand(t, { ...c, database: from }), context(c), signal);
    const [loaded, dumped] = await Promise.allSettled([runWithInput(mysqlRestoreCommand(t, { ...c, database: to }), context(c), dump.stream, signal), dump.done]);
    if (loaded.status === "rejected") throw loaded.reason;
    if (dumped.status === "rejected") throw dumped.reason;
  }

  /** Runs admin SQL with no default database (it may not exist yet). */
  function admin(t: MysqlTools, c: MysqlConfig) {
    return (sql: string, signal?: AbortSignal) => runCapture(mysqlAdminCommand(t, c, sql), context(c), signal);
  }
}
