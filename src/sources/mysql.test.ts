import { spawn } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { createMysqlDatabase, createMysqlUser, MYSQL_ADMIN, mysqlQuery, type MysqlDatabase, type MysqlSourceConfig } from "../../test/helpers/mysql.js";
import { waitFor } from "../../test/helpers/wait.js";
import { runWithStdin } from "../../test/helpers/pg.js";
import { createMysqlDriver, describeMysqlVersion, explainMysqlError, mysqlDumpCommand, mysqlRestoreCommand, mysqlStallLimit, mysqlVersionCommand } from "./mysql.js";
import { swapLockWait } from "./mysql-swap.js";
import { SourceError, type Dump, type SourceDeps } from "./port.js";

const deps: SourceDeps = {
  log: createLogger("silent"),
  docker: () => {
    throw new Error("source drivers for databases never use Docker");
  },
  helperImage: undefined,
};
const driver = createMysqlDriver(deps);
const signal = () => new AbortController().signal;

let tmp: string;
const cleanups: Array<() => Promise<void>> = [];
async function freshDb(prefix: string): Promise<MysqlDatabase> {
  const db = await createMysqlDatabase(prefix);
  cleanups.push(db.drop);
  return db;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "tb-mysql-test-"));
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await rm(tmp, { recursive: true, force: true });
});

const ALL_BYTES_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0")).join("").toUpperCase();

const SEED = `
CREATE TABLE items (
  id INT AUTO_INCREMENT PRIMARY KEY, txt TEXT, bin BLOB, doc JSON, amount DECIMAL(30,10), ts DATETIME(6), note VARCHAR(100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO items (txt, bin, doc, amount, ts, note) VALUES
  ('Привет, 世界 🎉', UNHEX('${ALL_BYTES_HEX}'), '{"a": [1, 2.5, "ü"], "b": null, "c": {"d": true}}',
   12345678901234567890.0123456789, '2024-02-29 23:59:59.123456', 'tab\\there\\nnewline \\\\ backslash'),
  (NULL, NULL, NULL, NULL, NULL, NULL),
  ('', '', '[]', -0.0000000001, '1970-01-01 00:00:01.000000', '');
CREATE VIEW item_texts AS SELECT id, txt FROM items WHERE txt IS NOT NULL;
CREATE PROCEDURE count_items() SELECT COUNT(*) FROM items;
CREATE TRIGGER items_default_note BEFORE INSERT ON items FOR EACH ROW SET NEW.note = COALESCE(NEW.note, 'from trigger');
CREATE EVENT nightly_noop ON SCHEDULE EVERY 1 DAY DISABLE DO SET @noop = 1;
`;

/** Tables only (with a foreign key): what a restore can swap in atomically. */
const TABLES_SEED = `
CREATE TABLE items (
  id INT AUTO_INCREMENT PRIMARY KEY, txt TEXT, bin BLOB, doc JSON, amount DECIMAL(30,10), ts DATETIME(6), note VARCHAR(100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE tags (id INT PRIMARY KEY, item_id INT NOT NULL, tag VARCHAR(20), FOREIGN KEY (item_id) REFERENCES items (id)) ENGINE=InnoDB;
INSERT INTO items (txt, bin, doc, amount, ts, note) VALUES
  ('Привет, 世界 🎉', UNHEX('${ALL_BYTES_HEX}'), '{"a": [1, 2.5, "ü"], "b": null, "c": {"d": true}}',
   12345678901234567890.0123456789, '2024-02-29 23:59:59.123456', 'tab\\there\\nnewline \\\\ backslash'),
  (NULL, NULL, NULL, NULL, NULL, NULL),
  ('', '', '[]', -0.0000000001, '1970-01-01 00:00:01.000000', '');
INSERT INTO tags VALUES (1, 1, 'a'), (2, 3, 'b');
`;
const TABLES_CANONICAL = `
SELECT id, txt, HEX(bin), doc, amount, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), note FROM items ORDER BY id;
SELECT * FROM tags ORDER BY id;
SELECT CONSTRAINT_NAME, REFERENCED_TABLE_SCHEMA = DATABASE(), REFERENCED_TABLE_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL;
SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items';
`;

/** Scratch/trash databases a restore into `db` made and left. */
async function scratchDatabases(db: string): Promise<string> {
  return mysqlQuery(undefined, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${db.slice(0, 30)}\\_\\_tb\\_%'`);
}

const CANONICAL = `
SELECT id, txt, HEX(bin), doc, amount, DATE_FORMAT(ts, '%Y-%m-%d %H:%i:%s.%f'), note FROM items ORDER BY id;
SELECT * FROM item_texts ORDER BY id;
SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 1;
SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1;
SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY 1;
SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items';
`;

async function dumpToFile(config: MysqlSourceConfig): Promise<{ file: string; dump: Dump }> {
  const file = join(tmp, `${config.database}.${driver.extension("sql")}`);
  const dump = await driver.dump(config, { format: "sql", signal: signal() });
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

/** Runs SQL in `database` as the user of `config`. */
function runAs(config: MysqlSourceConfig, database: string, sql: string): Promise<string> {
  return runWithStdin(
    "mariadb",
    ["--no-defaults", `--host=${config.host}`, `--port=${config.port}`, `--user=${config.user}`, "--batch", "--skip-column-names", `--database=${database}`],
    sql,
    { ...process.env, MYSQL_PWD: config.password },
  );
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

describe("mysql driver: round trip", () => {
  it("reports the server version", async () => {
    const db = await freshDb("check");
    const check = await driver.check(db.config);
    expect(check.serverVersion).toMatch(/^(MariaDB|MySQL) \d+\.\d+\.\d+$/);
    const version = await db.query("SELECT VERSION()");
    expect(check.serverVersion).toBe(describeMysqlVersion(version));
  });

  it("dumps and restores into an empty database with identical data and foreign keys", async () => {
    const src = await freshDb("src");
    const dst = await freshDb("dst");
    await src.query(TABLES_SEED);

    const { file, dump } = await dumpToFile(src.config);
    expect(dump.serverVersion).toMatch(/^(MariaDB|MySQL) /);
    const text = await readFile(file, "utf8");
    expect(text).toContain("Привет, 世界 🎉");
    expect(text).toContain(`0x${ALL_BYTES_HEX}`); // --hex-blob
    expect(text).not.toMatch(/^CREATE DATABASE|^USE /m); // loads into any database name

    expect(await driver.checkRestoreTarget!(dst.config, { mode: "replace" })).toEqual({ empty: true });
    await driver.restore(dst.config, createReadStream(file), { format: "sql", signal: signal() });

    const expected = await src.query(TABLES_CANONICAL);
    expect(expected).toContain("Привет, 世界 🎉");
    expect(expected).toContain(ALL_BYTES_HEX);
    expect(await dst.query(TABLES_CANONICAL)).toBe(expected);
    expect(await scratchDatabases(dst.name)).toBe("");
  });

  it("restores into a new database that appears only with the whole backup in it", async () => {
    const src = await freshDb("srcnew");
    await src.query(TABLES_SEED);
    const { file } = await dumpToFile(src.config);
    const name = `${src.name}_new`;
    cleanups.push(() => mysqlQuery(undefined, `DROP DATABASE IF EXISTS \`${name}\``).then(() => {}));
    await driver.restore({ ...src.config, database: name }, createReadStream(file), { format: "sql", signal: signal(), into: { mode: "new", from: src.name } });
    expect(await mysqlQuery(name, TABLES_CANONICAL)).toBe(await src.query(TABLES_CANONICAL));
    const err = await rejection(driver.checkRestoreTarget!({ ...src.config, database: name }, { mode: "new", from: src.name }));
    expect(err.message).toBe(`database "${name}" already exists on 127.0.0.1:3306; choose another name for the new database`);
    expect(await scratchDatabases(src.name)).toBe("");
  });

  it("refuses to replace with a backup holding views, routines, triggers or events after loading it aside: the target keeps its data", async () => {
    const src = await freshDb("srcobj");
    const dst = await freshDb("dstobj");
    await src.query(SEED);
    await dst.query("CREATE TABLE kept (x INT); INSERT INTO kept VALUES (42);");
    const { file } = await dumpToFile(src.config);
    const err = await rejection(driver.restore(dst.config, createReadStream(file), { format: "sql", signal: signal() }));
    expect(err.message).toBe(
      "the backup holds objects that cannot be swapped in atomically (view item_texts, trigger items_default_note, procedure count_items, event nightly_noop); nothing was changed. Restore it into a new database instead",
    );
    expect(await dst.query("SELECT x FROM kept")).toBe("42");
    expect(await scratchDatabases(dst.name)).toBe("");
  });

  it("restores a backup with views, triggers, routines and events into a new database, equal to the source and unmarked", async () => {
    const src = await freshDb("srcobjnew");
    await src.query(SEED + "CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;");
    const { file } = await dumpToFile(src.config);
    const name = `${src.name}_new`;
    cleanups.push(() => mysqlQuery(undefined, `DROP DATABASE IF EXISTS \`${name}\``).then(() => {}));
    await driver.restore({ ...src.config, database: name }, createReadStream(file), { format: "sql", signal: signal(), into: { mode: "new", from: src.name } });
    const expected = await src.query(CANONICAL);
    expect(expected).toContain("items_default_note");
    expect(await mysqlQuery(name, CANONICAL)).toBe(expected);
    expect(await mysqlQuery(name, "SHOW TABLES")).toBe("item_texts\nitems"); // no marker left
    // the objects work in their new home
    await mysqlQuery(name, "INSERT INTO items (txt) VALUES ('new row')");
    expect(await mysqlQuery(name, "SELECT note FROM items WHERE txt = 'new row'")).toBe("from trigger");
    expect(await mysqlQuery(name, "SELECT twice(21)")).toBe("42");
    expect(await mysqlQuery(name, "CALL count_items()")).toBe("4");
    expect(await mysqlQuery(name, "SELECT COUNT(*) FROM item_texts")).toBe("3");
    expect(await scratchDatabases(name)).toBe("");
  });

  it("drops the new database and says why when the copy into it fails (no right to create routines there)", async () => {
    const src = await freshDb("srcdeny");
    const name = `${src.name}_new`;
    const user = await createMysqlUser(src.name);
    cleanups.push(user.drop);
    const like = (db: string) => db.replace(/_/g, "\\_");
    // Everything on the scratch databases; on the new one everything but CREATE ROUTINE.
    await mysqlQuery(
      undefined,
      `GRANT ALL PRIVILEGES ON \`${like(name)}\\_\\_tb\\_%\`.* TO '${user.user}'@'%';
       GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, LOCK TABLES, CREATE VIEW, SHOW VIEW, TRIGGER, EVENT ON \`${like(name)}\`.* TO '${user.user}'@'%';`,
    );
    const asUser = { ...src.config, user: user.user, password: user.password };
    // The objects belong to the user (their DEFINER), as they would on a real server.
    await mysqlQuery(undefined, `GRANT ALL PRIVILEGES ON \`${src.name}\`.* TO '${user.user}'@'%'`);
    await runAs(asUser, src.name, "CREATE TABLE t (x INT); INSERT INTO t VALUES (1); CREATE VIEW v AS SELECT x FROM t; CREATE FUNCTION f() RETURNS INT DETERMINISTIC RETURN 1;");
    const { file } = await dumpToFile(asUser);
    cleanups.push(() => mysqlQuery(undefined, `DROP DATABASE IF EXISTS \`${name}\``).then(() => {}));
    const err = await rejection(driver.restore({ ...asUser, database: name }, createReadStream(file), { format: "sql", signal: signal(), into: { mode: "new", from: src.name } }));
    expect(err.message).toMatch(
      new RegExp(
        `^copying the backup into the new database "${name}" failed: mariadb exited with code 1: .*ERROR 1370 \\(42000\\) at line \\d+: alter routine command denied to user '${user.user}'@'%' for routine '${name}\\.f'; the new database "${name}" was dropped; nothing was restored$`,
      ),
    );
    expect(await mysqlQuery(undefined, `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`)).toBe("0");
    expect(await scratchDatabases(name)).toBe("");
  });

  it("a later restore drops a new database left marked incomplete once stale, not a fresh one nor one in use", async () => {
    const stale = await freshDb("markstale");
    const fresh = await freshDb("markfresh");
    const busy = await freshDb("markbusy");
    const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
    const old = stamp(new Date(Date.now() - 11 * 60_000));
    await stale.query(`CREATE TABLE items (x INT); CREATE TABLE __tb_restore_incomplete_${old} (started_at DATETIME);`);
    await fresh.query(`CREATE TABLE __tb_restore_incomplete_${stamp(new Date(Date.now() - 60_000))} (started_at DATETIME);`);
    await busy.query(`CREATE TABLE __tb_restore_incomplete_${old} (started_at DATETIME);`);
    // a connection using `busy` for the whole restore below
    // (ended by KILL QUERY below, which makes the client fail: that failure is expected)
    const holder = mysqlQuery(busy.name, "SELECT SLEEP(20)").catch(() => "");
    await waitUntil(async () => (await mysqlQuery(undefined, `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '${busy.name}'`)) !== "0");
    const dst = await freshDb("markdst");
    await driver.restore(dst.config, Readable.from(["CREATE TABLE y (x INT);\n"]), { format: "sql", signal: signal() });
    const left = async (db: string) => mysqlQuery(undefined, `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`);
    expect(await left(stale.name)).toBe("0");
    expect(await left(fresh.name)).toBe("1");
    expect(await left(busy.name)).toBe("1");
    for (const id of (await mysqlQuery(undefined, `SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '${busy.name}'`)).split("\n").filter(Boolean)) {
      await mysqlQuery(undefined, `KILL QUERY ${id}`);
    }
    await holder;
  });

  it("refuses a backup holding an incomplete-restore marker, so a later sweep cannot take its target", async () => {
    const src = await freshDb("srcmark");
    await src.query("CREATE TABLE t (x INT); CREATE TABLE __tb_restore_incomplete_20200101000000 (started_at DATETIME);");
    const { file } = await dumpToFile(src.config);
    const name = `${src.name}_new`;
    cleanups.push(() => mysqlQuery(undefined, `DROP DATABASE IF EXISTS \`${name}\``).then(() => {}));
    const err = await rejection(driver.restore({ ...src.config, database: name }, createReadStream(file), { format: "sql", signal: signal(), into: { mode: "new", from: src.name } }));
    expect(err.message).toBe(
      "the backup holds the table __tb_restore_incomplete_20200101000000, which marks a database that tele-backup had not finished restoring; it is a copy of an incomplete database, nothing was changed",
    );
    expect(await mysqlQuery(undefined, `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name}'`)).toBe("0");
  });

  it("refuses up front to replace a database holding a view or trigger, naming them", async () => {
    const dst = await freshDb("dstview");
    await dst.query("CREATE TABLE t (x INT); CREATE VIEW v AS SELECT x FROM t; CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.x = NEW.x;");
    const err = await rejection(driver.checkRestoreTarget!(dst.config, { mode: "replace" }));
    expect(err.message).toBe(
      `database "${dst.name}" holds objects that cannot be replaced in one atomic step (view v, trigger trg); restore into a new database instead, or drop them first`,
    );
    const viaRestore = await rejection(driver.restore(dst.config, Readable.from(["CREATE TABLE y (x INT);\n"]), { format: "sql", signal: signal() }));
    expect(viaRestore.message).toBe(err.message);
    expect(await dst.query("SHOW TABLES LIKE 'y'")).toBe("");
  });

  it("has the single format sql", async () => {
    expect(driver.formats).toEqual(["sql"]);
    expect(driver.extension("sql")).toBe("sql");
    expect(() => driver.extension("custom")).toThrow(SourceError);
    const db = await freshDb("fmt");
    await expect(driver.dump(db.config, { format: "custom", signal: signal() })).rejects.toThrow(/not custom/);
  });
});

describe("mysql driver: errors the user reads", () => {
  it("names an unreachable host and port, before any stream exists", async () => {
    const config: MysqlSourceConfig = { kind: "mysql", host: "127.0.0.1", port: 1, user: "root", password: "", database: "x" };
    const err = await rejection(driver.check(config));
    expect(err.message).toBe("cannot connect to 127.0.0.1:1: connection refused");
    expect(err.kind).toBe("mysql");
    const dumpErr = await rejection(driver.dump(config, { format: "sql", signal: signal() }));
    expect(dumpErr.message).toBe("cannot connect to 127.0.0.1:1: connection refused");
  });

  it("names a missing database", async () => {
    const config: MysqlSourceConfig = { kind: "mysql", host: "127.0.0.1", port: 3306, user: "root", password: "", database: "tb_no_such_db" };
    const err = await rejection(driver.dump(config, { format: "sql", signal: signal() }));
    expect(err.message).toBe('MySQL/MariaDB at 127.0.0.1:3306: database "tb_no_such_db" does not exist');
  });

  it("refuses a wrong password without echoing it, and accepts the right one through MYSQL_PWD", async () => {
    const db = await freshDb("auth");
    const user = await createMysqlUser(db.name, "right-Pa55word");
    cleanups.push(user.drop);
    const wrong = "wrong-Pa55word";

    const err = await rejection(driver.dump({ ...db.config, user: user.user, password: wrong }, { format: "sql", signal: signal() }));
    expect(err.message).toBe(`MySQL/MariaDB at 127.0.0.1:3306: access denied for user "${user.user}" (wrong user name or password)`);
    expect(err.message).not.toContain(wrong);

    const ok = await driver.check({ ...db.config, user: user.user, password: user.password });
    expect(ok.serverVersion).toMatch(/^(MariaDB|MySQL) /);
  });

  it("keeps the password out of argv", () => {
    const password = "s3cret-Pa55word";
    const config: MysqlSourceConfig = { kind: "mysql", host: "db", port: 3306, user: "app", password, database: "shop" };
    const tools = { dump: "/usr/bin/mariadb-dump", client: "/usr/bin/mariadb" };
    for (const cmd of [mysqlDumpCommand(tools, config), mysqlRestoreCommand(tools, config), mysqlVersionCommand(tools, config)]) {
      expect(cmd.args.join(" ")).not.toContain(password);
      expect(cmd.args[0]).toBe("--no-defaults");
      expect(cmd.env).toEqual({ MYSQL_PWD: password });
    }
    expect(mysqlDumpCommand(tools, { ...config, password: "" }).env).toEqual({});
  });

  it("explains the client's failures in one line", () => {
    const at = { host: "db", port: 3306 };
    expect(explainMysqlError("ERROR 2005 (HY000): Unknown server host 'db' (-2)", at)).toBe("cannot connect to db:3306: unknown host name");
    expect(explainMysqlError("ERROR 2002 (HY000): Can't connect to MySQL server on 'db' (110)", at)).toBe(
      "cannot connect to db:3306: connection timed out",
    );
    expect(explainMysqlError("ERROR 1045 (28000): Access denied for user 'app'@'10.0.0.3' (using password: NO)", at)).toBe(
      'MySQL/MariaDB at db:3306: access denied for user "app" (a password is required)',
    );
    expect(explainMysqlError('mariadb-dump: Got error: 1049: "Unknown database \'shop\'" when selecting the database', at)).toBe(
      'MySQL/MariaDB at db:3306: database "shop" does not exist',
    );
    expect(explainMysqlError("ERROR 1064 (42000) at line 3: You have an error in your SQL syntax", at)).toBeUndefined();
    expect(describeMysqlVersion("10.11.19-MariaDB-0+deb12u1\n")).toBe("MariaDB 10.11.19");
    expect(describeMysqlVersion("8.0.36")).toBe("MySQL 8.0.36");
  });

  it("stops a restore at the first failing statement and names it", async () => {
    const dst = await freshDb("badsql");
    const sql = "CREATE TABLE before_error (x INT);\nINSERT INTO before_error VALUES (1);\nSELECT no_such_column FROM before_error;\nCREATE TABLE after_error (x INT);\n";
    const err = await rejection(driver.restore(dst.config, Readable.from([sql]), { format: "sql", signal: signal() }));
    expect(err.message).toMatch(/^mariadb exited with code 1: .*line 3.*no_such_column/);
    expect(await dst.query("SHOW TABLES LIKE 'after_error'")).toBe("");
  });
});

describe("mysql driver: a dump that dies halfway", () => {
  let big: MysqlDatabase;
  beforeAll(async () => {
    big = await freshDb("big");
    // ~15 MB of dump: far more than the pipe and stream buffers, so the dump tool is still
    // running (blocked on its stdout) when the test kills it.
    await big.query("CREATE TABLE filler (id INT PRIMARY KEY, a CHAR(32), b VARCHAR(255)); INSERT INTO filler SELECT seq, MD5(seq), REPEAT('x', 200) FROM seq_1_to_60000;");
  });

  async function startAndReadFirstChunk(config: MysqlSourceConfig, ac = new AbortController()) {
    const dump = await driver.dump(config, { format: "sql", signal: ac.signal });
    await new Promise((resolve, reject) => {
      dump.stream.once("data", resolve);
      dump.done.catch(reject);
    });
    dump.stream.pause();
    const [pid] = await childPids("mariadb-dump");
    expect(pid).toBeDefined();
    return { dump, pid: pid!, ac };
  }

  it("rejects done with the kill when the dump tool is SIGKILLed, with the password never in its argv", async () => {
    const user = await createMysqlUser(big.name, "ps-visible-Secret");
    cleanups.push(user.drop);
    const { dump, pid } = await startAndReadFirstChunk({ ...big.config, user: user.user, password: user.password });
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    expect(cmdline).toContain(big.name);
    expect(cmdline).not.toContain(user.password);

    process.kill(pid, "SIGKILL");
    const piped = await rejection(pipeline(dump.stream, discard()));
    const err = await rejection(dump.done);

    expect(err.message).toMatch(/^mariadb-dump was killed by SIGKILL/);
    expect(piped.message).toBe(err.message);
    expect(isAlive(pid)).toBe(false);
  });

  it("kills the dump tool when the signal aborts", async () => {
    const { dump, pid, ac } = await startAndReadFirstChunk(big.config);
    ac.abort();
    const err = await rejection(dump.done);
    expect(err.message).toBe("mariadb-dump was stopped: the backup was aborted");
    expect(isAlive(pid)).toBe(false);
    expect(await childPids("mariadb-dump")).toEqual([]);
  });
});

describe("mysql driver: a table another session keeps locked", () => {
  /** A `mariadb` session of its own, fed statements on stdin; resolves its exit. */
  function session(database: string) {
    const child = spawn("mariadb", ["--no-defaults", "-h", MYSQL_ADMIN.host, "-P", String(MYSQL_ADMIN.port), "-u", MYSQL_ADMIN.user, database], {
      env: { ...process.env, MYSQL_PWD: MYSQL_ADMIN.password },
      stdio: ["pipe", "ignore", "ignore"],
    });
    return { child, exited: new Promise((resolve) => child.once("exit", resolve)) };
  }

  it("a dump that waits for the lock is stopped after lock_wait_timeout of silence, saying why, instead of hanging for a day", async () => {
    const db = await freshDb("locked");
    await db.query("CREATE TABLE calm (id INT); INSERT INTO calm VALUES (1); CREATE TABLE busy (id INT); INSERT INTO busy VALUES (1);");
    // A transaction left open that read `busy`, and an ALTER TABLE queued behind it: every new
    // reader of `busy` (the dump's SELECT) now waits for the ALTER, that is, for the transaction.
    const open = session(db.name);
    open.child.stdin.write("START TRANSACTION; SELECT * FROM busy;\n");
    const alter = session(db.name);
    try {
      await waitFor("the open transaction", async () => (await mysqlQuery(undefined, `SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.DB = '${db.name}'`)) === "1", 10_000);
      alter.child.stdin.end("ALTER TABLE busy ADD COLUMN note INT;\n");
      const waiting = `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '${db.name}' AND STATE = 'Waiting for table metadata lock'`;
      await waitFor("the ALTER TABLE to queue", async () => (await mysqlQuery(undefined, waiting)) === "1", 10_000);

      const t0 = Date.now();
      const err = await rejection(dumpToFile({ ...db.config, lockWaitTimeout: 1 }));
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(err.message).toBe(
        'MySQL/MariaDB at 127.0.0.1:3306: the dump sent nothing for `lock_wait_timeout` (1 s) and was stopped: a table it reads is most likely locked by another session (an ALTER TABLE waiting behind a transaction left open). Look for `Waiting for table metadata lock` in `SHOW PROCESSLIST`, or raise `lock_wait_timeout`',
      );
      expect(err.key).toBe("source-error-mysql-stalled");
      expect(err.params).toEqual({ server: "127.0.0.1:3306", seconds: "1" });
      expect(await childPids("mariadb-dump")).toEqual([]);
    } finally {
      open.child.stdin.end("ROLLBACK;\n");
      await Promise.all([open.exited, alter.exited]);
    }
    // Once the lock is gone the same source dumps as usual; by default it waits a quarter of an hour.
    const { file } = await dumpToFile({ ...db.config, lockWaitTimeout: 1 });
    expect(await readFile(file, "utf8")).toContain("`note` int(11) DEFAULT NULL");
    expect(mysqlStallLimit(db.config).ms).toBe(900_000);
  });

  it("a restore whose target tables another session uses gives up waiting after lock_wait_timeout (at most 30 s) and changes nothing, where the app would stall behind it", async () => {
    const src = await freshDb("swapsrc");
    const dst = await freshDb("swapdst");
    await src.query("CREATE TABLE busy (id INT); INSERT INTO busy VALUES (1), (2);");
    await dst.query("CREATE TABLE busy (id INT); INSERT INTO busy VALUES (42);");
    const { file } = await dumpToFile(src.config);
    const open = session(dst.name);
    open.child.stdin.write("START TRANSACTION; SELECT * FROM busy;\n");
    try {
      await waitFor("the open transaction", async () => (await mysqlQuery(undefined, `SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.DB = '${dst.name}'`)) === "1", 10_000);
      const t0 = Date.now();
      const err = await rejection(driver.restore({ ...dst.config, lockWaitTimeout: 1 }, createReadStream(file), { format: "sql", signal: signal() }));
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(err.message).toBe(
        `the tables of ${dst.name} stayed in use by another session (an open transaction) for 1 s, so the restore did not swap them in; nothing was changed. Stop the application or end that session (\`SHOW PROCESSLIST\`), then restore again`,
      );
      expect(err.key).toBe("source-error-mysql-swap-in-use");
      expect(await dst.query("SELECT id FROM busy")).toBe("42");
      expect(await scratchDatabases(dst.name)).toBe("");
    } finally {
      open.child.stdin.end("ROLLBACK;\n");
      await open.exited;
    }
    await driver.restore({ ...dst.config, lockWaitTimeout: 1 }, createReadStream(file), { format: "sql", signal: signal() });
    expect(await dst.query("SELECT id FROM busy ORDER BY id")).toBe("1\n2");
    expect(swapLockWait(undefined, 900)).toBe(30);
  });

  it("a reader that keeps the dump waiting (a slow upload) is not silence", async () => {
    const db = await freshDb("slowreader");
    // ~6 MB: more than the pipe and stream buffers hold, so the tool waits for the reader.
    await db.query("CREATE TABLE filler (id INT PRIMARY KEY, b VARCHAR(255)); INSERT INTO filler SELECT seq, REPEAT('x', 200) FROM seq_1_to_25000;");
    const dump = await driver.dump({ ...db.config, lockWaitTimeout: 1 }, { format: "sql", signal: signal() });
    let bytes = 0;
    let paused = false;
    await pipeline(
      dump.stream,
      new Writable({
        write(chunk: Buffer, _enc, next) {
          bytes += chunk.length;
          if (paused) return next();
          paused = true;
          setTimeout(next, 2500); // longer than lock_wait_timeout
        },
      }),
    );
    await dump.done;
    expect(bytes).toBeGreaterThan(5_000_000);
  });
});
