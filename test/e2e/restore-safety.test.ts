import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMysqlDatabase, mysqlQuery, type MysqlDatabase } from "../helpers/mysql.js";
import { createPgDatabase, pgQuery, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, startCli, sh, type CliResult, type Workspace } from "../helpers/workspace.js";

/**
 * Restores that cannot leave a mix, through the real CLI: a backup that differs from a
 * non-empty target is restored with --replace and interrupted during the load — SIGTERM
 * and SIGKILL of tele-backup, SIGKILL of the client — at several points. Afterwards the
 * target is, table by table and row by row, EITHER what it was before OR the backup.
 */

/** Processes named `comm` (psql, mariadb) whose command line holds every one of `needles`. */
async function clientPids(comm: string, ...needles: string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (!stat.startsWith(`${entry} (${comm})`)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (needles.every((n) => cmdline.includes(n))) pids.push(Number(entry));
  }
  return pids;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Interrupt = "SIGTERM tele-backup" | "SIGKILL tele-backup" | "SIGKILL client";
const INTERRUPTS: Interrupt[] = ["SIGTERM tele-backup", "SIGKILL tele-backup", "SIGKILL client"];
/** Delays after the client started loading: right away, early, later in the load. */
const POINTS = [0, 300, 900];

interface Engine {
  name: string;
  client: string;
  /** What only the loading client's command line holds (not the short admin queries'). */
  loader(db: string): string[];
  /** The canonical content of a database: schema plus every table's ordered rows. */
  canonical(db: string): Promise<string>;
  createDb(prefix: string): Promise<PgDatabase | MysqlDatabase>;
  seedBackup: string;
  seedTarget: string;
  /** Something in the source that makes the load fail after the big table went in. */
  seedFailing: string;
  sourceYaml(name: string, db: string): string;
  /** Scratch/trash databases of restores into `db`. */
  scratch(db: string): Promise<string>;
}

const PG: Engine = {
  name: "PostgreSQL",
  client: "psql",
  loader: (db) => [`dbname='${db}'`, "--file=-"],
  async canonical(db) {
    const schema = (await sh(`pg_dump -h 127.0.0.1 -U postgres --schema-only ${db}`)).replace(/^\\(un)?restrict .*$/gm, "");
    const tables = (await pgQuery(db, "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")).split("\n").filter(Boolean);
    const rows: string[] = [];
    for (const t of tables) rows.push(`${t}: ${await pgQuery(db, `SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '-') FROM ${t} x`)}`);
    return `${schema}\n${rows.join("\n")}`;
  },
  createDb: (prefix) => createPgDatabase(prefix),
  seedBackup: `
    CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, amount numeric(12,2));
    INSERT INTO items SELECT g, 'backup-' || md5(g::text) || repeat('b', 60), g / 3.0 FROM generate_series(1, 200000) g;
    CREATE TABLE notes (id serial PRIMARY KEY, body text);
    INSERT INTO notes (body) VALUES ('only in the backup');`,
  seedTarget: `
    CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, amount numeric(12,2), extra text);
    INSERT INTO items SELECT g, 'current-' || md5(g::text), g / 7.0, 'x' FROM generate_series(1, 150000) g;
    CREATE TABLE current_only (k text PRIMARY KEY);
    INSERT INTO current_only VALUES ('the current data');`,
  // A classic restore-time failure: a CHECK calling a function whose body names a table
  // without its schema; pg_dump's restore runs with an empty search_path.
  seedFailing: `
    CREATE TABLE lookup (v int);
    INSERT INTO lookup VALUES (1);
    CREATE FUNCTION positive_enough(x int) RETURNS boolean LANGUAGE sql AS 'SELECT x >= (SELECT min(v) FROM lookup)';
    CREATE TABLE zz_checked (x int CHECK (public.positive_enough(x)));
    INSERT INTO zz_checked VALUES (5);`,
  sourceYaml: (name, db) => `  - { name: ${name}, kind: postgres, host: 127.0.0.1, port: 5432, database: ${db}, user: postgres, password: "" }`,
  scratch: (db) => pgQuery("postgres", `SELECT datname FROM pg_database WHERE datname LIKE '${db.slice(0, 30)}\\_\\_tb\\_%'`),
};

const MARIADB: Engine = {
  name: "MariaDB",
  client: "mariadb",
  loader: (db) => [`--database=${db.slice(0, 30)}__tb_scratch_`],
  async canonical(db) {
    const dump = await sh(`mariadb-dump --no-defaults -h 127.0.0.1 -u root --skip-dump-date --order-by-primary --skip-comments ${db}`);
    const tables = (await mysqlQuery(db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1")).split("\n").filter(Boolean);
    return `${dump}\n${tables.join(",")}`;
  },
  createDb: (prefix) => createMysqlDatabase(prefix),
  seedBackup: `
    CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(120) NOT NULL, amount DECIMAL(12,2)) ENGINE=InnoDB;
    INSERT INTO items SELECT seq, CONCAT('backup-', MD5(seq), REPEAT('b', 60)), seq / 3 FROM seq_1_to_200000;
    CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT) ENGINE=InnoDB;
    INSERT INTO notes (body) VALUES ('only in the backup');`,
  seedTarget: `
    CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(120) NOT NULL, amount DECIMAL(12,2), extra TEXT) ENGINE=InnoDB;
    INSERT INTO items SELECT seq, CONCAT('current-', MD5(seq)), seq / 7, 'x' FROM seq_1_to_150000;
    CREATE TABLE current_only (k VARCHAR(50) PRIMARY KEY) ENGINE=InnoDB;
    INSERT INTO current_only VALUES ('the current data');`,
  // A CHECK added while MariaDB did not check it: the dump's INSERT then violates it.
  seedFailing: `
    CREATE TABLE zz_checked (x INT) ENGINE=InnoDB;
    INSERT INTO zz_checked VALUES (-1);
    SET check_constraint_checks = 0;
    ALTER TABLE zz_checked ADD CONSTRAINT positive CHECK (x > 0);`,
  sourceYaml: (name, db) => `  - { name: ${name}, kind: mysql, host: 127.0.0.1, port: 3306, database: ${db}, user: root, password: "" }`,
  scratch: (db) => mysqlQuery(undefined, `SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${db.slice(0, 30)}\\_\\_tb\\_%'`),
};

const TRIALS = INTERRUPTS.flatMap((interrupt) => POINTS.map((delay) => ({ interrupt, delay })));

describe.each([PG, MARIADB])("$name: a restore into a non-empty target never leaves a mix", (engine) => {
  let ws: Workspace;
  const dbs: Array<PgDatabase | MysqlDatabase> = [];
  let source: PgDatabase | MysqlDatabase;
  let failing: PgDatabase | MysqlDatabase;
  const targets: Array<PgDatabase | MysqlDatabase> = [];
  let backupState: string;
  let beforeState: string;
  let runId: number;
  let failingRunId: number;

  beforeAll(async () => {
    ws = createWorkspace();
    source = await engine.createDb("rs_src");
    failing = await engine.createDb("rs_fail");
    dbs.push(source, failing);
    await source.query(engine.seedBackup);
    await failing.query(engine.seedBackup + engine.seedFailing);
    // one target per trial, plus one for the SQL error and one that completes
    for (let i = 0; i < TRIALS.length + 2; i++) {
      const t = await engine.createDb(`rs_dst${i}`);
      await t.query(engine.seedTarget);
      targets.push(t);
      dbs.push(t);
    }
    backupState = await engine.canonical(source.name);
    beforeState = await engine.canonical(targets[0]!.name);
    const yaml = `
sources:
${engine.sourceYaml("app-db", source.name)}
${engine.sourceYaml("failing-db", failing.name)}
${targets.map((t, i) => engine.sourceYaml(`target-${i}`, t.name)).join("\n")}
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: nightly, source: app-db, destinations: [disk], schedule: "0 3 * * *", format: sql, compression: gzip }
  - { name: broken, source: failing-db, destinations: [disk], schedule: "0 3 * * *", format: sql, compression: none }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
    for (const job of ["nightly", "broken"]) {
      const r = await ws.cli(["backup", job, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      const id = (JSON.parse(r.stdout) as { runId: number }).runId;
      if (job === "nightly") runId = id;
      else failingRunId = id;
    }
  }, 300_000);

  afterAll(async () => {
    for (const db of dbs) await db.drop();
    ws?.remove();
  });

  it.each(TRIALS.map((t, i) => ({ ...t, i })))("$interrupt $delay ms into the load: the target is its old self or the backup", async ({ interrupt, delay, i }) => {
    const target = targets[i]!;
    expect(await engine.canonical(target.name)).toBe(beforeState);
    const started = startCli(ws.env, ["restore", String(runId), "--to", `target-${i}`, "--replace"]);
    let ended: CliResult | undefined;
    void started.result.then((r) => (ended = r));
    const [clientPid] = await waitFor(`${engine.client} loading into ${target.name}`, async () => {
      const pids = await clientPids(engine.client, ...engine.loader(target.name));
      // A restore that ended before its client was seen is a failure of its own: say why at once.
      if (!pids.length && ended) throw new Error(`the restore ended (exit ${ended.code}) before ${engine.client} was seen loading: ${ended.stderr}`);
      return pids.length ? pids : undefined;
    });
    await sleep(delay);
    if (interrupt === "SIGKILL client") {
      try {
        process.kill(clientPid!, "SIGKILL");
      } catch {
        // the load had already finished: then the restore must have completed (checked below)
      }
    }
    else started.child.kill(interrupt === "SIGTERM tele-backup" ? "SIGTERM" : "SIGKILL");
    const result = await started.result;

    // No client is left running (after SIGKILL of tele-backup the client sees the end of its input and quits).
    await waitFor("the client to exit", async () => ((await clientPids(engine.client, target.name)).length === 0 ? true : undefined), 20_000);
    const after = await engine.canonical(target.name);
    expect([beforeState, backupState]).toContain(after);
    if (result.code === 0) {
      expect(after).toBe(backupState);
    } else if (interrupt !== "SIGKILL tele-backup") {
      // tele-backup told the user why, and the target kept its data
      expect(after).toBe(beforeState);
      expect(result.stderr).not.toMatch(/EPIPE/);
      expect(result.stderr).toMatch(interrupt === "SIGKILL client" ? new RegExp(`^tele-backup: ${engine.client} was killed by SIGKILL`, "m") : /^tele-backup: .*aborted/m);
    }
    if (delay === 0) expect(after).toBe(beforeState); // interrupted while the load had only begun
    if (interrupt !== "SIGKILL tele-backup") expect(await engine.scratch(target.name)).toBe("");
  });

  it("a backup whose load fails with an SQL error midway leaves the target as it was, and shows the client's own error", async () => {
    const i = TRIALS.length;
    const target = targets[i]!;
    const r = await ws.cli(["restore", String(failingRunId), "--to", `target-${i}`, "--replace"]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/EPIPE/);
    if (engine === PG) expect(r.stderr).toMatch(/^tele-backup: psql exited with code 3: .*relation "lookup" does not exist/m);
    else expect(r.stderr).toMatch(/^tele-backup: mariadb exited with code 1: .*CONSTRAINT `positive` failed/m);
    expect(await engine.canonical(target.name)).toBe(beforeState);
    expect(await engine.scratch(target.name)).toBe("");
  });

  it("without --replace a non-empty target is refused up front; with it, the target becomes exactly the backup", async () => {
    const i = TRIALS.length + 1;
    const target = targets[i]!;
    const refused = await ws.cli(["restore", String(runId), "--to", `target-${i}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `tele-backup: source "target-${i}" (database ${target.name}) is not empty. Restore beside it with --new-database (nothing is touched), or replace its content with --replace (the current data is dropped once the backup has loaded completely; after any failure it stays as it is).\n`,
    );
    expect(await engine.canonical(target.name)).toBe(beforeState);
    const r = await ws.cli(["restore", String(runId), "--to", `target-${i}`, "--replace"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await engine.canonical(target.name)).toBe(backupState);
    expect(await engine.scratch(target.name)).toBe("");
  });

  it("--new-database restores beside the original under the proposed name, which then cannot be taken twice", async () => {
    const r = await ws.cli(["restore", String(runId), "--to", "app-db", "--new-database"]);
    expect(r.code, r.stderr).toBe(0);
    const m = /restored into the new database (\S+) on the server of source "app-db"/.exec(r.stdout);
    expect(m).not.toBeNull();
    const name = m![1]!;
    expect(name).toMatch(new RegExp(`^${source.name}_restored_\\d{8}_\\d{4}$`));
    dbs.push({ name, drop: () => (engine === PG ? pgQuery("postgres", `DROP DATABASE IF EXISTS "${name}"`) : mysqlQuery(undefined, `DROP DATABASE IF EXISTS \`${name}\``)).then(() => {}) } as PgDatabase);
    expect(await engine.canonical(name)).toBe(backupState);
    expect(await engine.scratch(name)).toBe("");

    const again = await ws.cli(["restore", String(runId), "--to", "app-db", `--new-database=${name}`]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`tele-backup: database "${name}" already exists on 127.0.0.1:${engine === PG ? 5432 : 3306}; choose another name for the new database\n`);
  });
});
