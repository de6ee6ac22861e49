import { spawn } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { createPgDatabase, PG_ADMIN, pgQuery, type PgDatabase, type PgSourceConfig } from "../../test/helpers/pg.js";
import { waitFor } from "../../test/helpers/wait.js";
import { findPgClients, requireAnyPgClient } from "./pg-clients.js";
import { SourceError, type Dump, type DumpFormat, type SourceDeps } from "./port.js";
import { createPostgresDriver, explainPgError, pgDumpCommand, pgRestoreCommand, pgVersionCommand } from "./postgres.js";

const deps: SourceDeps = {
  log: createLogger("silent"),
  docker: () => {
    throw new Error("source drivers for databases never use Docker");
  },
  helperImage: undefined,
};
const driver = createPostgresDriver(deps);
const signal = () => new AbortController().signal;

let tmp: string;
const databases: PgDatabase[] = [];
async function freshDb(prefix: string): Promise<PgDatabase> {
  const db = await createPgDatabase(prefix);
  databases.push(db);
  return db;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "tb-pg-test-"));
});
afterAll(async () => {
  for (const db of databases) await db.drop();
  await rm(tmp, { recursive: true, force: true });
});

const SEED = `
CREATE TABLE items (
  id serial PRIMARY KEY, txt text, bin bytea, doc jsonb, amount numeric(30,10), ts timestamptz, note text
);
CREATE INDEX items_doc ON items USING gin (doc);
CREATE VIEW item_texts AS SELECT id, txt FROM items WHERE txt IS NOT NULL;
INSERT INTO items (txt, bin, doc, amount, ts, note) VALUES
  ('Привет, 世界 🎉',
   (SELECT decode(string_agg(lpad(to_hex(i), 2, '0'), '' ORDER BY i), 'hex') FROM generate_series(0, 255) i),
   '{"a": [1, 2.5, "ü"], "b": null, "c": {"d": true}}',
   12345678901234567890.0123456789,
   '2024-02-29 23:59:59.123456+05:30',
   E'tab\\there\\nnewline \\\\ backslash'),
  (NULL, NULL, NULL, NULL, NULL, NULL),
  ('', '\\x', '[]', -0.0000000001, '1970-01-01 00:00:00+00', '');
`;

const CANONICAL = `
SELECT id, txt, encode(bin, 'hex'), doc::text, amount::text,
       to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), note
  FROM items ORDER BY id;
SELECT * FROM item_texts ORDER BY id;
SELECT last_value FROM items_id_seq;
SELECT indexname FROM pg_indexes WHERE tablename = 'items' ORDER BY 1;
`;

async function dumpToFile(config: PgSourceConfig, format: DumpFormat): Promise<{ file: string; dump: Dump }> {
  const file = join(tmp, `${config.database}.${driver.extension(format)}`);
  const dump = await driver.dump(config, { format, signal: signal() });
  await pipeline(dump.stream, createWriteStream(file));
  await dump.done;
  return { file, dump };
}

/** pids of this process's children whose command name is `comm`, from /proc. */
async function childPids(comm: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
    if (m && m[1] === comm && Number(m[2]) === process.pid) pids.push(Number(entry));
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    return err as SourceError;
  }
  throw new Error("expected a rejection");
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

describe("postgres driver: round trip", () => {
  it("reports the server version", async () => {
    const db = await freshDb("check");
    const check = await driver.check(db.config);
    expect(check.serverVersion).toMatch(/^PostgreSQL \d+\.\d+$/);
    const version = await db.query("SHOW server_version");
    expect(version.startsWith(check.serverVersion!.replace("PostgreSQL ", ""))).toBe(true);
  });

  it.each(["sql", "custom"] as const)("dumps (%s) and restores into a fresh database with identical content", async (format) => {
    const src = await freshDb("src");
    const dst = await freshDb("dst");
    await src.query(SEED);

    const { file, dump } = await dumpToFile(src.config, format);
    expect(dump.serverVersion).toMatch(/^PostgreSQL /);
    const head = await readFile(file);
    if (format === "sql") {
      const text = head.toString("utf8");
      expect(text).toContain("Привет, 世界 🎉");
      expect(text).not.toMatch(/OWNER TO|^GRANT /m);
    } else {
      expect(head.subarray(0, 5).toString("latin1")).toBe("PGDMP");
    }

    await driver.restore(dst.config, createReadStream(file), { format, signal: signal() });

    const expected = await src.query(CANONICAL);
    expect(expected).toContain("Привет, 世界 🎉");
    expect(expected).toContain(Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0")).join(""));
    expect(await dst.query(CANONICAL)).toBe(expected);
  });

  it("uses extensions sql and dump and refuses other formats", async () => {
    expect(driver.formats).toEqual(["sql", "custom"]);
    expect(driver.extension("sql")).toBe("sql");
    expect(driver.extension("custom")).toBe("dump");
    expect(() => driver.extension("tar")).toThrow(SourceError);
    const db = await freshDb("fmt");
    await expect(driver.dump(db.config, { format: "tar", signal: signal() })).rejects.toThrow(/not tar/);
  });
});

describe("postgres driver: errors the user reads", () => {
  it("names an unreachable host and port, before any stream exists", async () => {
    const config: PgSourceConfig = { kind: "postgres", host: "127.0.0.1", port: 1, user: "postgres", password: "", database: "x" };
    const err = await rejection(driver.check(config));
    expect(err.message).toBe("cannot connect to 127.0.0.1:1: connection refused");
    expect(err.kind).toBe("postgres");
    const dumpErr = await rejection(driver.dump(config, { format: "sql", signal: signal() }));
    expect(dumpErr.message).toBe("cannot connect to 127.0.0.1:1: connection refused");
  });

  it("names a missing database", async () => {
    const config: PgSourceConfig = {
      kind: "postgres", host: "127.0.0.1", port: 5432, user: "postgres", password: "", database: "tb_no_such_db",
    };
    const err = await rejection(driver.dump(config, { format: "sql", signal: signal() }));
    expect(err.message).toBe('PostgreSQL at 127.0.0.1:5432: database "tb_no_such_db" does not exist');
  });

  // The test server trusts every connection from 127.0.0.1 (pg_hba `trust`), so a wrong
  // password is accepted and cannot be provoked here. What we can prove: the password is
  // handed over in PGPASSWORD only, never in argv (readable by anyone through `ps`), and
  // never in an error text; and libpq's own wording is turned into a readable line.
  it("passes the password through PGPASSWORD only, never in argv or error messages", async () => {
    const password = "s3cret-Pa55word";
    const client = requireAnyPgClient(await findPgClients());
    const config: PgSourceConfig = {
      kind: "postgres", host: "127.0.0.1", port: 5432, user: "postgres", password, database: "tb_no_such_db",
    };
    for (const cmd of [
      pgDumpCommand(client, config, "sql"),
      pgDumpCommand(client, config, "custom"),
      pgRestoreCommand(client, config, "sql"),
      pgRestoreCommand(client, config, "custom"),
      pgVersionCommand(client, config),
    ]) {
      expect(cmd.args.join(" ")).not.toContain(password);
      expect(cmd.env.PGPASSWORD).toBe(password);
      expect(cmd.env.PGCONNECT_TIMEOUT).toBe("10");
      expect(cmd.args).toContain("--no-password");
    }
    const err = await rejection(driver.dump(config, { format: "sql", signal: signal() }));
    expect(err.message).not.toContain(password);
  });

  it("a table another session holds locked fails the dump after lock_wait_timeout, naming the table and what to do, instead of hanging", async () => {
    const db = await freshDb("locked");
    await db.query("CREATE TABLE calm (id int); CREATE TABLE busy (id int); INSERT INTO busy VALUES (1);");
    // An open transaction holding the table, as an ALTER TABLE or a forgotten session would.
    const holder = spawn("psql", ["-X", "-q", "-h", PG_ADMIN.host, "-p", String(PG_ADMIN.port), "-U", PG_ADMIN.user, "-d", db.name, "-f", "-"], { stdio: ["pipe", "ignore", "ignore"] });
    const holderExited = new Promise((resolve) => holder.once("exit", resolve));
    holder.stdin.write("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE;\n");
    try {
      const locked = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'busy' AND l.mode = 'AccessExclusiveLock' AND l.granted";
      await waitFor("the other session's lock", async () => (await db.query(locked)) === "1", 10_000);
      const t0 = Date.now();
      const err = await rejection(dumpToFile({ ...db.config, lockWaitTimeout: 1 }, "sql"));
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(err.message).toBe(
        "PostgreSQL at 127.0.0.1:5432: public.busy stayed locked by another session for longer than `lock_wait_timeout` (1 s); the dump did not start. Find the session in `pg_stat_activity`, or raise `lock_wait_timeout`",
      );
      expect(err.key).toBe("source-error-pg-lock-timeout");
      expect(await childPids("pg_dump")).toEqual([]);
    } finally {
      holder.stdin.end("ROLLBACK;\n");
      await holderExited;
    }
    // The default waits a quarter of an hour: pg_dump is told so.
    const client = requireAnyPgClient(await findPgClients());
    expect(pgDumpCommand(client, db.config, "sql").args).toContain("--lock-wait-timeout=900000");
  });

  it("explains libpq's failures in one line", () => {
    const at = { host: "db", port: 5432 };
    expect(
      explainPgError('pg_dump: error: connection to server at "db" (10.0.0.2), port 5432 failed: FATAL:  password authentication failed for user "app"\n', at),
    ).toBe('PostgreSQL at db:5432: password authentication failed for user "app"');
    expect(explainPgError('psql: error: could not translate host name "db" to address: Name or service not known', at)).toBe(
      "cannot connect to db:5432: unknown host name",
    );
    expect(explainPgError("psql: error: connection to server at \"db\", port 5432 failed: timeout expired", at)).toBe(
      "cannot connect to db:5432: connection timed out",
    );
    expect(explainPgError("psql: error: fe_sendauth: no password supplied", at)).toBe(
      "PostgreSQL at db:5432 asks for a password and none is configured",
    );
    expect(explainPgError("pg_dump: error: query failed: ERROR:  permission denied for table x", at)).toBeUndefined();
    const twoAddresses =
      'psql: error: connection to server at "db" (::1), port 5432 failed: Connection refused\n' +
      'connection to server at "db" (127.0.0.1), port 5432 failed: FATAL:  role "app" does not exist\n';
    expect(explainPgError(twoAddresses, at)).toBe('PostgreSQL at db:5432: role "app" does not exist');
  });

  it("refuses a server newer than every installed pg_dump, naming the package to install", async () => {
    // A fake client tree: only "13", whose psql is the real one (so the version query runs)
    // and whose pg_dump must never be started.
    const real = requireAnyPgClient(await findPgClients());
    const base = join(tmp, "fake-clients");
    const bin = join(base, "13", "bin");
    await mkdir(bin, { recursive: true });
    await symlink(real.psql, join(bin, "psql"));
    const marker = join(tmp, "fake-pg-dump-ran");
    await writeFile(join(bin, "pg_dump"), `#!/bin/sh\ntouch ${marker}\nexit 1\n`);
    await chmod(join(bin, "pg_dump"), 0o755);
    const db = await freshDb("old");
    const serverMajor = Number(await db.query("SHOW server_version_num")) / 10000;
    const oldDriver = createPostgresDriver(deps, { clientBaseDir: base });

    const err = await rejection(oldDriver.dump(db.config, { format: "sql", signal: signal() }));

    expect(err.message).toBe(
      `PostgreSQL server is ${Math.floor(serverMajor)} but the newest pg_dump installed is 13: install postgresql-client-${Math.floor(serverMajor)}`,
    );
    await expect(readFile(marker)).rejects.toThrow();
  });

  it("asks the server's version once for a restore right after its target check; a failed probe is not kept", async () => {
    // A client tree whose psql logs what it is asked, then runs the real one.
    const real = requireAnyPgClient(await findPgClients());
    const base = join(tmp, "logging-clients");
    const bin = join(base, String(real.major), "bin");
    const calls = join(tmp, "psql-calls");
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, "psql"), `#!/bin/sh\nfor a in "$@"; do case "$a" in "SHOW server_version_num") echo version >> ${calls};; esac; done\nexec ${real.psql} "$@"\n`);
    await chmod(join(bin, "psql"), 0o755);
    await symlink(real.pgDump, join(bin, "pg_dump")); // what makes the folder a client
    const logging = createPostgresDriver(deps, { clientBaseDir: base });
    const versionQueries = async () => (await readFile(calls, "utf8").catch(() => "")).split("\n").filter(Boolean).length;

    const name = `tb_probed_${process.pid}_${Date.now().toString(36)}`;
    const target = { kind: "postgres" as const, host: PG_ADMIN.host, port: PG_ADMIN.port, user: PG_ADMIN.user, password: "", database: name };
    await expect(logging.checkRestoreTarget!(target, { mode: "replace" })).rejects.toThrow(/does not exist/);
    expect(await versionQueries()).toBe(1);
    await pgQuery("postgres", `CREATE DATABASE "${name}"`);
    try {
      expect(await logging.checkRestoreTarget!(target, { mode: "replace" })).toEqual({ empty: true });
      await logging.restore(target, Readable.from(["CREATE TABLE probed_once (x int);\n"]), { format: "sql", signal: signal() });
      expect(await pgQuery(name, "SELECT to_regclass('probed_once') IS NOT NULL")).toBe("t");
    } finally {
      await pgQuery("postgres", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    expect(await versionQueries()).toBe(2); // the failed probe, then one for the check and the load
  });

  it("rolls a failing plain restore back and names the failing statement", async () => {
    const dst = await freshDb("badsql");
    const sql = "CREATE TABLE kept_if_broken (x int);\nINSERT INTO kept_if_broken VALUES (1);\nSELECT no_such_function();\n";
    const err = await rejection(driver.restore(dst.config, Readable.from([sql]), { format: "sql", signal: signal() }));
    expect(err.message).toMatch(/^psql exited with code 3: .*no_such_function\(\) does not exist/);
    expect(await dst.query("SELECT to_regclass('kept_if_broken') IS NULL")).toBe("t");
  });

  it("kills the restore before its stdin closes when the input fails, so nothing is committed", async () => {
    const dst = await freshDb("badinput");
    async function* failingInput() {
      yield "CREATE TABLE half_restored (x int);\n";
      yield "INSERT INTO half_restored VALUES (1);\n";
      await new Promise((r) => setTimeout(r, 200));
      throw new Error("decryption failed");
    }
    const err = await rejection(driver.restore(dst.config, Readable.from(failingInput()), { format: "sql", signal: signal() }));
    expect(err.message).toBe("the restore input failed: decryption failed");
    expect(await dst.query("SELECT to_regclass('half_restored') IS NULL")).toBe("t");
  });
});

describe("postgres driver: an aborted restore", () => {
  it("kills psql when the signal aborts mid-input, so nothing is committed", async () => {
    const dst = await freshDb("abortrestore");
    const ac = new AbortController();
    async function* endlessInput() {
      yield "CREATE TABLE never_committed (x int);\n";
      await new Promise(() => {}); // the rest never comes
    }
    setTimeout(() => ac.abort(), 300);
    const err = await rejection(driver.restore(dst.config, Readable.from(endlessInput()), { format: "sql", signal: ac.signal }));
    expect(err.message).toBe("psql was stopped: the restore was aborted");
    expect(await dst.query("SELECT to_regclass('never_committed') IS NULL")).toBe("t");
    expect(await childPids("psql")).toEqual([]);
  });
});

describe("postgres driver: a restore tool that quits while its input idles", () => {
  it("reports psql's failure without waiting for more input", async () => {
    const dst = await freshDb("idleinput");
    async function* stalledInput() {
      yield "SELECT no_such_function();\n";
      await new Promise(() => {}); // the upstream stalls
    }
    const err = await rejection(driver.restore(dst.config, Readable.from(stalledInput()), { format: "sql", signal: signal() }));
    expect(err.message).toMatch(/^psql exited with code 3: .*no_such_function\(\) does not exist/);
  });
});

describe("postgres driver: a dump that dies halfway", () => {
  let big: PgDatabase;
  beforeAll(async () => {
    big = await freshDb("big");
    // ~15 MB of dump: far more than the pipe and stream buffers, so pg_dump is still
    // running (blocked on its stdout) when the test kills it.
    await big.query("CREATE TABLE filler AS SELECT g AS id, repeat(md5(g::text), 1) AS a, repeat('x', 200) AS b FROM generate_series(1, 60000) g;");
  });

  async function startAndReadFirstChunk(config: PgSourceConfig, ac = new AbortController()) {
    const dump = await driver.dump(config, { format: "sql", signal: ac.signal });
    await new Promise((resolve, reject) => {
      dump.stream.once("data", resolve);
      dump.done.catch(reject);
    });
    dump.stream.pause();
    const [pid] = await childPids("pg_dump");
    expect(pid).toBeDefined();
    return { dump, pid: pid!, ac };
  }

  it("rejects done with the kill when pg_dump is SIGKILLed, and the consumer's pipeline fails too", async () => {
    const password = "ps-visible-secret";
    const { dump, pid } = await startAndReadFirstChunk({ ...big.config, password });
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    expect(cmdline).toContain("pg_dump");
    expect(cmdline).not.toContain(password);

    process.kill(pid, "SIGKILL");
    const piped = await rejection(pipeline(dump.stream, discard()));
    const err = await rejection(dump.done);

    expect(err.message).toMatch(/^pg_dump was killed by SIGKILL/);
    expect(piped.message).toBe(err.message);
    expect(isAlive(pid)).toBe(false);
  });

  it("kills pg_dump when the signal aborts", async () => {
    const { dump, pid, ac } = await startAndReadFirstChunk(big.config);
    ac.abort();
    const err = await rejection(dump.done);
    expect(err.message).toBe("pg_dump was stopped: the backup was aborted");
    expect(isAlive(pid)).toBe(false);
    expect(await childPids("pg_dump")).toEqual([]);
  });

  it("kills pg_dump when the consumer destroys the stream", async () => {
    const { dump, pid } = await startAndReadFirstChunk(big.config);
    dump.stream.destroy();
    const err = await rejection(dump.done);
    expect(err.message).toBe("pg_dump was stopped: the dump stream was closed before its end");
    expect(isAlive(pid)).toBe(false);
  });
});

describe("postgres driver: restores are all or nothing and run SQL only", () => {
  it("refuses a plain payload with \\! touch <file>: nothing runs, nothing is restored, the user reads why", async () => {
    const dst = await freshDb("meta");
    const marker = join(tmp, "pwned-by-restore");
    const planted = `CREATE TABLE planted (x int);\n\\! touch ${marker}\nINSERT INTO planted VALUES (1);\n`;
    const err = await rejection(driver.restore(dst.config, Readable.from([planted]), { format: "sql", signal: signal() }));
    expect(err.message).toBe('the backup contains the psql meta-command "\\!" on line 2; a restore runs SQL only; nothing was restored');
    await expect(readFile(marker)).rejects.toThrow();
    expect(await dst.query("SELECT to_regclass('planted') IS NULL")).toBe("t");
  });

  it("refuses \\o in the middle of a line and a transaction command that would commit part of the payload", async () => {
    const dst = await freshDb("meta2");
    const viaO = await rejection(driver.restore(dst.config, Readable.from(["CREATE TABLE a (x int); \\o /tmp/x\n"]), { format: "sql", signal: signal() }));
    expect(viaO.message).toBe('the backup contains the psql meta-command "\\o" on line 1; a restore runs SQL only; nothing was restored');
    const viaCommit = await rejection(driver.restore(dst.config, Readable.from(["CREATE TABLE b (x int);\nend;\nCREATE TABLE c (x int);\n"]), { format: "sql", signal: signal() }));
    expect(viaCommit.message).toBe('the backup contains the transaction command "END" on line 2, which would commit part of it; nothing was restored');
    expect(await dst.query("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).toBe("0");
  });

  it.each(["sql", "custom"] as const)("replaces a non-empty database (%s) with a dump holding large objects, BEGIN ATOMIC bodies and pg_dump's own \\restrict lines", async (format) => {
    const src = await freshDb(`repsrc_${format}`);
    await src.query(`${SEED}
      SELECT lo_from_bytea(0, 'large object');
      CREATE FUNCTION two() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;
      CREATE SCHEMA other; CREATE TABLE other.t (x text); INSERT INTO other.t VALUES ('a;b'), (E'\\\\. not an end');`);
    const dst = await freshDb(`repdst_${format}`);
    await dst.query("CREATE TABLE items (id int); INSERT INTO items VALUES (42); CREATE TABLE old_only (x int); CREATE SCHEMA old_schema;");
    const file = join(tmp, `replace.${format}`);
    const dump = await driver.dump(src.config, { format, signal: signal() });
    await pipeline(dump.stream, createWriteStream(file));
    await dump.done;
    if (format === "sql") expect(await readFile(file, "utf8")).toMatch(/^\\restrict \w+$/m);

    expect(await driver.checkRestoreTarget!(dst.config, { mode: "replace" })).toEqual({ empty: false });
    await driver.restore(dst.config, createReadStream(file), { format, signal: signal() });

    expect(await dst.query(CANONICAL)).toBe(await src.query(CANONICAL));
    expect(await dst.query("SELECT string_agg(x, ',' ORDER BY x) FROM other.t")).toBe("\\. not an end,a;b");
    expect(await dst.query("SELECT public.two()")).toBe("2");
    expect(await dst.query("SELECT convert_from(lo_get(oid), 'UTF8') FROM pg_largeobject_metadata")).toBe("large object");
    expect(await dst.query("SELECT to_regclass('public.old_only') IS NULL, to_regnamespace('old_schema') IS NULL")).toBe("t|t");
  });

  it("creates a new database only when the whole payload loaded; a failing load leaves no database behind", async () => {
    const src = await freshDb("newsrc");
    await src.query(SEED);
    const file = join(tmp, "new.sql");
    const dump = await driver.dump(src.config, { format: "sql", signal: signal() });
    await pipeline(dump.stream, createWriteStream(file));
    await dump.done;
    const name = `${src.name}_new`;
    databases.push({ name, drop: async () => void (await pgQuery("postgres", `DROP DATABASE IF EXISTS "${name}"`)) } as PgDatabase);
    const into = { mode: "new" as const, from: src.name };
    await driver.restore({ ...src.config, database: name }, createReadStream(file), { format: "sql", signal: signal(), into });
    expect(await pgQuery(name, CANONICAL)).toBe(await src.query(CANONICAL));
    const taken = await rejection(driver.checkRestoreTarget!({ ...src.config, database: name }, into));
    expect(taken.message).toBe(`database "${name}" already exists on 127.0.0.1:5432; choose another name for the new database`);
    await pgQuery("postgres", `DROP DATABASE "${name}"`);

    const broken = await rejection(driver.restore({ ...src.config, database: name }, Readable.from(["CREATE TABLE t (x int);\nSELECT no_such_function();\n"]), { format: "sql", signal: signal(), into }));
    expect(broken.message).toMatch(/^psql exited with code 3: .*no_such_function\(\) does not exist/);
    expect(await pgQuery("postgres", `SELECT count(*) FROM pg_database WHERE datname LIKE '${src.name.slice(0, 30)}%' AND datname <> '${src.name}'`)).toBe("0");
  });
});
