import type { Readable } from "node:stream";
import { beforeReading, findExecutable, runCapture, runWithInput, spawnDump, type ChildCommand, type ChildContext } from "./child-process.js";
import {
  SourceError,
  type DbConnection,
  type Dump,
  type DumpFormat,
  type DumpOptions,
  type RestoreOptions,
  type SourceCheck,
  type SourceConfig,
  type SourceDeps,
  type SourceDriver,
} from "./port.js";

export type MysqlConfig = Extract<SourceConfig, { kind: "mysql" }>;

/** Absolute paths of the client tools in use (MariaDB's names first, MySQL's as fallback). */
export interface MysqlTools {
  dump: string;
  client: string;
}

export interface MysqlDriverOptions {
  /** PATH searched for the tools; default `process.env.PATH`. */
  pathEnv?: string;
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

/** Feeds a dump on stdin into the database; the client stops at the first failing statement. */
export function mysqlRestoreCommand(tools: MysqlTools, c: DbConnection): ChildCommand {
  return {
    command: tools.client,
    args: [...clientArgs(c), "--batch", "--binary-mode", `--database=${c.database}`],
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
  const where = `${c.host}:${c.port}`;
  const cantConnect = /Can't connect to (?:server|MySQL server) on [^(]*\((\d+)\)/i.exec(stderr);
  if (cantConnect) {
    const errno = cantConnect[1];
    // 111 ECONNREFUSED; MariaDB's client reports 115 (EINPROGRESS) for a refused non-blocking connect.
    const why = errno === "110" ? "connection timed out" : errno === "113" ? "no route to host" : "connection refused";
    return `cannot connect to ${where}: ${why}`;
  }
  if (/Unknown (?:server|MySQL server) host/i.test(stderr)) return `cannot connect to ${where}: unknown host name`;
  const denied = /Access denied for user '([^']*)'@'[^']*'(?: \(using password: (YES|NO)\))?/i.exec(stderr);
  if (denied) {
    const hint = denied[2] === "NO" ? "a password is required" : "wrong user name or password";
    return `MySQL/MariaDB at ${where}: access denied for user "${denied[1]}" (${hint})`;
  }
  const unknownDb = /Unknown database '([^']*)'/i.exec(stderr);
  if (unknownDb) return `MySQL/MariaDB at ${where}: database "${unknownDb[1]}" does not exist`;
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
    return { kind: "mysql", secrets: [c.password], explain: (stderr) => explainMysqlError(stderr, c) };
  }

  async function tools(): Promise<MysqlTools> {
    const dump = await findExecutable(["mariadb-dump", "mysqldump"], options.pathEnv);
    const client = await findExecutable(["mariadb", "mysql"], options.pathEnv);
    if (!dump || !client) {
      throw new SourceError("no MySQL/MariaDB client tools found (mariadb-dump, mariadb): install mariadb-client", "mysql");
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
      const { version } = await probe(connection(config), signal);
      return { serverVersion: version };
    },

    async dump(config, { format, signal }: DumpOptions): Promise<Dump> {
      ensureFormat(format);
      const c = connection(config);
      const { tools: t, version } = await probe(c, signal);
      log.debug({ server: version, client: t.dump }, "starting MySQL/MariaDB dump");
      const { stream, done } = spawnDump(mysqlDumpCommand(t, c), context(c), signal);
      return { stream, done, serverVersion: version };
    },

    async restore(config, input: Readable, { format, signal }: RestoreOptions): Promise<void> {
      const { c, probed } = await beforeReading(input, async () => {
        ensureFormat(format);
        const c = connection(config);
        return { c, probed: await probe(c, signal) };
      });
      log.debug({ server: probed.version, client: probed.tools.client }, "starting MySQL/MariaDB restore");
      await runWithInput(mysqlRestoreCommand(probed.tools, c), context(c), input, signal);
    },
  };
}
