import { randomBytes } from "node:crypto";
import type { SourceConfig } from "../../src/sources/port.js";
import { runWithStdin, uniqueDbName } from "./pg.js";

/** The test server: MariaDB on 127.0.0.1:3306 (root, empty password), overridable by TEST_MYSQL_HOST/PORT/USER/PASSWORD. */
export const MYSQL_ADMIN = {
  host: process.env.TEST_MYSQL_HOST ?? "127.0.0.1",
  port: Number(process.env.TEST_MYSQL_PORT ?? 3306),
  user: process.env.TEST_MYSQL_USER ?? "root",
  password: process.env.TEST_MYSQL_PASSWORD ?? "",
} as const;

export type MysqlSourceConfig = Extract<SourceConfig, { kind: "mysql" }>;

export interface MysqlDatabase {
  name: string;
  /** Source config for the driver (admin user). */
  config: MysqlSourceConfig;
  /** Runs SQL (several statements allowed) in this database; returns `mariadb --batch -N` output, trimmed. */
  query(sql: string): Promise<string>;
  /** Drops the database. Safe to call twice. */
  drop(): Promise<void>;
}

export interface MysqlUser {
  user: string;
  password: string;
  drop(): Promise<void>;
}

/** Runs SQL through the `mariadb` client as the admin user; `database` may be omitted. Rejects with its stderr. */
export async function mysqlQuery(database: string | undefined, sql: string): Promise<string> {
  const args = [
    "--no-defaults",
    `--host=${MYSQL_ADMIN.host}`,
    `--port=${MYSQL_ADMIN.port}`,
    `--user=${MYSQL_ADMIN.user}`,
    "--default-character-set=utf8mb4",
    "--batch",
    "--skip-column-names",
    ...(database ? [`--database=${database}`] : []),
  ];
  const env = { ...process.env, ...(MYSQL_ADMIN.password ? { MYSQL_PWD: MYSQL_ADMIN.password } : {}) };
  return (await runWithStdin("mariadb", args, sql, env)).trimEnd();
}

/** A fresh, uniquely named utf8mb4 database (`tb_<prefix>_…`), dropped by `drop()`. */
export async function createMysqlDatabase(prefix = "t"): Promise<MysqlDatabase> {
  const name = uniqueDbName(prefix);
  await mysqlQuery(undefined, `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  return {
    name,
    config: { kind: "mysql", host: MYSQL_ADMIN.host, port: MYSQL_ADMIN.port, user: MYSQL_ADMIN.user, password: MYSQL_ADMIN.password, database: name },
    query: (sql) => mysqlQuery(name, sql),
    drop: async () => {
      await mysqlQuery(undefined, `DROP DATABASE IF EXISTS \`${name}\``);
    },
  };
}

/** A user with a password and all privileges on `database` (any host), dropped by `drop()`. */
export async function createMysqlUser(database: string, password = `pw-${randomBytes(8).toString("hex")}`): Promise<MysqlUser> {
  const user = `tbu_${randomBytes(5).toString("hex")}`;
  const quoted = password.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
  await mysqlQuery(undefined, `CREATE USER '${user}'@'%' IDENTIFIED BY '${quoted}'; GRANT ALL PRIVILEGES ON \`${database}\`.* TO '${user}'@'%';`);
  return {
    user,
    password,
    drop: async () => {
      await mysqlQuery(undefined, `DROP USER IF EXISTS '${user}'@'%'`);
    },
  };
}
