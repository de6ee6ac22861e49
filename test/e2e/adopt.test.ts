import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { ValidationError } from "../../src/services/errors.js";
import { createTelegramCatalogChat } from "../../src/destinations/telegram-catalog.js";
import { readPinnedCatalog } from "../../src/engine/catalog.js";
import { INSTALLATION_KEY } from "../../src/engine/installation.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createPgDatabase, pgQuery, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const CHANNEL = -1001234500031;

/**
 * Disaster recovery from the channel alone: the data folder is lost, a fresh install with the
 * same bot and a new MASTER_KEY adopts the chat's catalog and restores from it.
 */
describe("tele-backup adopt <chat>", () => {
  let fake: FakeTelegram;
  let old: Workspace;
  let fresh: Workspace;
  let source: PgDatabase;
  let files: string;
  const snapshots = new Map<number, string>(); // old run id → what the source held
  const fileSnapshots = new Map<number, string>();
  const kept: number[] = [];
  const newDatabase = `tb_adopted_${process.pid}_${Date.now() % 100000}`;
  const table = () => source.query("select string_agg(id || ':' || note, ',' order by id) from t");

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: 111 });
    fake.createChannel({ id: CHANNEL });
    source = await createPgDatabase("adopt");
    await source.query("create table t (id int primary key, note text)");
    old = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot });
    files = path.join(old.dir, "files");
    mkdirSync(files);
    const yaml = `
sources:
  - { name: db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${source.name}, user: postgres, password: "s3cret-pw" }
  - { name: files, kind: directory, path: ${files} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: pg, source: db, destinations: [channel], schedule: "0 3 * * *", retention: { keep_last: 2 } }
  - { name: dir, source: files, destinations: [channel], schedule: "0 4 * * *", encryption: { passphrase: "dir-passphrase" }, retention: { keep_last: 2 } }
`;
    const imported = await old.cli(["config", "import", old.writeFile("c.yaml", yaml)]);
    expect(imported.stderr).toBe("");
    const app: App = await old.app();
    try {
      for (let i = 1; i <= 3; i++) {
        await source.query(`insert into t values (${i}, 'row ${i}')`);
        writeFileSync(path.join(files, "state.txt"), `version ${i}\n`);
        const pg = await app.executor.execute("pg", "manual");
        const dir = await app.executor.execute("dir", "manual");
        expect([pg.status, dir.status]).toEqual(["success", "success"]);
        snapshots.set(pg.runId, await table());
        fileSnapshots.set(dir.runId, `version ${i}\n`);
      }
      // the third run of each job pruned its first one
      const all = app.runs.list();
      expect(all.filter((r) => r.expiredAt != null)).toHaveLength(2);
      kept.push(...all.filter((r) => r.expiredAt == null).map((r) => r.id).sort((a, b) => a - b));
      expect(kept).toHaveLength(4);
    } finally {
      app.close();
    }
    // the host is gone: its data folder with it
    rmSync(old.dataDir, { recursive: true, force: true });
    await source.query("insert into t values (99, 'after the last backup')");
    fresh = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, MASTER_KEY: "a-completely-new-master-key-0987654321" });
  }, 120_000);

  afterAll(async () => {
    await fake?.close();
    await source?.drop();
    await pgQuery("postgres", `DROP DATABASE IF EXISTS "${newDatabase}" WITH (FORCE)`).catch(() => {});
    old?.remove();
    fresh?.remove();
  });

  it("lists exactly the kept runs and the jobs, and imports nothing without --yes", async () => {
    const shown = await fresh.cli(["adopt", String(CHANNEL)]);
    expect(shown.stderr).toBe("");
    expect(shown.code).toBe(0);
    const listed = [...shown.stdout.matchAll(/^ {2}run (\d+) · (\w+) · .* · complete$/gm)].map((m) => Number(m[1]));
    expect(listed.sort((a, b) => a - b)).toEqual(kept);
    expect(shown.stdout).toMatch(/^ {2}pg · postgres source "db" · 0 3 \* \* \* · created DISABLED; secrets to set before enabling: the password of source "db"$/m);
    expect(shown.stdout).toMatch(/^ {2}dir · directory source "files" · 0 4 \* \* \* · created DISABLED; secrets to set before enabling: the job's passphrase$/m);
    expect(shown.stdout).toMatch(/nothing imported yet: run again with --yes/);
    const app = await fresh.app();
    expect(app.runs.list()).toEqual([]);
    app.close();
  });

  it("imports with --yes, idempotently; restores a PostgreSQL run into a new database and a directory run, both as they were", async () => {
    const first = await fresh.cli(["adopt", String(CHANNEL), "--yes"]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/imported 4 runs \(0 already here\) with destination "channel"; jobs created disabled: pg, dir; sources created: db, files/);
    const mapping = [...first.stdout.matchAll(/^ {2}run (\d+) \((\w+)\) is run (\d+) here/gm)].map((m) => [Number(m[1]), Number(m[3])] as const);
    expect(mapping.map(([from]) => from).sort((a, b) => a - b)).toEqual(kept);
    const again = await fresh.cli(["adopt", String(CHANNEL), "--yes"]);
    expect(again.stdout).toMatch(/imported 0 runs \(4 already here\)/);

    const app = await fresh.app();
    const byFile = (jobName: string) => app.runs.list().filter((r) => r.jobName === jobName).sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    expect(app.runs.list()).toHaveLength(4);
    const pgRuns = byFile("pg");
    const dirRuns = byFile("dir");
    // the adopted runs keep the old installation's run ids in their manifests
    const oldIdOf = (r: (typeof pgRuns)[number]) => (r.manifest as { run_id: number }).run_id;
    for (const [from, id] of mapping) expect(oldIdOf(app.runs.get(id)!)).toBe(from);
    expect([...pgRuns, ...dirRuns].map(oldIdOf).sort((a, b) => a - b)).toEqual(kept);
    const jobs = app.jobs.list();
    expect(jobs.map((j) => [j.name, j.enabled])).toEqual([["pg", false], ["dir", false]]);
    app.close();

    // the older kept PostgreSQL run, into a new database
    const pgRun = pgRuns[0]!;
    const verified = await fresh.cli(["verify", String(pgRun.id)]);
    expect(verified.code).toBe(0);
    const restored = await fresh.cli(["restore", String(pgRun.id), "--to", "db", `--new-database=${newDatabase}`]);
    expect(restored.stderr).not.toMatch(/tele-backup:/);
    expect(restored.code).toBe(0);
    expect(await pgQuery(newDatabase, "select string_agg(id || ':' || note, ',' order by id) from t")).toBe(snapshots.get(oldIdOf(pgRun)));
    expect(snapshots.get(oldIdOf(pgRun))).toBe("1:row 1,2:row 2");

    // the newest directory run, into an empty folder, with its passphrase given
    const dirRun = dirRuns.at(-1)!;
    const target = path.join(fresh.dir, "files-copy");
    mkdirSync(target);
    const imported = await fresh.cli(["config", "import", fresh.writeFile("copy.yaml", `sources:\n  - { name: files-copy, kind: directory, path: ${target} }\n`)]);
    expect(imported.code).toBe(0);
    const refused = await fresh.cli(["restore", String(dirRun.id), "--to", "files-copy"]);
    expect(refused.code).toBe(1);
    const passphrase = fresh.writeFile("pass.txt", "dir-passphrase\n");
    const dirRestored = await fresh.cli(["restore", String(dirRun.id), "--to", "files-copy", "--passphrase-file", passphrase]);
    expect(dirRestored.stderr).not.toMatch(/tele-backup:/);
    expect(dirRestored.code).toBe(0);
    expect(readFileSync(path.join(target, "state.txt"), "utf8")).toBe(fileSnapshots.get(oldIdOf(dirRun)));
    expect(fileSnapshots.get(oldIdOf(dirRun))).toBe("version 3\n");
  }, 120_000);

  it("keeps an adopted job disabled until its missing secret is set", async () => {
    const app = await fresh.app();
    try {
      expect(() => app.jobs.update("pg", { enabled: true })).toThrow(ValidationError);
      expect(() => app.jobs.update("pg", { enabled: true })).toThrow(/source "db" was adopted without its password/);
      expect(() => app.jobs.update("dir", { enabled: true })).toThrow(/job "dir" was adopted without its passphrase/);
      app.sources.update("db", { password: "s3cret-pw" });
      expect(app.jobs.update("pg", { enabled: true }).enabled).toBe(true);
      expect(app.jobs.update("dir", { enabled: true, encryption: { passphrase: "dir-passphrase" } }).enabled).toBe(true);
      expect(app.jobsRepo.findByName("dir")!.missingSecrets).toEqual([]);
    } finally {
      app.close();
    }
  });

  it("goes on from there: the new host's runs prune nothing adopted, its catalog lists both; --take-over makes them its own", async () => {
    const app = await fresh.app();
    let oldInstallation: string;
    try {
      const adopted = app.runs.list().map((r) => r.id);
      oldInstallation = app.runs.get(adopted[0]!)!.installationId!;
      expect(oldInstallation).not.toBe(app.settings.get(INSTALLATION_KEY));
      await source.query("insert into t values (100, 'on the new host')");
      const run = await app.executor.execute("pg", "manual");
      expect(run.status).toBe("success");
      for (const id of adopted) expect(app.runs.get(id)!.expiredAt).toBeNull(); // keep_last 2 leaves them alone
      const catalog = await readPinnedCatalog(createTelegramCatalogChat({ token: fake.token, apiRoot: fake.apiRoot, chat: String(CHANNEL) }));
      expect(catalog.installation_id).toBe(app.settings.get(INSTALLATION_KEY));
      expect(catalog.runs.map((r) => r.installation_id).sort()).toEqual([...Array(4).fill(oldInstallation), app.settings.get(INSTALLATION_KEY)].sort());
    } finally {
      app.close();
    }

    // a third host takes them over: they become its own (its retention decides about them)
    const third = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, MASTER_KEY: "yet-another-master-key-11223344556677" });
    try {
      const taken = await third.cli(["adopt", String(CHANNEL), "--yes", "--take-over"]);
      expect(taken.stdout).toMatch(/imported 5 runs \(0 already here\)/);
      const app3 = await third.app();
      const own = app3.settings.get(INSTALLATION_KEY);
      expect(app3.runs.list().map((r) => r.installationId)).toEqual(Array(5).fill(own));
      app3.close();
    } finally {
      third.remove();
    }
  }, 120_000);
});
