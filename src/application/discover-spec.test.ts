import { describe, expect, it } from "vitest";
import { engineOfImage, type DatabaseContainer } from "../docker/discover.js";
import { specOfContainer } from "./discover-spec.js";

const container = (over: Partial<DatabaseContainer>): DatabaseContainer => ({
  id: "f".repeat(64),
  name: "shop-db-1",
  image: "postgres:16",
  engine: "postgres",
  compose: { project: "shop", service: "db" },
  running: true,
  host: "shop-db-1",
  exposedPorts: [],
  env: {},
  cmd: [],
  ...over,
});

describe("engineOfImage", () => {
  it("recognises the images by repository name, whatever the registry, tag or digest", () => {
    expect(engineOfImage("postgres")).toBe("postgres");
    expect(engineOfImage("docker.io/library/postgres:16-alpine")).toBe("postgres");
    expect(engineOfImage("bitnami/postgresql:16")).toBe("postgres");
    expect(engineOfImage("postgres@sha256:" + "a".repeat(64))).toBe("postgres");
    expect(engineOfImage("registry.example.com:5000/mirror/mariadb:11")).toBe("mysql");
    expect(engineOfImage("mysql:8.4")).toBe("mysql");
    expect(engineOfImage("redis:7")).toBe("redis");
    expect(engineOfImage("ghcr.io/acme/postgres-exporter:1")).toBeUndefined();
    expect(engineOfImage("nginx")).toBeUndefined();
  });
});

describe("specOfContainer", () => {
  it("PostgreSQL: user, password and database from the environment; the database defaults to the user", () => {
    expect(specOfContainer(container({ env: { POSTGRES_USER: "app", POSTGRES_PASSWORD: "s3cret", POSTGRES_DB: "shop" } }))).toEqual({
      ok: { kind: "postgres", host: "shop-db-1", port: 5432, database: "shop", user: "app", password: "s3cret" },
    });
    expect(specOfContainer(container({ env: { POSTGRES_USER: "app" } }))).toEqual({ ok: { kind: "postgres", host: "shop-db-1", port: 5432, database: "app", user: "app" } });
  });

  it("a *_FILE secret becomes a file: reference, never read here", () => {
    expect(specOfContainer(container({ env: { POSTGRES_PASSWORD_FILE: "/run/secrets/db_password" } }))).toMatchObject({ ok: { password: "file:/run/secrets/db_password" } });
    expect(specOfContainer(container({ engine: "mysql", image: "mariadb:11", env: { MARIADB_ROOT_PASSWORD_FILE: "/run/secrets/root", MARIADB_DATABASE: "shop" } }))).toEqual({
      ok: { kind: "mysql", host: "shop-db-1", port: 3306, database: "shop", user: "root", password: "file:/run/secrets/root" },
    });
  });

  it("bitnami/postgresql's variables", () => {
    const env = { POSTGRESQL_USERNAME: "bn", POSTGRESQL_PASSWORD: "pw1", POSTGRESQL_DATABASE: "bndb", POSTGRESQL_PORT_NUMBER: "5433" };
    expect(specOfContainer(container({ image: "bitnami/postgresql:16", env }))).toEqual({ ok: { kind: "postgres", host: "shop-db-1", port: 5433, database: "bndb", user: "bn", password: "pw1" } });
  });

  it("MySQL/MariaDB: root when its password is known, else the application user; no database named → a reason", () => {
    const base = { engine: "mysql" as const, image: "mysql:8" };
    expect(specOfContainer(container({ ...base, env: { MYSQL_ROOT_PASSWORD: "r00t", MYSQL_USER: "app", MYSQL_PASSWORD: "apw", MYSQL_DATABASE: "shop" } }))).toMatchObject({ ok: { user: "root", password: "r00t" } });
    expect(specOfContainer(container({ ...base, env: { MYSQL_RANDOM_ROOT_PASSWORD: "yes", MYSQL_USER: "app", MYSQL_PASSWORD: "apw", MYSQL_DATABASE: "shop" } }))).toMatchObject({ ok: { user: "app", password: "apw" } });
    expect(specOfContainer(container({ ...base, env: { MARIADB_ALLOW_EMPTY_ROOT_PASSWORD: "1", MARIADB_DATABASE: "shop" } }))).toEqual({ ok: { kind: "mysql", host: "shop-db-1", port: 3306, database: "shop", user: "root" } });
    expect(specOfContainer(container({ ...base, env: { MYSQL_ROOT_PASSWORD: "r00t" } }))).toEqual({ problem: { key: "discover-problem-no-database", params: { container: "shop-db-1" } } });
    expect(specOfContainer(container({ ...base, env: { MYSQL_RANDOM_ROOT_PASSWORD: "yes", MYSQL_DATABASE: "shop" } }))).toEqual({ problem: { key: "discover-problem-no-credentials", params: { container: "shop-db-1" } } });
  });

  it("Redis: --requirepass in the command (also through a shell variable), REDIS_PASSWORD, --port", () => {
    const base = { engine: "redis" as const, image: "redis:7" };
    expect(specOfContainer(container({ ...base, cmd: ["redis-server", "--requirepass", "hunter2", "--port", "6380"] }))).toEqual({ ok: { kind: "redis", host: "shop-db-1", port: 6380, password: "hunter2" } });
    expect(specOfContainer(container({ ...base, cmd: ["sh", "-c", "redis-server --requirepass $REDIS_PASS"], env: { REDIS_PASS: "fromenv" } }))).toMatchObject({ ok: { password: "fromenv" } });
    expect(specOfContainer(container({ ...base, env: { REDIS_PASSWORD_FILE: "/run/secrets/redis" } }))).toMatchObject({ ok: { password: "file:/run/secrets/redis" } });
    expect(specOfContainer(container({ ...base }))).toEqual({ ok: { kind: "redis", host: "shop-db-1", port: 6379 } });
  });

  it("the port: a variable, else the default, else the one other port the container exposes", () => {
    expect(specOfContainer(container({ exposedPorts: [5432] }))).toMatchObject({ ok: { port: 5432 } });
    expect(specOfContainer(container({ exposedPorts: [15432] }))).toMatchObject({ ok: { port: 15432 } });
    expect(specOfContainer(container({ exposedPorts: [15432], env: { PGPORT: "6543" } }))).toMatchObject({ ok: { port: 6543 } });
  });

  it("a stopped container or one with no address gives a reason instead of a spec", () => {
    expect(specOfContainer(container({ running: false }))).toEqual({ problem: { key: "discover-problem-not-running", params: { container: "shop-db-1" } } });
    expect(specOfContainer(container({ host: undefined }))).toEqual({ problem: { key: "discover-problem-no-host", params: { container: "shop-db-1" } } });
  });
});
