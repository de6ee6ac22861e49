import { randomBytes } from "node:crypto";
import { findExecutable, runCapture, type ChildContext } from "../sources/child-process.js";
import { mysqlAdminCommand, explainMysqlError, type MysqlConfig } from "../sources/mysql.js";
import { findPgClients, requireAnyPgClient } from "../sources/pg-clients.js";
import { explainPgError, pgAdminCommand, type PgConfig } from "../sources/postgres.js";
import { SourceError, type SourceConfig } from "../sources/port.js";

/**
 * The scratch databases of restore drills, on the source's own server: created by the
 * ordinary "restore into a new database" path (src/engine/restore.ts), counted, then dropped.
 *
 * Name: `__tb_drill_<utc yyyymmddhhmmss>_<4 hex>` (30 bytes) — it says it is a drill, and a
 * restore's inner scratch database (`<name>__tb_scratch_…`, 62 bytes) keeps it whole, so both
 * are found by `LIKE '%__tb_drill_%'` when a killed drill left them (src/application/drill.ts).
 */
export const DRILL_DB_MARK = "__tb_drill_";

export function drillDatabaseName(now: Date): string {
  return `${DRILL_DB_MARK}${now.toISOString().replace(/[-:T]/g, "").slice(0, 14)}_${randomBytes(2).toString("hex")}`;
}

/** The drill database a name belongs to (itself, or the one whose inner scratch database it is); null when it is no drill's. */
export function drillOf(name: string): string | null {
  const m = /(__tb_drill_\d{14}_[0-9a-f]{4})/.exec(name);
  return m ? m[1]! : null;
}

export type DbSource = PgConfig | MysqlConfig;

export function isDbSource(c: SourceConfig): c is DbSource {
  return c.kind === "postgres" || c.kind === "mysql";
}

const pgIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;
const pgLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;
const myIdent = (s: string) => `\`${s.replace(/`/g, "``")}\``;
const myLiteral = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/** One admin query on `c` (its own `database`), through the same clients the driver uses. */
async function query(c: DbSource, sql: string, signal?: AbortSignal): Promise<string[]> {
  const ctx: ChildContext =
    c.kind === "postgres"
      ? { kind: "postgres", secrets: [c.password], explain: (stderr) => explainPgError(stderr, c) }
      : { kind: "mysql", secrets: [c.password], explain: (stderr) => explainMysqlError(stderr, c) };
  let out: string;
  if (c.kind === "postgres") {
    out = await runCapture(pgAdminCommand(requireAnyPgClient(await findPgClients()), c, sql), ctx, signal);
  } else {
    const client = await findExecutable(["mariadb", "mysql"]);
    if (!client) throw new SourceError("no MySQL/MariaDB client found (mariadb): install mariadb-client", "mysql");
    out = await runCapture(mysqlAdminCommand({ dump: client, client }, c, sql), ctx, signal);
  }
  return out.split("\n").filter((l) => l !== "");
}

/** Every table of database `c.database` with its exact row count (`schema.table` for PostgreSQL, as pg_dump names it). */
export async function countTables(c: DbSource, signal?: AbortSignal): Promise<Record<string, number>> {
  const names =
    c.kind === "postgres"
      ? await query(
          c,
          `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace ` +
            `WHERE c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`,
          signal,
        )
      : await query(c, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${myLiteral(c.database)} AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1`, signal);
  const out: Record<string, number> = {};
  // A few hundred tables per query keeps the statement small.
  for (let i = 0; i < names.length; i += 200) {
    const batch = names.slice(i, i + 200);
    const sql = batch
      .map((name, j) =>
        c.kind === "postgres"
          ? `SELECT ${i + j} || '|' || count(*) FROM ${name}`
          : `SELECT CONCAT(${i + j}, '|', COUNT(*)) FROM ${myIdent(c.database)}.${myIdent(name)}`,
      )
      .join(" UNION ALL ");
    for (const line of await query(c, sql, signal)) {
      const [index, count] = line.split("|");
      out[names[Number(index)]!] = Number(count);
    }
  }
  return out;
}

/** Drill databases (and their restores' inner scratch databases) on `c`'s server. */
export async function listDrillDatabases(c: DbSource, signal?: AbortSignal): Promise<string[]> {
  return c.kind === "postgres"
    ? query(c, `SELECT datname FROM pg_database WHERE datname LIKE '%\\_\\_tb\\_drill\\_%'`, signal)
    : query(c, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '%\\_\\_tb\\_drill\\_%'`, signal);
}

/** Drops database `name` on `c`'s server (connected through `c.database`); connections to it are ended. */
export async function dropDatabase(c: DbSource, name: string): Promise<void> {
  if (!drillOf(name)) throw new Error(`refusing to drop "${name}": not a drill database`);
  if (c.kind === "postgres") {
    await query(c, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${pgLiteral(name)} AND pid <> pg_backend_pid()`).catch(() => []);
    await query(c, `DROP DATABASE IF EXISTS ${pgIdent(name)}`);
  } else {
    await query(c, `DROP DATABASE IF EXISTS ${myIdent(name)}`);
  }
}
