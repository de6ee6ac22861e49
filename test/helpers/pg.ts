import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { SourceConfig } from "../../src/sources/port.js";

/** The test server: PostgreSQL on 127.0.0.1:5432 (trust auth), overridable by TEST_PG_HOST/PORT/USER. */
export const PG_ADMIN = {
  host: process.env.TEST_PG_HOST ?? "127.0.0.1",
  port: Number(process.env.TEST_PG_PORT ?? 5432),
  user: process.env.TEST_PG_USER ?? "postgres",
} as const;

export type PgSourceConfig = Extract<SourceConfig, { kind: "postgres" }>;

export interface PgDatabase {
  name: string;
  /** Source config for the driver (admin user, no password). */
  config: PgSourceConfig;
  /** Runs SQL (several statements allowed) in this database; returns `psql -tA` output (NULL shown as `\N`), trimmed. */
  query(sql: string): Promise<string>;
  /** Drops the database (terminating its connections). Safe to call twice. */
  drop(): Promise<void>;
}

/** Runs SQL through `psql -X -tA -q -v ON_ERROR_STOP=1` on the admin connection; rejects with psql's stderr. */
export async function pgQuery(database: string, sql: string): Promise<string> {
  const args = ["-X", "-tA", "-q", "-v", "ON_ERROR_STOP=1", "-P", "null=\\N", "-h", PG_ADMIN.host, "-p", String(PG_ADMIN.port), "-U", PG_ADMIN.user, "-d", database, "-f", "-"];
  return (await runWithStdin("psql", args, sql)).trimEnd();
}

/** A fresh, uniquely named database (`tb_<prefix>_…`), dropped by `drop()`. */
export async function createPgDatabase(prefix = "t"): Promise<PgDatabase> {
  const name = uniqueDbName(prefix);
  await pgQuery("postgres", `CREATE DATABASE "${name}"`);
  return {
    name,
    config: { kind: "postgres", host: PG_ADMIN.host, port: PG_ADMIN.port, user: PG_ADMIN.user, password: "", database: name },
    query: (sql) => pgQuery(name, sql),
    drop: async () => {
      await pgQuery("postgres", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Lower-case, at most 63 characters, unique across parallel test workers. */
export function uniqueDbName(prefix: string): string {
  const safe = prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 20);
  return `tb_${safe}_${process.pid}_${randomBytes(4).toString("hex")}`;
}

export function runWithStdin(command: string, args: string[], input: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.stdin.on("error", () => {}); // the exit code tells
    child.once("error", reject);
    child.once("close", (code, signal) => {
      const stderr = Buffer.concat(err).toString("utf8").trim();
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      else reject(new Error(`${command} failed (${signal ?? `exit ${code}`}): ${stderr}`));
    });
    child.stdin.end(input);
  });
}
