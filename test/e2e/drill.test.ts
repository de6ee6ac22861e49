import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createMysqlDatabase, mysqlQuery, type MysqlDatabase } from "../helpers/mysql.js";
import { createPgDatabase, pgQuery, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";
import { waitFor } from "../helpers/wait.js";

const ADMIN = 111;
const CHANNEL = -1001234567814;

/**
 * Issue 14, item 1: restore drills against the real PostgreSQL and MariaDB servers, results
 * posted through the fake Bot API. A drill restores the newest good run into a scratch database
 * on the source's server, compares table list and row counts with what the run counted at dump
 * time, and drops the scratch database — also after a SIGKILL (start-up recovery).
 */
describe("restore drills", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let pg: PgDatabase;
  let my: MysqlDatabase;
  let app: App;
  const identity = { secret: "", recipient: "" };

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Ada", languageCode: "en" });
    fake.createChannel({ id: CHANNEL });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN), LOG_LEVEL: "warn" });
    pg = await createPgDatabase("drill_pg");
    await pg.query(`
      create table customers (id serial primary key, name text);
      create table orders (id serial primary key, customer int, note text);
      create table empty_one (id int);
      create schema billing;
      create table billing."Invoices" (id int, total numeric);
      insert into customers (name) select 'c' || g from generate_series(1, 250) g;
      insert into orders (customer, note) select g % 250, repeat('x', g % 40) || E'\\nline two\\t' from generate_series(1, 3000) g;
      insert into billing."Invoices" select g, g * 1.5 from generate_series(1, 42) g;
    `);
    my = await createMysqlDatabase("drill_my");
    await my.query(`
      create table products (id int primary key auto_increment, title varchar(200), price decimal(10,2)) engine=InnoDB;
      create table stock (id int primary key, qty int, memo text) engine=InnoDB;
      insert into products (title, price) select concat('p (', seq, ') ''quoted'' \\\\ ),(', seq), seq / 3 from seq_1_to_700;
      insert into stock select seq, seq * 2, if(seq % 3 = 0, null, 'a,b),(c') from seq_1_to_128;
    `);
    identity.secret = await generateIdentity();
    identity.recipient = await identityToRecipient(identity.secret);
    const disk = path.join(ws.dir, "disk");
    const routes = `notify: { success: { chat_id: "${CHANNEL}" }, failure: { chat_id: "${CHANNEL}" } }`;
    const yaml = `
sources:
  - { name: pg, kind: postgres, host: 127.0.0.1, port: 5432, database: ${pg.name}, user: postgres, password: "" }
  - { name: my, kind: mysql, host: 127.0.0.1, port: 3306, database: ${my.name}, user: root, password: "" }
destinations:
  - { name: disk, kind: local, path: ${disk} }
jobs:
  - { name: pg-job, source: pg, destinations: [disk], schedule: "0 3 * * *", compression: gzip, part_size: 1MiB, drill: { schedule: weekly }, ${routes} }
  - { name: my-job, source: my, destinations: [disk], schedule: "0 3 * * *", compression: zstd, drill: { schedule: "0 5 * * 1" }, ${routes} }
  - { name: sealed, source: pg, destinations: [disk], schedule: "0 3 * * *", encryption: { recipients: [${identity.recipient}] }, ${routes} }
  - { name: corrupt, source: pg, destinations: [disk], schedule: "0 3 * * *", compression: none, part_size: 1MiB, ${routes} }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    for (const job of ["pg-job", "my-job", "sealed", "corrupt"]) {
      const r = await ws.cli(["backup", job]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    app = await ws.app();
  }, 180_000);

  afterAll(async () => {
    app?.close();
    await pg?.drop();
    await my?.drop();
    await fake?.close();
    ws?.remove();
  });

  const pgDrillDatabases = async () => (await pgQuery("postgres", `select datname from pg_database where datname like '%\\_\\_tb\\_drill\\_%'`)).split("\n").filter(Boolean);
  const myDrillDatabases = async () =>
    (await mysqlQuery(undefined, `select schema_name from information_schema.schemata where schema_name like '%\\_\\_tb\\_drill\\_%'`)).split("\n").filter(Boolean);
  const channelTexts = () => fake.messages(CHANNEL).map((m) => m.text ?? "");

  it("records per-table row counts at dump time, in the run and its manifest", () => {
    const run = app.runs.list(20).find((r) => r.jobName === "pg-job" && r.status === "success")!;
    const expected = { "public.customers": 250, "public.orders": 3000, "public.empty_one": 0, 'billing."Invoices"': 42 };
    expect(run.inventory).toEqual({ kind: "rows", tables: expected });
    expect(run.manifest).toMatchObject({ manifest_version: 2, inventory: { kind: "rows", tables: expected } });
    const mine = app.runs.list(20).find((r) => r.jobName === "my-job" && r.status === "success")!;
    expect(mine.inventory).toEqual({ kind: "rows", tables: { products: 700, stock: 128 } });
    // The manifest file in the destination says the same.
    const dir = path.join(ws.dir, "disk", "pg-job");
    const manifest = JSON.parse(readFileSync(path.join(dir, readdirSync(dir).find((f) => f.endsWith(".manifest.json"))!), "utf8"));
    expect(manifest.inventory.tables).toEqual(expected);
  });

  it("PostgreSQL: the drill restores into a scratch database, reports ✅ with the table count, and drops it", async () => {
    const r = await ws.cli(["drill", "pg-job"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("✅ Restore drill passed: pg-job");
    expect(r.stdout).toContain("4 tables");
    expect(await pgDrillDatabases()).toEqual([]);
    await fake.waitFor(() => channelTexts().some((t) => t.includes("✅ Restore drill passed: pg-job") && t.includes("4 tables")), 10_000, "the drill result in the channel");
    const job = app.jobsRepo.findByName("pg-job")!;
    const proven = app.drillsRepo.lastProvenRestorable(job.id);
    expect(proven).toMatchObject({ status: "passed", level: "full", tables: 4 });
    // The source was not touched.
    expect(await pg.query("select count(*) from orders")).toBe("3000");
  });

  it("MariaDB: the drill restores into a scratch database, reports ✅ with the table count, and drops it", async () => {
    const r = await ws.cli(["drill", "my-job"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("✅ Restore drill passed: my-job");
    expect(r.stdout).toContain("2 tables");
    expect(await myDrillDatabases()).toEqual([]);
    expect(app.drillsRepo.lastProvenRestorable(app.jobsRepo.findByName("my-job")!.id)).toMatchObject({ status: "passed", tables: 2 });
  });

  it("a part corrupted in the destination: ❌ naming the part, no scratch database left", async () => {
    const dir = path.join(ws.dir, "disk", "corrupt");
    const part = readdirSync(dir).filter((f) => /\.\d{3}$/.test(f)).sort()[0]!;
    expect(part).toMatch(/\.001$/);
    const file = path.join(dir, part);
    const bytes = readFileSync(file);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(file, bytes);
    const r = await ws.cli(["drill", "corrupt"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("❌ Restore drill FAILED: corrupt");
    expect(r.stdout).toContain(part);
    expect(await pgDrillDatabases()).toEqual([]);
    await fake.waitFor(() => fake.messages(ADMIN).some((m) => m.text?.includes("❌ Restore drill FAILED: corrupt") && m.text.includes(part)), 10_000, "the failed drill alert");
  });

  it("age recipients: a partial proof without a drill identity, a full drill with one", async () => {
    const partial = await ws.cli(["drill", "sealed"]);
    expect(partial.code, partial.stdout + partial.stderr).toBe(0);
    expect(partial.stdout).toContain("Restore drill (partial): sealed");
    expect(partial.stdout).toContain("names 1 recipient");
    expect(partial.stdout).toContain("cannot decrypt");
    expect(await pgDrillDatabases()).toEqual([]);
    const job = app.jobsRepo.findByName("sealed")!;
    expect(app.drillsRepo.listByJob(job.id)[0]).toMatchObject({ status: "passed", level: "partial" });
    expect(app.drillsRepo.lastProvenRestorable(job.id)).toBeNull();

    const keyFile = ws.writeFile("drill-key.txt", `# drill key\n${identity.secret}\n`);
    const yaml = `
jobs:
  - { name: sealed, source: pg, destinations: [disk], schedule: "0 3 * * *", encryption: { recipients: [${identity.recipient}] }, drill: { identity: "file:${keyFile}" } }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("sealed.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    const full = await ws.cli(["drill", "sealed"]);
    expect(full.code, full.stdout + full.stderr).toBe(0);
    expect(full.stdout).toContain("✅ Restore drill passed: sealed");
    expect(full.stdout).toContain("4 tables");
    expect(app.drillsRepo.lastProvenRestorable(job.id)).toMatchObject({ level: "full" });
    expect(await pgDrillDatabases()).toEqual([]);
    // The identity is stored encrypted, and exported as the reference it is.
    const exported = await ws.cli(["config", "export"]);
    expect(exported.stdout).toContain(`identity: file:${keyFile}`);
    expect(exported.stdout).not.toContain(identity.secret);
  });

  it("SIGKILL during a drill: after restart no scratch database remains", async () => {
    // Enough rows that loading takes a while: the kill lands while the drill database is being filled.
    await pg.query(`insert into orders (customer, note) select g % 250, repeat(md5(g::text), 8) from generate_series(1, 400000) g`);
    const b = await ws.cli(["backup", "pg-job"]);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const drill = spawnCli(["drill", "pg-job"]);
    try {
      await waitFor("a drill database on the server", async () => (await pgDrillDatabases()).length > 0, 60_000, 50);
      drill.child.kill("SIGKILL");
      await drill.exited;
    } finally {
      if (drill.child.exitCode === null && drill.child.signalCode === null) drill.child.kill("SIGKILL");
    }
    expect((await pgDrillDatabases()).length).toBeGreaterThan(0);
    const job = app.jobsRepo.findByName("pg-job")!;
    expect(app.drillsRepo.listByJob(job.id)[0]).toMatchObject({ status: "running" });

    const daemon = spawnCli(["run"]);
    try {
      await fake.waitFor(() => fake.isPolling(), 60_000, "the bot to start polling");
      expect(await pgDrillDatabases()).toEqual([]);
      expect(app.drillsRepo.listByJob(job.id)[0]).toMatchObject({ status: "interrupted" });
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }
  }, 180_000);

  it("SIGKILL during a MariaDB drill: after restart no scratch database remains", async () => {
    await my.query(`insert into stock select seq, seq, repeat(md5(seq), 6) from seq_129_to_400000`);
    const b = await ws.cli(["backup", "my-job"]);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const drill = spawnCli(["drill", "my-job"]);
    try {
      await waitFor("a drill database on the server", async () => (await myDrillDatabases()).length > 0, 60_000, 50);
      drill.child.kill("SIGKILL");
      await drill.exited;
    } finally {
      if (drill.child.exitCode === null && drill.child.signalCode === null) drill.child.kill("SIGKILL");
    }
    expect((await myDrillDatabases()).length).toBeGreaterThan(0);
    const job = app.jobsRepo.findByName("my-job")!;
    expect(app.drillsRepo.listByJob(job.id)[0]).toMatchObject({ status: "running" });

    const daemon = spawnCli(["run"]);
    try {
      await fake.waitFor(() => fake.isPolling(), 60_000, "the bot to start polling");
      expect(await myDrillDatabases()).toEqual([]);
      expect(app.drillsRepo.listByJob(job.id)[0]).toMatchObject({ status: "interrupted" });
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }
  }, 180_000);

  function spawnCli(args: string[]): { child: ChildProcess; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, env: ws.env, stdio: ["ignore", "ignore", "ignore"] });
    return { child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
  }
});

