import { SourceError, type DbConnection } from "./port.js";

/**
 * Rights the dump (`--single-transaction --routines --triggers --events`) needs on the database,
 * checked by the connection test. Without them mariadb-dump either fails (views without SHOW
 * VIEW, events without EVENT) or, worse, succeeds without what it may not see: tables granted
 * one by one leave the others out, triggers vanish without TRIGGER. So the rights must be held
 * on the whole database (or globally), as SHOW GRANTS lists them.
 */
const ALWAYS = ["SELECT", "TRIGGER", "EVENT"] as const;

function literal(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Two lines: the user's privileges on the database (global ones included), comma-separated; the number of views in it. */
export function mysqlPrivilegesSql(database: string): string {
  const db = literal(database);
  const me = `CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''', SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')`;
  return [
    `SELECT IFNULL(GROUP_CONCAT(DISTINCT PRIVILEGE_TYPE), '') FROM (`,
    `SELECT PRIVILEGE_TYPE FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ${me}`,
    `UNION SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES WHERE GRANTEE = ${me} AND ${db} LIKE TABLE_SCHEMA) p;`,
    `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${db} AND TABLE_TYPE = 'VIEW';`,
  ].join(" ");
}

/** Throws a SourceError naming the rights `user` lacks on the database. `query` runs the SQL as that user (bare values). */
export async function assertMysqlReadable(query: (sql: string) => Promise<string>, c: Pick<DbConnection, "user" | "database">): Promise<void> {
  const [held = "", views = "0"] = (await query(mysqlPrivilegesSql(c.database))).split("\n").map((l) => l.trim());
  const have = new Set(held.split(",").map((p) => p.trim().toUpperCase()));
  if (have.has("ALL PRIVILEGES")) return;
  const needed: string[] = [...ALWAYS, ...(Number(views) > 0 ? ["SHOW VIEW"] : [])];
  const missing = needed.filter((p) => !have.has(p));
  if (missing.length === 0) return;
  const rights = missing.join(", ");
  throw new SourceError(`user ${c.user} lacks ${rights} on database ${c.database} (a backup would fail or leave things out)`, "mysql", {
    key: "source-error-mysql-rights",
    params: { user: c.user, database: c.database, rights },
  });
}
