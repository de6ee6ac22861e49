import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMysqlDatabase, mysqlQuery, type MysqlDatabase } from "../helpers/mysql.js";
import { createPgDatabase, pgQuery, type PgDatabase } from "../helpers/pg.js";
import { ADMIN_ID, buttonsOf, startHarness, type Harness } from "./harness.js";

/** /restore of a database backup: a new database beside the original is the first choice; replacing needs the typed name. */
describe("/restore targets for databases", () => {
  let h: Harness;
  let pg: PgDatabase;
  let other: PgDatabase;
  let maria: MysqlDatabase;
  const runs: Record<string, number> = {};
  const created: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    pg = await createPgDatabase("bt_app");
    other = await createPgDatabase("bt_other");
    maria = await createMysqlDatabase("bt_shop");
    await pg.query("CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 500) g;");
    await other.query("CREATE TABLE keep_me (x int); INSERT INTO keep_me VALUES (7);");
    await maria.query("CREATE TABLE t (x INT); INSERT INTO t VALUES (1); CREATE VIEW v AS SELECT x FROM t;");
    h.app.sources.create({ name: "app-db", kind: "postgres", host: "127.0.0.1", port: 5432, database: pg.name, user: "postgres", password: "" });
    h.app.sources.create({ name: "other-db", kind: "postgres", host: "127.0.0.1", port: 5432, database: other.name, user: "postgres", password: "" });
    h.app.sources.create({ name: "shop", kind: "mysql", host: "127.0.0.1", port: 3306, database: maria.name, user: "root", password: "" });
    h.app.destinations.create({ name: "disk", kind: "local", path: h.backupsDir });
    h.app.jobs.create({ name: "app-nightly", source: "app-db", destinations: ["disk"], schedule: "0 3 * * *" });
    h.app.jobs.create({ name: "shop-nightly", source: "shop", destinations: ["disk"], schedule: "0 3 * * *" });
    for (const job of ["app-nightly", "shop-nightly"]) {
      const result = await h.app.runner.run(await h.app.jobs.resolve(job), { trigger: "manual" });
      expect(result.status).toBe("success");
      runs[job] = result.runId;
    }
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    for (const name of created) await pgQuery("postgres", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await pg?.drop();
    await other?.drop();
    await maria?.drop();
  });

  const proposed = (db: string, runId: number) => {
    const run = h.app.runs.get(runId)!;
    const p = Object.fromEntries(
      new Intl.DateTimeFormat("en-GB", { timeZone: h.deps.defaultTimezone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
        .formatToParts(run.startedAt)
        .map((x) => [x.type, x.value]),
    );
    return `${db}_restored_${p.year}${p.month}${p.day}_${p.hour}${p.minute}`;
  };

  it("offers a new database first and restores into it without touching anything that exists", async () => {
    const name = proposed(pg.name, runs["app-nightly"]!);
    created.push(name);
    const pick = await h.say("/restore");
    await h.press(pick, "app-nightly");
    await h.press(pick, `#${runs["app-nightly"]} `);
    expect(buttonsOf(h.current(pick.message_id))).toEqual([
      `🆕 New database ${name} (beside app-db)`,
      "♻️ Replace app-db (the original source)",
      "♻️ Replace other-db",
      "📎 Send me the file",
      "◀ Back",
    ]);
    await h.press(pick, "New database");
    expect(h.current(pick.message_id).text).toBe(
      `🆕 Restoring backup #${runs["app-nightly"]} into the new database ${name} on the server of "app-db". Nothing that exists now is touched. If anything fails, the new database is removed again; it counts as restored only when the ✅ below says so.`,
    );
    const done = await h.waitForText((t) => t.startsWith("✅ Restored backup"), ADMIN_ID, 60_000);
    expect(done.text).toContain(`into "${name}"`);
    const q = "SELECT count(*), md5(string_agg(id || label, ',' ORDER BY id)) FROM items";
    expect(await pgQuery(name, q)).toBe(await pg.query(q));
  });

  it("replacing says what happens to the current data and waits for the typed name", async () => {
    const pick = await h.say("/restore");
    await h.press(pick, "app-nightly");
    await h.press(pick, `#${runs["app-nightly"]} `);
    await h.press(pick, "Replace other-db");
    const text = h.current(pick.message_id).text ?? "";
    expect(text).toContain(`into "other-db" REPLACES what is there now: its current data is dropped, in one step, once the backup has loaded completely (after any failure it stays as it is).`);
    expect(text).toContain("type the name of the target exactly: other-db");
    const wrong = await h.say("other");
    expect(wrong.text).toBe("That is not the target's name. Type other-db exactly to restore, or /cancel.");
    expect(await other.query("SELECT x FROM keep_me")).toBe("7");
    h.fake.sendUserMessage(ADMIN_ID, "other-db");
    await h.waitForText((t) => /^✅ Restored backup #\d+ of app-nightly into "other-db"/.test(t), ADMIN_ID, 60_000);
    expect(await other.query("SELECT to_regclass('keep_me') IS NULL, (SELECT count(*) FROM items)")).toBe("t|500");
  });

  it("refuses up front a MariaDB target that cannot be replaced atomically, with the reason", async () => {
    const pick = await h.say("/restore");
    await h.press(pick, "shop-nightly");
    await h.press(pick, `#${runs["shop-nightly"]} `);
    expect(buttonsOf(h.current(pick.message_id))[0]).toBe(`🆕 New database ${proposed(maria.name, runs["shop-nightly"]!)} (beside shop)`);
    await h.press(pick, "Replace shop");
    h.fake.sendUserMessage(ADMIN_ID, "shop");
    const failed = await h.waitForText((t) => t.startsWith("❌ Restore of backup"), ADMIN_ID, 60_000);
    expect(failed.text).toBe(
      `❌ Restore of backup #${runs["shop-nightly"]} into "shop" failed: database "${maria.name}" holds objects that cannot be replaced in one atomic step (view v); restore into a new database instead, or drop them first`,
    );
    expect(failed.text).not.toMatch(/EPIPE/);
    expect(await mysqlQuery(maria.name, "SELECT x FROM t")).toBe("1");
  });
});
