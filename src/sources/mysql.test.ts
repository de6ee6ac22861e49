import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { createMysqlDatabase, createMysqlUser, type MysqlDatabase, type MysqlSourceConfig } from "../../test/helpers/mysql.js";
import { createMysqlDriver, describeMysqlVersion, explainMysqlError, mysqlDumpCommand, mysqlRestoreCommand, mysqlVersionCommand } from "./mysql.js";
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

  it("dumps and restores into a fresh database with identical data, routines, triggers and events", async () => {
    const src = await freshDb("src");
    const dst = await freshDb("dst");
    await src.query(SEED);

    const { file, dump } = await dumpToFile(src.config);
    expect(dump.serverVersion).toMatch(/^(MariaDB|MySQL) /);
    const text = await readFile(file, "utf8");
    expect(text).toContain("Привет, 世界 🎉");
    expect(text).toContain(`0x${ALL_BYTES_HEX}`); // --hex-blob
    expect(text).not.toMatch(/^CREATE DATABASE|^USE /m); // loads into any database name

    await driver.restore(dst.config, createReadStream(file), { format: "sql", signal: signal() });

    const expected = await src.query(CANONICAL);
    expect(expected).toContain("Привет, 世界 🎉");
    expect(expected).toContain(ALL_BYTES_HEX);
    expect(expected).toMatch(/count_items[\s\S]*items_default_note[\s\S]*nightly_noop/);
    expect(await dst.query(CANONICAL)).toBe(expected);
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
