import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createMysqlDatabase, mysqlQuery, type MysqlDatabase } from "../helpers/mysql.js";
import { createPgDatabase, pgQuery, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const CHANNEL = -1004242424242;

type Kind = "postgres" | "mysql" | "sqlite" | "directory";
type Point = "before" | "mid" | "part2";
const KINDS: Kind[] = ["postgres", "mysql", "sqlite", "directory"];
const COMPRESSIONS = ["gzip", "zstd", "none"] as const;
const POINTS: Point[] = ["before", "mid", "part2"];

/**
 * Item 0 of issue 9: whatever fails, wherever, the run ends `failed` with the real reason,
 * the admins get the alert, nothing stays in the spool or in the channel, and the next run
 * goes ahead. Every source kind × compression × encryption on/off × three failure points:
 *
 * - before: the source fails before its first byte (a role without SELECT on one table, a user
 *   without access to the database, a file that is not a database, a folder that is not there);
 * - mid: it fails after its first bytes, before the first part is complete (a large object the
 *   role may not read, a table the user may not SELECT, an unreadable file in the folder; for
 *   SQLite, whose snapshot cannot fail half-way, the spool fills up in the middle of part 1);
 * - part2: the destination refuses part 2 for good, after part 1 was stored and read back.
 *
 * All real: PostgreSQL, MariaDB, SQLite, the file system; Telegram is the fake Bot API.
 */
describe("failure matrix: every failure ends the run with its reason and leaves nothing behind", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let pgSmall: PgDatabase;
  let pgBig: PgDatabase;
  let mySmall: MysqlDatabase;
  let myBig: MysqlDatabase;
  const roles: string[] = [];
  const myUsers: string[] = [];
  let unreadable: string;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Admin" });
    fake.createChannel({ id: CHANNEL, title: "Backups" });
    const { generateX25519Identity, identityToRecipient } = await import("age-encryption");
    const recipient = await identityToRecipient(await generateX25519Identity());

    // PostgreSQL: a small database for the source failures, a big one (several 1 MiB parts) for part 2.
    pgSmall = await createPgDatabase("mx_small");
    const noSelect = `${pgSmall.name}_nosel`;
    const noLargeObject = `${pgSmall.name}_nolo`;
    roles.push(noSelect, noLargeObject);
    await pgSmall.query(`
      create table a as select g as id, md5(g::text) as v from generate_series(1, 2000) g;
      create table t (x int); insert into t values (1);
      select lo_from_bytea(0, 'not for everyone'::bytea);
      create role "${noSelect}" login; grant select on a to "${noSelect}";
      create role "${noLargeObject}" login; grant select on a, t to "${noLargeObject}";`);
    pgBig = await createPgDatabase("mx_big");
    await pgBig.query(`create table big as select g as id, decode(string_agg(md5(g::text || x::text), ''), 'hex') as b
                       from generate_series(1, 2200) g, generate_series(1, 40) x group by g`);

    // MariaDB: a user without access to the database; a user who may not SELECT table t.
    mySmall = await createMysqlDatabase("mx_small");
    myBig = await createMysqlDatabase("mx_big");
    const noAccess = `tbna_${randomBytes(4).toString("hex")}`;
    const noSelectMy = `tbns_${randomBytes(4).toString("hex")}`;
    myUsers.push(noAccess, noSelectMy);
    await mySmall.query(`
      create table a (id int primary key, v varchar(40)); insert into a select seq, md5(seq) from seq_1_to_2000;
      create table t (x int); insert into t values (1);`);
    await mysqlQuery(undefined, `
      create user '${noAccess}'@'%' identified by 'pw-na'; grant usage on *.* to '${noAccess}'@'%';
      create user '${noSelectMy}'@'%' identified by 'pw-ns';
      grant select on \`${mySmall.name}\`.a to '${noSelectMy}'@'%'; grant insert on \`${mySmall.name}\`.t to '${noSelectMy}'@'%';`);
    await myBig.query(`create table big (id int primary key, b longblob); insert into big select seq, random_bytes(1000) from seq_1_to_1500;`);

    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN) });
    // SQLite: a file that is not a database; a real one of about 1.5 MB.
    writeFileSync(path.join(ws.dir, "not-a-db.sqlite"), "just some text, no database here\n".repeat(100));
    const db = new Database(path.join(ws.dir, "big.sqlite"));
    db.exec(`create table big (id integer primary key, b blob);
             with recursive s(n) as (select 1 union all select n + 1 from s where n < 1500) insert into big select n, randomblob(1000) from s;`);
    db.close();
    // Directories: one whose second entry cannot be opened (a write-only sysfs file mounted over
    // it: EACCES even for root), one of about 1.5 MB.
    mkdirSync(path.join(ws.dir, "tree-mid"));
    writeFileSync(path.join(ws.dir, "tree-mid", "a.bin"), randomBytes(100_000));
    unreadable = path.join(ws.dir, "tree-mid", "zz-unreadable");
    writeFileSync(unreadable, "");
    execFileSync("mount", ["--bind", "/sys/bus/pci/rescan", unreadable]);
    mkdirSync(path.join(ws.dir, "tree-big"));
    writeFileSync(path.join(ws.dir, "tree-big", "big.bin"), randomBytes(1_500_000));

    const pg = (name: string, database: string, user: string) =>
      `  - { name: ${name}, kind: postgres, host: 127.0.0.1, port: 5432, database: ${database}, user: "${user}", password: "" }`;
    const my = (name: string, database: string, user: string, password: string) =>
      `  - { name: ${name}, kind: mysql, host: 127.0.0.1, port: 3306, database: ${database}, user: "${user}", password: "${password}" }`;
    const sources = [
      pg("postgres-before", pgSmall.name, noSelect),
      pg("postgres-mid", pgSmall.name, noLargeObject),
      pg("postgres-part2", pgBig.name, "postgres"),
      my("mysql-before", mySmall.name, noAccess, "pw-na"),
      my("mysql-mid", mySmall.name, noSelectMy, "pw-ns"),
      my("mysql-part2", myBig.name, "root", ""),
      `  - { name: sqlite-before, kind: sqlite, path: ${path.join(ws.dir, "not-a-db.sqlite")} }`,
      `  - { name: sqlite-mid, kind: sqlite, path: ${path.join(ws.dir, "big.sqlite")} }`,
      `  - { name: sqlite-part2, kind: sqlite, path: ${path.join(ws.dir, "big.sqlite")} }`,
      `  - { name: directory-before, kind: directory, path: ${path.join(ws.dir, "no-such-folder")} }`,
      `  - { name: directory-mid, kind: directory, path: ${path.join(ws.dir, "tree-mid")} }`,
      `  - { name: directory-part2, kind: directory, path: ${path.join(ws.dir, "tree-big")} }`,
      `  - { name: fine, kind: sqlite, path: ${path.join(ws.dir, "big.sqlite")} }`,
    ];
    const jobs: string[] = [];
    for (const kind of KINDS)
      for (const compression of COMPRESSIONS)
        for (const enc of [false, true])
          for (const point of POINTS) {
            const encryption = enc ? `, encryption: { recipients: ["${recipient}"] }` : "";
            jobs.push(`  - { name: ${jobName(kind, compression, enc, point)}, source: ${kind}-${point}, destinations: [channel], schedule: "0 3 * * *", compression: ${compression}, part_size: 1MiB${encryption} }`);
          }
    jobs.push(`  - { name: fine, source: fine, destinations: [channel], schedule: "0 3 * * *", compression: gzip, part_size: 1MiB }`);
    const yaml = `sources:\n${sources.join("\n")}\ndestinations:\n  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }\njobs:\n${jobs.join("\n")}\n`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    app = await ws.app({}, { retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 }, telegramTimeoutSeconds: 5 });
  }, 120_000);

  afterAll(async () => {
    app?.close();
    await fake?.close();
    if (unreadable) execFileSync("umount", [unreadable], { stdio: "ignore" });
    await pgSmall?.drop();
    await pgBig?.drop();
    for (const role of roles) await pgQuery("postgres", `drop role if exists "${role}"`);
    await mySmall?.drop();
    await myBig?.drop();
    for (const user of myUsers) await mysqlQuery(undefined, `drop user if exists '${user}'@'%'`);
    ws?.remove();
  });

  /** What the user reads (run error, alert), per source kind and failure point. */
  const EXPECTED: Record<Kind, Record<Point, RegExp>> = {
    postgres: {
      before: /^dump failed: pg_dump exited with code 1: pg_dump: error: query failed: ERROR: permission denied for table t\b/,
      mid: /^dump failed: pg_dump exited with code 1: .*permission denied for large object \d+/,
      part2: /^upload failed: The bot is not a member of chat -1004242424242\./,
    },
    mysql: {
      before: /^dump failed: MySQL\/MariaDB at 127\.0\.0\.1:3306: user "tbna_[0-9a-f]+" has no access to database "tb_mx_small_\w+"$/,
      mid: /^dump failed: .*SELECT command denied to user 'tbns_[0-9a-f]+'@.* for table `tb_mx_small_\w+`\.`t`/,
      part2: /^upload failed: The bot is not a member of chat -1004242424242\./,
    },
    sqlite: {
      before: /^dump failed: \/.*\/not-a-db\.sqlite is not a SQLite database$/,
      mid: /^dump failed: cannot snapshot SQLite database \/.*\/big\.sqlite: no space left in \/.*\/spool\/run-\d+ for its snapshot \(a copy of the database is made there first\)$/,
      part2: /^upload failed: The bot is not a member of chat -1004242424242\./,
    },
    directory: {
      before: /^dump failed: directory \/.*\/no-such-folder does not exist$/,
      mid: /^dump failed: backup of directory \/.*\/tree-mid failed: cannot open zz-unreadable: Permission denied$/,
      part2: /^upload failed: The bot is not a member of chat -1004242424242\./,
    },
  };

  for (const kind of KINDS)
    for (const compression of COMPRESSIONS)
      for (const enc of [false, true])
        for (const point of POINTS) {
          const job = jobName(kind, compression, enc, point);
          it(`${kind} · ${compression} · ${enc ? "age" : "plain"} · fails ${point === "before" ? "before the first byte" : point === "mid" ? "after the first bytes" : "after the first part"}`, async () => {
            const spool = path.join(ws.dataDir, "spool");
            const fullDisk = kind === "sqlite" && point === "mid";
            if (point === "part2") {
              fake.failNext("sendDocument", { kind: "pass" });
              fake.failNext("sendDocument", { kind: "error", code: 403, description: "Forbidden: bot is not a member of the channel chat" });
            }
            if (fullDisk) {
              // Too small for the snapshot, which is made in the spool (see the test below for parts).
              mkdirSync(spool, { recursive: true });
              execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", spool]);
            }
            const alertsBefore = fake.messages(ADMIN).length;
            let result;
            try {
              result = await app.executor.execute(job, "manual");
              expect(ws.spoolEntries()).toEqual([]);
            } finally {
              if (fullDisk) execFileSync("umount", [spool]);
            }
            expect(fake.pendingFaults("sendDocument")).toBe(0);

            // what the user reads: the run's error and the alert carry the real reason
            expect(result.status).toBe("failed");
            expect(result.error).toMatch(EXPECTED[kind][point]);
            const run = app.runs.get(result.runId)!;
            expect(run.status).toBe("failed");
            expect(run.finishedAt).not.toBeNull();
            expect(run.error).toBe(result.error);
            const alerts = fake.messages(ADMIN).slice(alertsBefore);
            expect(alerts).toHaveLength(1);
            expect(alerts[0]!.text).toContain(`Backup FAILED: ${job}`);
            expect(alerts[0]!.text).toContain(firstWords(result.error!));

            // nothing left: no part kept, none in the channel, an empty spool
            expect(app.runs.liveParts(result.runId)).toEqual([]);
            expect(fake.documents(CHANNEL).filter((m) => m.document!.file_name!.startsWith(result.fileName))).toEqual([]);
            expect(ws.spoolEntries()).toEqual([]);
            if (point === "part2") expect(fake.messages(CHANNEL, { includeDeleted: true }).filter((m) => m.document?.file_name === `${result.fileName}.001`)).toHaveLength(1);
          }, 60_000);
        }

  // The snapshot fits, the parts do not. (Compressed, the snapshot is read whole and removed
  // before the compressor gives out its first part: only the uncompressed payload fills it.)
  it.each([false, true])("SQLite with no compression (age: %s): a spool that fills while the first part is written fails with that reason, and leaves nothing behind", async (enc) => {
    const spool = path.join(ws.dataDir, "spool");
    mkdirSync(spool, { recursive: true });
    const room = Math.ceil(statSync(path.join(ws.dir, "big.sqlite")).size / 4096) * 4 + 256;
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${room}k`, "tmpfs", spool]);
    let result;
    try {
      result = await app.executor.execute(jobName("sqlite", "none", enc, "mid"), "manual");
      expect(ws.spoolEntries()).toEqual([]);
    } finally {
      execFileSync("umount", [spool]);
    }
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^spool: no space left on device while writing sqlite-[\w-]+_\d{8}-\d{6}\.sqlite(\.age)?\.001 in /);
    expect(app.runs.liveParts(result.runId)).toEqual([]);
  }, 60_000);

  it("a refused manifest fails the run too, and the parts already stored are removed", async () => {
    fake.failNext("sendDocument", { kind: "pass" }, 2);
    fake.failNext("sendDocument", { kind: "error", code: 400, description: "Bad Request: chat not found" });
    const result = await app.executor.execute("fine", "manual");
    expect(fake.pendingFaults("sendDocument")).toBe(0);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/^upload failed: Telegram chat -1004242424242 was not found\./);
    expect(fake.messages(CHANNEL, { includeDeleted: true }).filter((m) => m.document?.file_name?.startsWith(`${result.fileName}.0`))).toHaveLength(2);
    expect(fake.documents(CHANNEL).filter((m) => m.document!.file_name!.startsWith(result.fileName))).toEqual([]);
    expect(app.runs.liveParts(result.runId)).toEqual([]);
    expect(ws.spoolEntries()).toEqual([]);
  }, 60_000);

  it("and the next job runs as usual afterwards", async () => {
    const result = await app.executor.execute("fine", "manual");
    expect(result.error).toBeNull();
    expect(result.status).toBe("success");
    expect(result.verified).toBe(true);
    expect(fake.documents(CHANNEL).filter((m) => m.document!.file_name!.startsWith(result.fileName)).length).toBe(result.parts + 1);
    expect(ws.spoolEntries()).toEqual([]);
  }, 60_000);
});

function jobName(kind: Kind, compression: string, enc: boolean, point: Point): string {
  return `${kind}-${compression}-${enc ? "age" : "plain"}-${point}`;
}

/** The start of a reason as the alert shows it (long reasons may be cut at the end). */
function firstWords(reason: string): string {
  return reason.slice(0, 60);
}
