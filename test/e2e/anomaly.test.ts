import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { mkdirSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createMysqlDatabase, type MysqlDatabase } from "../helpers/mysql.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { waitFor } from "../helpers/wait.js";
import { createWorkspace, startCli, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1001234567815;

/**
 * Issue 14, item 3: a successful run whose dump lost a table's rows (counted as the dump
 * streamed by) is kept and stays a success, but says ⚠️ with the table named, in the channel
 * and to the admins. Thresholds come from the job's `anomaly:` settings.
 */
describe("anomaly alerts", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let pg: PgDatabase;
  let my: MysqlDatabase;
  let app: App;
  let lite: string;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Ada", languageCode: "en" });
    fake.createChannel({ id: CHANNEL });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN), LOG_LEVEL: "warn" });
    pg = await createPgDatabase("anomaly_pg");
    await pg.query(`
      create table users (id serial primary key, name text);
      create table audit (id serial primary key, what text);
      insert into users (name) select 'u' || g from generate_series(1, 500) g;
      insert into audit (what) select 'event ' || g from generate_series(1, 60) g;
    `);
    my = await createMysqlDatabase("anomaly_my");
    await my.query(`
      create table items (id int primary key, v varchar(20)) engine=InnoDB;
      create table logs (id int primary key) engine=InnoDB;
      insert into items select seq, concat('i', seq) from seq_1_to_300;
      insert into logs select seq from seq_1_to_20;
    `);
    const disk = path.join(ws.dir, "disk");
    const tree = path.join(ws.dir, "tree");
    mkdirSync(tree);
    writeFileSync(path.join(tree, "big.bin"), randomBytes(16 * 1024 * 1024));
    writeFileSync(path.join(tree, "notes.txt"), "steady\n");
    lite = path.join(ws.dir, "app.sqlite");
    const db = new Database(lite);
    db.exec("create table orders (id integer primary key, total int); create table settings (k text);");
    db.prepare("insert into orders (total) select value from json_each(?)").run(JSON.stringify(Array.from({ length: 400 }, (_, i) => i)));
    db.close();
    const routes = `notify: { success: { chat_id: "${CHANNEL}" } }`;
    const yaml = `
sources:
  - { name: pg, kind: postgres, host: 127.0.0.1, port: 5432, database: ${pg.name}, user: postgres, password: "" }
  - { name: my, kind: mysql, host: 127.0.0.1, port: 3306, database: ${my.name}, user: root, password: "" }
  - { name: tree, kind: directory, path: ${tree} }
  - { name: lite, kind: sqlite, path: ${lite} }
destinations:
  - { name: disk, kind: local, path: ${disk} }
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: pg-job, source: pg, destinations: [disk], schedule: "0 3 * * *", ${routes} }
  - { name: my-job, source: my, destinations: [disk], schedule: "0 3 * * *", anomaly: { min_rows: 100, size_below: 0.01 }, ${routes} }
  - { name: lite-job, source: lite, destinations: [disk], schedule: "0 3 * * *", ${routes} }
  - { name: tree-job, source: tree, destinations: [channel], schedule: "0 3 * * *", compression: none, part_size: 1MiB, ${routes} }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    app = await ws.app();
  }, 60_000);

  afterAll(async () => {
    app?.close();
    await pg?.drop();
    await my?.drop();
    await fake?.close();
    ws?.remove();
  });

  const backup = async (job: string) => {
    const r = await ws.cli(["backup", job]);
    // ⚠️ never fails the job: the exit code is the verified success's.
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return r.stdout;
  };

  it("PostgreSQL: a table's rows deleted between two runs → the second run is ⚠️ naming the table", async () => {
    const first = await backup("pg-job");
    expect(first).not.toContain("anomaly");
    await fake.waitFor(() => fake.messages(CHANNEL).some((m) => m.text?.startsWith("✅ Backup done: pg-job")), 10_000, "the first run's success message");

    await pg.query("delete from users");
    const second = await backup("pg-job");
    expect(second).toContain("⚠️ anomaly: rows dropped sharply in public.users (500 → 0)");
    expect(second).not.toContain("public.audit");

    const warned = (chat: number) => fake.messages(chat).find((m) => m.text?.startsWith("⚠️ Backup done, but it looks wrong: pg-job"));
    const inChannel = await fake.waitFor(() => warned(CHANNEL), 10_000, "the ⚠️ success message in the channel");
    expect(inChannel.text).toContain("public.users (500 → 0)");
    const toAdmin = await fake.waitFor(() => warned(ADMIN), 10_000, "the ⚠️ alert to the admin");
    expect(toAdmin.text).toContain("public.users");

    // Kept, a success, the reason stored with it.
    const runs = app.runs.list(10).filter((r) => r.jobName === "pg-job");
    expect(runs.map((r) => r.status)).toEqual(["success", "success"]);
    expect(runs[0]!.anomalies).toEqual(expect.arrayContaining([{ key: "anomaly-rows-drop", params: { count: 1, tables: "public.users (500 → 0)" } }]));
    expect(runs[1]!.anomalies).toBeNull();
    expect(runs[0]!.inventory).toEqual({ kind: "rows", tables: { "public.users": 0, "public.audit": 60 } });
  });

  it("PostgreSQL: a dropped table is named; a run with zero tables says so", async () => {
    await pg.query("insert into users (name) select 'u' || g from generate_series(1, 500) g");
    await backup("pg-job");
    await pg.query("drop table audit");
    const gone = await backup("pg-job");
    expect(gone).toContain("⚠️ anomaly: tables fell from 2 to 1; missing: public.audit");
    await pg.query("drop table users");
    const empty = await backup("pg-job");
    expect(empty).toContain("⚠️ anomaly: the dump holds no table at all");
  });

  it("MariaDB: the job's thresholds apply (min_rows 100: a small table may shrink, a big one may not)", async () => {
    const first = await backup("my-job");
    expect(first).not.toContain("anomaly");
    await my.query("delete from logs; delete from items where id > 100");
    const second = await backup("my-job");
    expect(second).toContain("⚠️ anomaly: rows dropped sharply in items (300 → 100)");
    expect(second).not.toContain("logs");
  });

  it("SQLite: the backup counts its snapshot's rows, so a table emptied between two runs makes the second ⚠️ naming it", async () => {
    const first = await backup("lite-job");
    expect(first).not.toContain("anomaly");
    const db = new Database(lite);
    db.exec("delete from orders where id > 10");
    db.close();
    const second = await backup("lite-job");
    expect(second).toContain("⚠️ anomaly: rows dropped sharply in orders (400 → 10)");
    const [latest] = app.runs.list(10).filter((r) => r.jobName === "lite-job");
    expect(latest!.inventory).toEqual({ kind: "rows", tables: { orders: 10, settings: 0 } });
  });

  it("a directory: a file written to while it was read → the run is ⚠️ naming it (its copy may mix old and new content)", async () => {
    const steady = await backup("tree-job");
    expect(steady).not.toContain("anomaly");
    // Part 1's upload is held: the spool fills with part 2 and the tar stops reading big.bin
    // a few MiB in. Meanwhile a block near its end is rewritten in place.
    fake.failNext("sendDocument", { kind: "stall", ms: 3000 });
    const running = startCli(ws.env, ["backup", "tree-job"]);
    await waitFor("part 1 being uploaded", () => app.runs.list(5).find((r) => r.jobName === "tree-job" && r.status === "running" && r.phase === "upload"), 30_000, 20);
    const file = await open(path.join(ws.dir, "tree", "big.bin"), "r+");
    await file.write(randomBytes(4096), 0, 4096, 12 * 1024 * 1024);
    await file.close();
    const { code, stdout, stderr } = await running.result;
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain("⚠️ anomaly: 1 file(s) changed while they were read, so their copies may mix old and new content: big.bin");

    const warned = await fake.waitFor(() => fake.messages(CHANNEL).find((m) => m.text?.startsWith("⚠️ Backup done, but it looks wrong: tree-job")), 10_000, "the ⚠️ success message");
    expect(warned.text).toContain("changed while they were read, so their copies may mix old and new content: big.bin");
    const [latest, earlier] = app.runs.list(10).filter((r) => r.jobName === "tree-job");
    expect(latest!.status).toBe("success");
    expect(latest!.anomalies).toEqual([{ key: "anomaly-files-changed", params: { count: 1, files: "big.bin" } }]);
    expect(earlier!.anomalies).toBeNull();
  });

  it("thresholds are validated and exported", async () => {
    const bad = `
jobs:
  - { name: my-job, source: my, destinations: [disk], schedule: "0 3 * * *", anomaly: { rows_drop: "half" }, drill: { schedule: "every day" } }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("bad.yaml", bad)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("jobs[0].anomaly.rows_drop");
    expect(r.stderr).toContain("jobs[0].drill.schedule");
    const exported = await ws.cli(["config", "export"]);
    expect(exported.stdout).toMatch(/anomaly:\s*\n\s+size_below: 0.01\n\s+min_rows: 100/);
  });
});
