import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createPgDatabase, pgQuery, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const PERMISSION_DENIED = /dump failed: pg_dump exited with code 1: pg_dump: error: query failed: ERROR: permission denied for table t\b/;

/**
 * The hang QA found: a PostgreSQL role without SELECT on one table, plain SQL + gzip. From the
 * CLI it ended with exit 70 "internal error"; in the bot the run stayed "running" forever, no
 * alert came, and with concurrency 1 every other job waited behind it. Here it is run as a
 * user runs it: the real `tele-backup` process, the real PostgreSQL, the fake Bot API.
 */
describe("a dump that fails ends its run, and the queue moves on", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let pg: PgDatabase;
  let role: string;
  let proc: ChildProcess | undefined;
  let fakeBin: string;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, firstName: "Ada", languageCode: "en" });
    pg = await createPgDatabase("queue");
    role = `${pg.name}_nosel`;
    await pg.query(`
      create table a as select g as id, md5(g::text) as v from generate_series(1, 5000) g;
      create table t (x int); insert into t values (1);
      create role "${role}" login; grant select on a to "${role}";`);
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN), SCHEDULER_CONCURRENCY: "1", LOG_LEVEL: "warn" });
    const db = new Database(path.join(ws.dir, "notes.sqlite"));
    db.exec("create table notes (id integer primary key, body text); insert into notes (body) values ('one'), ('two');");
    db.close();
    mkdirSync(path.join(ws.dir, "tree"));
    writeFileSync(path.join(ws.dir, "tree", "a.txt"), "some text\n".repeat(50_000));
    // A zstd that compresses the first 100 kB, then fails like a full disk would.
    fakeBin = path.join(ws.dir, "fake-bin");
    mkdirSync(fakeBin);
    writeFileSync(
      path.join(fakeBin, "zstd"),
      // Its input is the file named last (an SQLite snapshot, read by zstd itself) or stdin.
      `#!/bin/sh\nfor last; do :; done\nif [ -f "$last" ]; then head -c 100000 "$last"; else head -c 100000; fi | /usr/bin/zstd -q -c\necho "zstd: error 70 : Write error : cannot write block : No space left on device" >&2\nexit 1\n`,
    );
    chmodSync(path.join(fakeBin, "zstd"), 0o755);
    const yaml = `
sources:
  - { name: locked, kind: postgres, host: 127.0.0.1, port: 5432, database: ${pg.name}, user: "${role}", password: "" }
  - { name: notes, kind: sqlite, path: ${path.join(ws.dir, "notes.sqlite")} }
  - { name: tree, kind: directory, path: ${path.join(ws.dir, "tree")} }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: locked-out, source: locked, destinations: [disk], schedule: "0 3 * * *", format: sql, compression: gzip }
  - { name: after-it, source: notes, destinations: [disk], schedule: "0 3 * * *" }
  - { name: tree-zstd, source: tree, destinations: [disk], schedule: "0 3 * * *", compression: zstd }
  - { name: notes-zstd, source: notes, destinations: [disk], schedule: "0 3 * * *", compression: zstd }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc!.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    await fake?.close();
    await pg?.drop();
    if (role) await pgQuery("postgres", `drop role if exists "${role}"`);
    ws?.remove();
  });

  it("CLI: `backup` exits 1 with pg_dump's own reason (not 70), and leaves an empty spool", async () => {
    const r = await ws.cli(["backup", "locked-out"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/run \d+: failed/);
    expect(r.stdout).toMatch(PERMISSION_DENIED);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(ws.spoolEntries()).toEqual([]);

    const json = await ws.cli(["backup", "locked-out", "--json"]);
    expect(json.code).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(PERMISSION_DENIED);
  }, 60_000);

  it.each([
    ["a compressor fed through its input", "tree-zstd"],
    ["zstd reading an SQLite snapshot itself", "notes-zstd"],
  ])("CLI: %s that fails after its first bytes is named with its own error, and the spool is left empty", async (_what, job) => {
    const r = await ws.cli(["backup", job], { PATH: `${fakeBin}:${process.env.PATH}` });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/error: +compress failed: zstd exited with code 1: zstd: error 70 : Write error : cannot write block : No space left on device/);
    expect(ws.spoolEntries()).toEqual([]);
  }, 60_000);

  it("bot: /runnow of the failing job sends the failure alert, then the job queued behind it runs and succeeds", async () => {
    proc = spawn(process.execPath, ["--import", "tsx", MAIN, "run"], { cwd: ROOT, env: ws.env, stdio: ["ignore", "inherit", "inherit"] });
    await fake.waitFor(() => fake.isPolling(), 30_000, "the bot to start polling");
    const botMessages = () => fake.messages(ADMIN).filter((m) => m.sent_by_bot !== undefined);

    fake.sendUserMessage(ADMIN, "/runnow locked-out");
    await fake.waitFor(() => botMessages().find((m) => /locked-out/.test(m.text ?? "")), 20_000, "the progress message of locked-out");
    fake.sendUserMessage(ADMIN, "/runnow after-it");

    const alert = await fake.waitFor(
      () => botMessages().find((m) => /❌ Backup FAILED: locked-out/.test(m.text ?? "")),
      30_000,
      `the failure alert (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text))})`,
    );
    expect(alert.text).toMatch(/permission denied for table t/);
    // The admin who pressed /runnow reads the result in its progress message, not in a second alert (issue 13, item 4).
    const failedRun = Number(/\(run #(\d+)/.exec(alert.text!)![1]);

    const done = await fake.waitFor(
      () => botMessages().find((m) => /Backup done: after-it/.test(m.text ?? "")),
      30_000,
      `after-it to finish (last: ${JSON.stringify(botMessages().slice(-3).map((m) => m.text))})`,
    );
    expect(done.text).toMatch(/run #\d+/);
    const okRun = Number(/run #(\d+)/.exec(done.text!)![1]);

    // concurrency 1: the second job ran after the first one had ended
    const app = await ws.app();
    try {
      const failed = app.runs.get(failedRun)!;
      const ok = app.runs.get(okRun)!;
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatch(PERMISSION_DENIED);
      expect(ok.status).toBe("success");
      expect(ok.startedAt.getTime()).toBeGreaterThanOrEqual(failed.finishedAt!.getTime());
    } finally {
      app.close();
    }
    expect(ws.spoolEntries()).toEqual([]);
  }, 90_000);
});
