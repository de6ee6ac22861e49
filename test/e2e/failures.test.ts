import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { createDestinationFactory } from "../../src/destinations/registry.js";
import { BackupRunner } from "../../src/engine/backup-runner.js";
import { createSourceRegistry } from "../../src/sources/registry.js";
import { createMysqlDatabase, createMysqlUser, type MysqlDatabase } from "../helpers/mysql.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

/**
 * Every failure leaves a finished `failed` run with a readable error, no part marked
 * stored, an empty spool, and nothing half-written at the destination.
 */
describe("backup failures", () => {
  let ws: Workspace;
  let app: App;
  let pg: PgDatabase;
  let maria: MysqlDatabase;
  let mariaPassword: string;
  const backups = () => path.join(ws.dir, "backups");

  beforeAll(async () => {
    ws = createWorkspace({ MARIA_PW: "" });
    pg = await createPgDatabase("fail");
    // incompressible rows so a 1 MiB part size gives several parts
    await pg.query(`create table noise as select g as id, decode(string_agg(md5(g::text || x::text), ''), 'hex') as b
                    from generate_series(1, 3000) g, generate_series(1, 40) x group by g`);
    maria = await createMysqlDatabase("fail");
    const user = await createMysqlUser(maria.name);
    mariaPassword = user.password;
    const yaml = `
sources:
  - { name: pg, kind: postgres, host: 127.0.0.1, port: 5432, database: ${pg.name}, user: postgres, password: "" }
  - { name: nowhere, kind: postgres, host: 127.0.0.1, port: 1, database: x, user: postgres, password: "" }
  - { name: no-such-db, kind: postgres, host: 127.0.0.1, port: 5432, database: tb_does_not_exist, user: postgres, password: "" }
  - { name: maria-wrong-pw, kind: mysql, host: 127.0.0.1, port: 3306, database: ${maria.name}, user: ${user.user}, password: "definitely-wrong-Pw-42" }
destinations:
  - { name: disk, kind: local, path: ${backups()} }
jobs:
  - { name: pg-parts, source: pg, destinations: [disk], schedule: "0 3 * * *", compression: none, part_size: 1MiB }
  - { name: unreachable, source: nowhere, destinations: [disk], schedule: "0 3 * * *" }
  - { name: missing-db, source: no-such-db, destinations: [disk], schedule: "0 3 * * *" }
  - { name: wrong-pw, source: maria-wrong-pw, destinations: [disk], schedule: "0 3 * * *" }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    app = await ws.app();
  });

  afterAll(async () => {
    app?.close();
    await pg?.drop();
    await maria?.drop();
    ws?.remove();
  });

  const expectNothingLeft = (runId: number) => {
    const run = app.runs.get(runId)!;
    expect(run.status).toBe("failed");
    expect(run.finishedAt).not.toBeNull();
    expect(app.runs.liveParts(runId)).toEqual([]);
    expect(ws.spoolEntries()).toEqual([]);
    const files = readdirSafe(path.join(backups(), run.jobName));
    expect(files.filter((f) => f.startsWith(run.fileName ?? "?"))).toEqual([]);
    return run;
  };

  it("unknown job: exit 1 and a one-line reason", async () => {
    const r = await ws.cli(["backup", "nope"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('tele-backup: job "nope" not found');
  });

  it("unreachable host", async () => {
    const r = await ws.cli(["backup", "unreachable"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/run \d+: failed/);
    expect(r.stdout).toMatch(/error: +dump failed: .*(127\.0\.0\.1|port 1).*(refused|connect)/i);
    const runId = Number(/run (\d+)/.exec(r.stdout)![1]);
    expectNothingLeft(runId);
  });

  it("missing database", async () => {
    const r = await ws.cli(["backup", "missing-db", "--json"]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/tb_does_not_exist.*does not exist/);
    expectNothingLeft(result.runId);
  });

  it("wrong password: the error says so and never contains the password", async () => {
    const r = await ws.cli(["backup", "wrong-pw", "--json"]);
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result.error).toMatch(/access denied for user .*\(wrong user name or password\)/);
    expect(r.stdout + r.stderr).not.toContain("definitely-wrong-Pw-42");
    const run = expectNothingLeft(result.runId);
    expect(run.error).not.toContain("definitely-wrong-Pw-42");
    expect(mariaPassword).not.toBe("definitely-wrong-Pw-42");
  });

  it("pg_dump killed halfway: failed run, no parts kept, no child left", async () => {
    const job = await app.jobs.resolve("pg-parts");
    let killed = false;
    const result = await app.runner.run(job, {
      trigger: "cli",
      onProgress: (p) => {
        if (!killed && p.partsUploaded >= 1) {
          killed = true;
          // pkill directly, not through a shell whose own command line would match the pattern
          execFileSync("pkill", ["-KILL", "-f", `pg_dump.*${pg.name}`]);
        }
      },
    });
    expect(killed).toBe(true);
    expect(result.status).toBe("failed");
    expect(result.error).toMatch(/dump failed: .*pg_dump.*(SIGKILL|killed)/);
    expectNothingLeft(result.runId);
    expect(pgrep(`pg_dump.*${pg.name}`)).toBe("");
  });

  it("disk full in the spool: failed run with the reason, nothing kept", async () => {
    const spool = path.join(ws.dataDir, "spool");
    mkdirSync(spool, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1536k", "tmpfs", spool]);
    try {
      const job = await app.jobs.resolve("pg-parts");
      const result = await app.runner.run(job, { trigger: "cli" });
      expect(result.status).toBe("failed");
      expect(result.error).toMatch(/^spool: no space left on device while writing pg-parts_\d{8}-\d{6}\.sql\.\d{3}/);
      expectNothingLeft(result.runId);
    } finally {
      execFileSync("umount", [spool]);
    }
  });

  it("a successful run after all of that still works and the database holds no plaintext password", async () => {
    const r = await ws.cli(["backup", "pg-parts", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    app.db.$client.pragma("wal_checkpoint(TRUNCATE)");
    for (const f of readdirSync(ws.dataDir).filter((f) => f.startsWith("tele-backup.sqlite"))) {
      expect(readFileSync(path.join(ws.dataDir, f)).includes(Buffer.from("definitely-wrong-Pw-42"))).toBe(false);
    }
  });
});

describe("config import errors", () => {
  it("reports every error with its path and changes nothing", async () => {
    const ws = createWorkspace();
    try {
      const bad = `
sources:
  - { name: ok, kind: postgres, host: 127.0.0.1, port: 5432, database: x, user: postgres }
  - { name: Bad Name, kind: oracle }
destinations:
  - { name: disk, kind: local, path: relative/path }
jobs:
  - { name: j1, source: ok, destinations: [disk], schedule: "61 * * * *" }
  - { name: j2, source: missing, destinations: [nowhere], schedule: "0 3 * * *", compression: rar }
`;
      const r = await ws.cli(["config", "import", ws.writeFile("bad.yaml", bad)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/nothing was changed/);
      expect(r.stderr).toMatch(/sources\[1\]\.name: /);
      expect(r.stderr).toMatch(/sources\[1\]\.kind: /);
      expect(r.stderr).toMatch(/destinations\[0\]\.path: /);
      expect(r.stderr).toMatch(/jobs\[0\]\.schedule: /);
      expect(r.stderr).toMatch(/jobs\[1\]\.source: /);
      expect(r.stderr).toMatch(/jobs\[1\]\.compression: /);
      const exported = await ws.cli(["config", "export"]);
      expect(exported.stdout).not.toMatch(/name: ok/);

      const syntax = await ws.cli(["config", "import", ws.writeFile("syntax.yaml", "sources:\n  - { name: a\n")]);
      expect(syntax.code).toBe(1);
      expect(syntax.stderr).toMatch(/line \d+/);
    } finally {
      ws.remove();
    }
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function pgrep(pattern: string): string {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

describe("two runs of a job in the same second", () => {
  it("get different file names, also when another process starts the job in that second, so the second never overwrites the first one's parts", async () => {
    const ws = createWorkspace();
    const db = await createPgDatabase("same_second");
    try {
      await db.query("create table t as select g from generate_series(1, 10) g");
      const yaml = `
sources:
  - { name: db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, password: "" }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: quick, source: db, destinations: [disk], schedule: "0 3 * * *" }
`;
      expect((await ws.cli(["config", "import", ws.writeFile("c.yaml", yaml)])).code).toBe(0);
      const app = await ws.app();
      try {
        const job = await app.jobs.resolve("quick");
        const fixed = new Date("2026-05-01T10:00:00.250Z");
        const later = new Date("2026-05-01T10:05:00.250Z");
        const runner = new BackupRunner({ runs: app.runs, sources: createSourceRegistry({ log: app.log, docker: () => { throw new Error("no docker"); }, helperImage: undefined }), makeDestination: createDestinationFactory(), spoolDir: app.config.spoolDir, log: app.log, now: () => fixed });
        const first = await runner.run(job, { trigger: "cli" });
        const second = await runner.run(job, { trigger: "cli" });
        expect(first.fileName).toBe("quick_20260501-100000.sql.gz");
        expect(second.fileName).toBe("quick_20260501-100001.sql.gz");
        for (const r of [first, second]) {
          expect((await app.restorer.verify(r.runId)).ok).toBe(true);
        }

        // Another process starting the job in the same second: it holds the write lock between
        // its name check and its insert, while this one starts. This one waits, then takes the next name.
        const other = new Worker(
          `const { workerData: w, parentPort } = require("node:worker_threads");
           const db = new (require(w.module))(w.file);
           db.pragma("busy_timeout = 5000");
           db.exec("BEGIN IMMEDIATE");
           db.prepare("insert into runs (job_name, source_kind, trigger, status, started_at, file_name, owner) values ('quick', 'postgres', 'cli', 'running', ?, ?, '-:4194305.1')").run(Date.parse(w.at), w.name);
           parentPort.postMessage("locked");
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
           db.exec("COMMIT");
           db.close();`,
          { eval: true, workerData: { module: createRequire(import.meta.url).resolve("better-sqlite3"), file: app.config.dbPath, at: later.toISOString(), name: "quick_20260501-100500.sql.gz" } },
        );
        const exited = new Promise((resolve) => other.once("exit", resolve));
        await new Promise((resolve, reject) => {
          other.once("message", resolve);
          other.once("error", reject);
        });
        const raced = new BackupRunner({ runs: app.runs, sources: createSourceRegistry({ log: app.log, docker: () => { throw new Error("no docker"); }, helperImage: undefined }), makeDestination: createDestinationFactory(), spoolDir: app.config.spoolDir, log: app.log, now: () => later });
        const third = await raced.run(job, { trigger: "cli" });
        await exited;
        expect(third.fileName).toBe("quick_20260501-100501.sql.gz");
        expect(app.runs.list(10).filter((r) => r.fileName === "quick_20260501-100500.sql.gz")).toHaveLength(1);
      } finally {
        app.close();
      }
    } finally {
      await db.drop();
      ws.remove();
    }
  });
});
