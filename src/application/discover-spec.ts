import type { DatabaseContainer } from "../docker/discover.js";
import type { SourceSpec } from "../services/sources.service.js";
import type { Translatable } from "../shared/translatable.js";

/**
 * How a database container's own environment says it is reached, as a source spec (without
 * its name): the official images' variables (postgres, mariadb, mysql, redis) and bitnami's.
 * A `*_FILE` variable becomes a `file:` reference, so the secret stays in the file the
 * container reads (mount the same secret into Tele-Backup). Pure, for tests.
 */

export type DiscoveredSpec = Omit<SourceSpec, "name"> & { kind: "postgres" | "mysql" | "redis"; host: string; port: number };

export type SpecOutcome = { ok: DiscoveredSpec } | { problem: Translatable };

const DEFAULT_PORT = { postgres: 5432, mysql: 3306, redis: 6379 } as const;

export function specOfContainer(c: DatabaseContainer): SpecOutcome {
  if (!c.running) return { problem: { key: "discover-problem-not-running", params: { container: c.name } } };
  if (!c.host) return { problem: { key: "discover-problem-no-host", params: { container: c.name } } };
  if (c.engine === "postgres") return postgresSpec(c, c.host);
  if (c.engine === "mysql") return mysqlSpec(c, c.host);
  return redisSpec(c, c.host);
}

function postgresSpec(c: DatabaseContainer, host: string): SpecOutcome {
  const user = first(c.env, "POSTGRES_USER", "POSTGRESQL_USERNAME") ?? "postgres";
  const password = secretOf(c.env, "POSTGRES_PASSWORD", "POSTGRESQL_PASSWORD");
  const database = first(c.env, "POSTGRES_DB", "POSTGRESQL_DATABASE") ?? user;
  const port = portOf(c, first(c.env, "PGPORT", "POSTGRESQL_PORT_NUMBER"), DEFAULT_PORT.postgres);
  return { ok: { kind: "postgres", host, port, database, user, ...(password !== undefined ? { password } : {}) } };
}

/** Root when the container says its password (dumps need root's privileges for routines and events), else the application user. */
function mysqlSpec(c: DatabaseContainer, host: string): SpecOutcome {
  const database = first(c.env, "MARIADB_DATABASE", "MYSQL_DATABASE");
  if (!database) return { problem: { key: "discover-problem-no-database", params: { container: c.name } } };
  const port = portOf(c, first(c.env, "MARIADB_TCP_PORT", "MYSQL_TCP_PORT"), DEFAULT_PORT.mysql);
  const rootPassword = secretOf(c.env, "MARIADB_ROOT_PASSWORD", "MYSQL_ROOT_PASSWORD");
  const emptyRoot = first(c.env, "MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "MYSQL_ALLOW_EMPTY_PASSWORD");
  if (rootPassword !== undefined || (emptyRoot && emptyRoot !== "0" && emptyRoot.toLowerCase() !== "no")) {
    return { ok: { kind: "mysql", host, port, database, user: "root", ...(rootPassword ? { password: rootPassword } : {}) } };
  }
  const user = first(c.env, "MARIADB_USER", "MYSQL_USER");
  const password = secretOf(c.env, "MARIADB_PASSWORD", "MYSQL_PASSWORD");
  if (!user || password === undefined) return { problem: { key: "discover-problem-no-credentials", params: { container: c.name } } };
  return { ok: { kind: "mysql", host, port, database, user, password } };
}

function redisSpec(c: DatabaseContainer, host: string): SpecOutcome {
  const args = c.cmd.flatMap((a) => a.split(/\s+/)).filter((a) => a !== "");
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    const value = i >= 0 ? args[i + 1]?.replace(/^["']|["']$/g, "") : undefined;
    // `sh -c "redis-server --requirepass $REDIS_PASSWORD"`: the variable is in the environment.
    const variable = value && /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(value)?.[1];
    return variable ? c.env[variable] : value;
  };
  const password = flag("--requirepass") ?? secretOf(c.env, "REDIS_PASSWORD");
  const port = portOf(c, flag("--port") ?? first(c.env, "REDIS_PORT_NUMBER"), DEFAULT_PORT.redis);
  return { ok: { kind: "redis", host, port, ...(password ? { password } : {}) } };
}

/** The first of these variables that is set and not empty. */
function first(env: Record<string, string>, ...names: string[]): string | undefined {
  for (const n of names) if (env[n]) return env[n];
  return undefined;
}

/** A secret given as a value, or as `<NAME>_FILE` (→ a `file:` reference); the value wins, as in the images' entrypoints. */
function secretOf(env: Record<string, string>, ...names: string[]): string | undefined {
  const value = first(env, ...names);
  if (value !== undefined) return value;
  const file = first(env, ...names.map((n) => `${n}_FILE`));
  return file?.startsWith("/") ? `file:${file}` : undefined;
}

/** The port a variable names; else the image's default, unless the container exposes exactly one other port. */
function portOf(c: DatabaseContainer, fromEnv: string | undefined, fallback: number): number {
  const n = fromEnv ? Number(fromEnv) : NaN;
  if (Number.isInteger(n) && n > 0 && n < 65536) return n;
  if (c.exposedPorts.length === 1 && !c.exposedPorts.includes(fallback)) return c.exposedPorts[0]!;
  return fallback;
}
