import { Readable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDatabase, type PgDatabase } from "../../test/helpers/pg.js";
import { findPgClients, requireAnyPgClient } from "./pg-clients.js";
import { loadPgPayload, type PgRestoreEnv } from "./pg-restore.js";
import { pgAdminCommand, pgArchiveToScriptCommand, psqlLoadCommand } from "./postgres.js";
import type { DbConnection } from "./port.js";

/**
 * A replace restore whose psql dies after it sent COMMIT: the server committed, so the restore
 * is complete and must say so (and the target is the backup), not "failed".
 */
describe("PostgreSQL replace restore: the client dies after COMMIT", () => {
  let target: PgDatabase;
  let conn: DbConnection;
  let env: (dieAfterCommit: boolean) => PgRestoreEnv;

  beforeAll(async () => {
    target = await createPgDatabase("tb_commitkill");
    await target.query("create table old_only (x int); insert into old_only values (1)");
    const client = requireAnyPgClient(await findPgClients());
    conn = { host: "127.0.0.1", port: 5432, database: target.name, user: "postgres", password: "" };
    env = (dieAfterCommit) => ({
      commands: {
        admin: (c, sql) => pgAdminCommand(client, c, sql),
        toScript: (c) => pgArchiveToScriptCommand(client, c),
        load: (c) => {
          const real = psqlLoadCommand(client, c);
          if (!dieAfterCommit) return real;
          // psql runs the whole script (COMMIT included), then its wrapper is killed: what a SIGKILL between COMMIT and exit looks like.
          return { ...real, command: "sh", args: ["-c", '"$0" "$@"; kill -9 $$', real.command, ...real.args] };
        },
      },
      major: 15,
      ctx: () => ({ kind: "postgres", secrets: [] }),
      log: pino({ level: "silent" }),
      now: () => new Date(),
    });
  });
  afterAll(async () => {
    await target?.drop();
  });

  const payload = () => Readable.from([Buffer.from("create table new_only (y int);\ninsert into new_only values (2);\n")]);
  const tables = () => target.query("select string_agg(tablename, ',' order by tablename) from pg_tables where schemaname = 'public'");

  it("reports success, and the target is the backup", async () => {
    await loadPgPayload(env(true), conn, payload(), "sql", true, new AbortController().signal);
    expect(await tables()).toBe("new_only");
  });

  it("a client killed before COMMIT still fails, and the target keeps what it had", async () => {
    await target.query("drop table new_only; create table old_only (x int)");
    const cut = new Readable({
      read() {
        this.push("create table half (z int);\n");
        setTimeout(() => this.destroy(new Error("part 2 could not be read")), 50);
      },
    });
    await expect(loadPgPayload(env(true), conn, cut, "sql", true, new AbortController().signal)).rejects.toThrow();
    expect(await tables()).toBe("old_only");
  });
});
