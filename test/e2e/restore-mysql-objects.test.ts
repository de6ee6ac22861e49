import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ID, startHarness, type Harness } from "../bot/harness.js";
import { createMysqlDatabase, mysqlQuery, type MysqlDatabase } from "../helpers/mysql.js";
import { createWorkspace, startCli, sh, type StartedCli, type Workspace } from "../helpers/workspace.js";

/**
 * A MariaDB backup holding a view, a trigger, a procedure, a function and an event restores
 * into a NEW database through the real CLI (and the bot): loaded aside, then copied in by
 * mariadb-dump | mariadb into a database that carries an incomplete-restore marker until the
 * copy finished. Interrupted copies leave no database, or one the next restore sweeps.
 */

const MARKER = /^__tb_restore_incomplete_\d{14}$/;

const SEED = `
CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(120) NOT NULL, note VARCHAR(40)) ENGINE=InnoDB;
INSERT INTO items SELECT seq, CONCAT('item-', MD5(seq), REPEAT('x', 60)), NULL FROM seq_1_to_200000;
CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item_id INT, at_label VARCHAR(120)) ENGINE=InnoDB;
INSERT INTO audit (item_id, at_label) VALUES (1, 'seeded');
CREATE VIEW cheap_items AS SELECT id, label FROM items WHERE id <= 10;
CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item_id, at_label) VALUES (NEW.id, NEW.label);
CREATE PROCEDURE count_items(OUT n INT) SELECT COUNT(*) INTO n FROM items;
CREATE FUNCTION label_of(i INT) RETURNS VARCHAR(120) READS SQL DATA RETURN (SELECT label FROM items WHERE id = i);
CREATE EVENT tidy_audit ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' DISABLE DO DELETE FROM audit WHERE id < 0;
`;

/** Everything a user would compare: the full dump with objects, and information_schema's rows for them. */
async function canonical(db: string): Promise<string> {
  const dump = await sh(`mariadb-dump --no-defaults -h 127.0.0.1 -u root --routines --triggers --events --skip-dump-date --order-by-primary --skip-comments ${db}`);
  const objects = await mysqlQuery(
    db,
    `SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1;
     SELECT VIEW_DEFINITION FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME;
     SELECT TRIGGER_NAME, EVENT_MANIPULATION, EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY 1;
     SELECT ROUTINE_TYPE, ROUTINE_NAME, ROUTINE_DEFINITION, DTD_IDENTIFIER FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY 2;
     SELECT EVENT_NAME, EVENT_DEFINITION, INTERVAL_VALUE, INTERVAL_FIELD, STARTS, STATUS FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY 1;
     SHOW CREATE VIEW cheap_items; SHOW CREATE TRIGGER items_audit; SHOW CREATE PROCEDURE count_items; SHOW CREATE FUNCTION label_of; SHOW CREATE EVENT tidy_audit;`,
  );
  // VIEW_DEFINITION names the view's own database, SHOW CREATE TRIGGER ends with its creation time: compare without them
  return `${dump}\n${objects.split(`\`${db}\`.`).join("").replace(/\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+$/gm, "")}`;
}

const exists = async (db: string) => (await mysqlQuery(undefined, `SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`)) === "1";
const tablesOf = async (db: string) => (await mysqlQuery(undefined, `SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${db}' ORDER BY 1`)).split("\n").filter(Boolean);
/** Scratch databases of restores into `db`. */
const scratchOf = (db: string) => mysqlQuery(undefined, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${db.replace(/_/g, "\\_")}\\_\\_tb\\_%'`);
const dropDb = (db: string) => mysqlQuery(undefined, `DROP DATABASE IF EXISTS \`${db}\``);

/** pids of `mariadb` clients with exactly the argument `arg` (the copy's loader: `--database=<new>`). */
async function clientsWith(arg: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (!stat.startsWith(`${entry} (mariadb)`)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (args.includes(arg)) pids.push(Number(entry));
  }
  return pids;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Starts a restore into the new database `name` and waits until the copy into it is running. */
async function startCopy(ws: Workspace, runId: number, name: string): Promise<StartedCli & { copier: number }> {
  const started = startCli(ws.env, ["restore", String(runId), "--to", "app-db", `--new-database=${name}`]);
  const [copier] = await waitFor(`the copy into ${name}`, async () => {
    const pids = await clientsWith(`--database=${name}`);
    return pids.length ? pids : undefined;
  });
  return { ...started, copier: copier! };
}

describe("MariaDB: a backup with views, triggers, routines and events restores into a new database", () => {
  let ws: Workspace;
  let source: MysqlDatabase;
  let target: MysqlDatabase;
  let runId: number;
  let backupState: string;
  const created: string[] = [];
  const newName = (tag: string) => {
    const name = `${source.name}_${tag}`;
    created.push(name);
    return name;
  };

  beforeAll(async () => {
    ws = createWorkspace();
    source = await createMysqlDatabase("ro_src");
    target = await createMysqlDatabase("ro_dst");
    await source.query(SEED);
    await target.query("CREATE TABLE kept (x INT) ENGINE=InnoDB; INSERT INTO kept VALUES (42);");
    backupState = await canonical(source.name);
    const yaml = `
sources:
  - { name: app-db, kind: mysql, host: 127.0.0.1, port: 3306, database: ${source.name}, user: root, password: "" }
  - { name: plain-db, kind: mysql, host: 127.0.0.1, port: 3306, database: ${target.name}, user: root, password: "" }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: nightly, source: app-db, destinations: [disk], schedule: "0 3 * * *", format: sql, compression: gzip }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    const r = await ws.cli(["backup", "nightly", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    runId = (JSON.parse(r.stdout) as { runId: number }).runId;
  }, 300_000);

  afterAll(async () => {
    for (const name of created) {
      await dropDb(name);
      for (const s of (await scratchOf(name)).split("\n").filter(Boolean)) await dropDb(s);
    }
    await source?.drop();
    await target?.drop();
    ws?.remove();
  });

  it("--new-database: the result equals the source, objects included, and they work", async () => {
    const name = newName("copy");
    const r = await ws.cli(["restore", String(runId), "--to", "app-db", `--new-database=${name}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`restored into the new database ${name} on the server of source "app-db"`);
    expect(await canonical(name)).toBe(backupState);
    expect(await tablesOf(name)).toEqual(["audit", "cheap_items", "items"]); // no marker left
    expect(await scratchOf(name)).toBe("");
    // the trigger fires, the view returns rows, the routines run — in the new database
    await mysqlQuery(name, "INSERT INTO items (id, label) VALUES (300000, 'fresh')");
    expect(await mysqlQuery(name, "SELECT item_id, at_label FROM audit ORDER BY id DESC LIMIT 1")).toBe("300000\tfresh");
    expect(await mysqlQuery(source.name, "SELECT COUNT(*) FROM audit")).toBe("1"); // not the source's
    expect(await mysqlQuery(name, "SELECT COUNT(*) FROM cheap_items")).toBe("10");
    expect(await mysqlQuery(name, "CALL count_items(@n); SELECT @n")).toBe("200001");
    expect(await mysqlQuery(name, "SELECT label_of(300000)")).toBe("fresh");
  });

  it("replacing with such a backup is still refused, naming the objects, the target untouched", async () => {
    const r = await ws.cli(["restore", String(runId), "--to", "plain-db", "--replace"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^tele-backup: the backup holds objects that cannot be swapped in atomically \(view cheap_items, trigger items_audit, procedure count_items, function label_of, event tidy_audit\); nothing was changed\. Restore it into a new database instead\n$/m,
    );
    expect(await target.query("SELECT x FROM kept")).toBe("42");
    expect(await scratchOf(target.name)).toBe("");
  });

  it("SIGTERM of tele-backup during the copy: the new database is dropped and the user is told so", async () => {
    const name = newName("term");
    const started = await startCopy(ws, runId, name);
    started.child.kill("SIGTERM");
    const r = await started.result;
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain("restored into");
    expect(r.stderr).toContain(`tele-backup: copying the backup into the new database "${name}" failed: the restore was aborted; the new database "${name}" was dropped; nothing was restored\n`);
    expect(await exists(name)).toBe(false);
    expect(await scratchOf(name)).toBe("");
  });

  it("a killed copying client: the new database is dropped and the error says why", async () => {
    const name = newName("kcli");
    const started = await startCopy(ws, runId, name);
    process.kill(started.copier, "SIGKILL");
    const r = await started.result;
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("restored into");
    expect(r.stderr).toMatch(
      new RegExp(`^tele-backup: copying the backup into the new database "${name}" failed: mariadb was killed by SIGKILL; the new database "${name}" was dropped; nothing was restored$`, "m"),
    );
    expect(await exists(name)).toBe(false);
    expect(await scratchOf(name)).toBe("");
  });

  it("SIGKILL of tele-backup during the copy leaves the new database marked incomplete, and a later restore sweeps it once stale", async () => {
    const name = newName("kill");
    const started = await startCopy(ws, runId, name);
    started.child.kill("SIGKILL");
    const r = await started.result;
    expect(r.stdout).not.toContain("restored into");
    await waitFor("the copy's clients to exit", async () => ((await clientsWith(`--database=${name}`)).length === 0 ? true : undefined), 20_000);

    // Killed mid-copy: the database is there, marked as an incomplete restore.
    expect(await exists(name)).toBe(true);
    const markers = (await tablesOf(name)).filter((t) => MARKER.test(t));
    expect(markers).toHaveLength(1);
    expect(await mysqlQuery(undefined, `SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${name}' AND TABLE_NAME = '${markers[0]}'`)).toBe(
      "tele-backup: restore not finished, this database is incomplete",
    );

    // A restore within 10 minutes leaves it alone (its restore might still be running)...
    const next = newName("after1");
    expect((await ws.cli(["restore", String(runId), "--to", "app-db", `--new-database=${next}`])).code).toBe(0);
    expect(await exists(name)).toBe(true);

    // ...one after that (a forged old start time instead of waiting) drops it.
    await mysqlQuery(undefined, `RENAME TABLE \`${name}\`.\`${markers[0]}\` TO \`${name}\`.__tb_restore_incomplete_20200101000000`);
    const later = newName("after2");
    const swept = await ws.cli(["restore", String(runId), "--to", "app-db", `--new-database=${later}`]);
    expect(swept.code, swept.stderr).toBe(0);
    expect(await exists(name)).toBe(false);
    expect(await canonical(later)).toBe(backupState);
  });
});

describe("MariaDB: the bot's 🆕 New database button restores a backup with views and triggers", () => {
  let h: Harness;
  let shop: MysqlDatabase;
  let name: string | undefined;

  beforeAll(async () => {
    h = await startHarness();
    shop = await createMysqlDatabase("ro_shop");
    await shop.query(
      "CREATE TABLE t (x INT, doubled INT); INSERT INTO t VALUES (1, 2), (2, 4); CREATE VIEW v AS SELECT x FROM t; CREATE TRIGGER dbl BEFORE INSERT ON t FOR EACH ROW SET NEW.doubled = NEW.x * 2;",
    );
    h.app.sources.create({ name: "shop", kind: "mysql", host: "127.0.0.1", port: 3306, database: shop.name, user: "root", password: "" });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "shop-nightly", source: "shop", destinations: ["disk"], schedule: "0 3 * * *" });
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    if (name) await dropDb(name);
    await shop?.drop();
  });

  it("✅ only once the copy is complete; the view and the trigger work there", async () => {
    const result = await h.app.runner.run(await h.app.jobs.resolve("shop-nightly"), { trigger: "manual" });
    expect(result.status).toBe("success");
    const pick = await h.say("/restore");
    await h.press(pick, "shop-nightly");
    await h.press(pick, `#${result.runId} `);
    await h.press(pick, "New database");
    const done = await h.waitForText((t) => /^(✅|❌)/.test(t), ADMIN_ID, 60_000);
    name = /into "([^"]+)"/.exec(done.text ?? "")?.[1];
    expect(done.text).toMatch(/^✅ Restored backup/);
    expect(name).toMatch(new RegExp(`^${shop.name}_restored_\\d{8}_\\d{4}$`));
    expect(await tablesOf(name!)).toEqual(["t", "v"]);
    expect(await mysqlQuery(name!, "SELECT x FROM v ORDER BY x")).toBe("1\n2");
    await mysqlQuery(name!, "INSERT INTO t (x) VALUES (5)");
    expect(await mysqlQuery(name!, "SELECT doubled FROM t WHERE x = 5")).toBe("10");
  });
});
