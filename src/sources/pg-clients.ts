import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { childEnv, findExecutable, isExecutable } from "./child-process.js";
import { SourceError } from "./port.js";

/** Where Debian/Ubuntu install one directory of client binaries per major version. */
export const DEFAULT_PG_BASE_DIR = "/usr/lib/postgresql";

/** One installed set of PostgreSQL client tools (absolute paths). */
export interface PgClient {
  major: number;
  pgDump: string;
  pgRestore: string;
  psql: string;
}

export interface PgClientSearch {
  /** Directory holding `<major>/bin/pg_dump`; default `/usr/lib/postgresql`. */
  baseDir?: string;
  /** PATH searched when `baseDir` holds no client; default `process.env.PATH`. */
  pathEnv?: string;
}

/** Every installed client, newest first: versioned directories, else the `pg_dump` on PATH. */
export async function findPgClients(search: PgClientSearch = {}): Promise<PgClient[]> {
  const baseDir = search.baseDir ?? DEFAULT_PG_BASE_DIR;
  const found: PgClient[] = [];
  let entries: string[] = [];
  try {
    entries = await readdir(baseDir);
  } catch {
    // no versioned layout on this system (Alpine, other distros): PATH below
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const bin = join(baseDir, entry, "bin");
    const pgDump = join(bin, "pg_dump");
    if (!(await isExecutable(pgDump))) continue;
    found.push({
      major: Number(entry),
      pgDump,
      pgRestore: (await siblingOrPath(bin, "pg_restore", search.pathEnv)) ?? join(bin, "pg_restore"),
      psql: (await siblingOrPath(bin, "psql", search.pathEnv)) ?? join(bin, "psql"),
    });
  }
  if (found.length === 0) {
    const onPath = await pathClient(search.pathEnv);
    if (onPath) found.push(onPath);
  }
  return found.sort((a, b) => b.major - a.major);
}

async function siblingOrPath(bin: string, name: string, pathEnv: string | undefined): Promise<string | undefined> {
  const sibling = join(bin, name);
  if (await isExecutable(sibling)) return sibling;
  return findExecutable([name], pathEnv);
}

async function pathClient(pathEnv: string | undefined): Promise<PgClient | undefined> {
  const pgDump = await findExecutable(["pg_dump"], pathEnv);
  if (!pgDump) return undefined;
  let major: number | undefined;
  try {
    const { stdout } = await promisify(execFile)(pgDump, ["--version"], { env: childEnv({}), timeout: 10_000 });
    major = parsePgToolVersion(stdout);
  } catch {
    return undefined;
  }
  if (major === undefined) return undefined;
  return {
    major,
    pgDump,
    pgRestore: (await findExecutable(["pg_restore"], pathEnv)) ?? "pg_restore",
    psql: (await findExecutable(["psql"], pathEnv)) ?? "psql",
  };
}

/** Major version from `pg_dump (PostgreSQL) 15.20 (Debian …)` or `pg_dump (PostgreSQL) 9.6.24`. */
export function parsePgToolVersion(text: string): number | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  return Number(m[1]);
}

/** `SHOW server_version_num` (e.g. `150020`, `90624`) → major (15, 9) and display (`15.20`, `9.6.24`). */
export function parseServerVersionNum(text: string): { major: number; display: string } {
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n <= 0) throw new SourceError(`unexpected PostgreSQL server_version_num "${text.trim()}"`, "postgres");
  const major = Math.floor(n / 10000);
  if (major >= 10) return { major, display: `${major}.${n % 10000}` };
  return { major, display: `${major}.${Math.floor(n / 100) % 100}.${n % 100}` };
}

export function requireAnyPgClient(clients: PgClient[]): PgClient {
  const newest = clients[0];
  if (!newest) {
    throw new SourceError("no PostgreSQL client tools found (pg_dump, psql): install postgresql-client", "postgres", {
      key: "source-error-tools-missing",
      params: { what: "PostgreSQL", tools: "pg_dump, psql", package: "postgresql-client" },
    });
  }
  return newest;
}

/**
 * The client to dump a server of `serverMajor` with: the newest installed one, which must
 * be at least the server's major (pg_dump reads servers of its own major and older only).
 */
export function pickPgClientForDump(clients: PgClient[], serverMajor: number): PgClient {
  const newest = requireAnyPgClient(clients);
  if (newest.major < serverMajor) {
    throw new SourceError(
      `PostgreSQL server is ${serverMajor} but the newest pg_dump installed is ${newest.major}: install postgresql-client-${serverMajor}`,
      "postgres",
      { key: "source-error-pg-client-old", params: { server: serverMajor, client: newest.major } },
    );
  }
  return newest;
}
