import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, sh, type Workspace } from "../helpers/workspace.js";

/** Rich content: unicode, binary, JSON, numeric, timestamptz, NULLs; ~3 MB so small part sizes give several parts. */
const SEED = `
create table items (
  id serial primary key,
  title text,
  blob bytea,
  doc jsonb,
  price numeric(30,10),
  at timestamptz
);
insert into items (title, blob, doc, price, at) values
  ('Привет, 世界 🎉', decode('00ff10ab', 'hex'), '{"a": [1, 2, {"b": null}], "ключ": "значение"}', 12345678901234567890.0123456789, '2026-03-29 01:30:00+01'),
  (null, null, null, null, null),
  ('tab	and ''quote'' and \\ backslash', '\\x', '[]', -0.0000000001, '1970-01-01 00:00:00+00');
insert into items (title, blob, doc, price, at)
  select md5(g::text) || repeat('x', g % 50), decode(md5(g::text) || md5((g+1)::text), 'hex'), jsonb_build_object('g', g), g / 7.0, now() - (g || ' minutes')::interval
  from generate_series(1, 30000) g;
`;
const SNAPSHOT = `select id, title, encode(blob, 'hex'), doc::text, price::text, to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') from items order by id`;

describe("PostgreSQL end to end through the CLI", () => {
  let ws: Workspace;
  let source: PgDatabase;
  const targets: PgDatabase[] = [];
  let expected: string;
  const identity = { secret: "", recipient: "" };

  beforeAll(async () => {
    ws = createWorkspace();
    source = await createPgDatabase("e2e_src");
    await source.query(SEED);
    expected = await source.query(SNAPSHOT);
    identity.secret = await generateIdentity();
    identity.recipient = await identityToRecipient(identity.secret);
    writeFileSync(path.join(ws.dir, "key.txt"), `# test key\n${identity.secret}\n`);
    for (const t of ["e2e_a", "e2e_b", "e2e_c", "e2e_d"]) targets.push(await createPgDatabase(t));
    const yaml = `
sources:
  - { name: app-db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${source.name}, user: postgres, password: "" }
${targets.map((t, i) => `  - { name: target-${i}, kind: postgres, host: 127.0.0.1, port: 5432, database: ${t.name}, user: postgres, password: "" }`).join("\n")}
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: plain, source: app-db, destinations: [disk], schedule: "0 3 * * *", format: sql, compression: none, part_size: 1MiB }
  - { name: gz, source: app-db, destinations: [disk], schedule: "0 3 * * *", format: sql, compression: gzip, part_size: 1MiB }
  - { name: custom, source: app-db, destinations: [disk], schedule: "0 3 * * *", format: custom, compression: zstd }
  - name: sealed
    source: app-db
    destinations: [disk]
    schedule: "0 3 * * *"
    compression: gzip
    part_size: 1MiB
    encryption: { recipients: [${identity.recipient}] }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.stderr).toBe("");
    expect(imported.code).toBe(0);
  });

  afterAll(async () => {
    await source?.drop();
    for (const t of targets) await t.drop();
    ws?.remove();
  });

  const backup = async (job: string) => {
    const r = await ws.cli(["backup", job, "--json"]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    return JSON.parse(r.stdout) as { runId: number; status: string; fileName: string; parts: number; sha256: string; payloadSize: number; verified: boolean };
  };
  const partsOf = (job: string, fileName: string) =>
    readdirSync(path.join(ws.dir, "backups", job))
      .filter((f) => f.startsWith(fileName + ".") && /\.\d{3}$/.test(f))
      .sort()
      .map((f) => path.join(ws.dir, "backups", job, f));

  it("backs up in several parts, verifies, and restores into a fresh database with identical content", async () => {
    const result = await backup("plain");
    expect(result.status).toBe("success");
    expect(result.parts).toBeGreaterThan(2);
    expect(result.verified).toBe(true);
    expect(result.fileName).toMatch(/^plain_\d{8}-\d{6}\.sql$/);
    const parts = partsOf("plain", result.fileName);
    expect(parts).toHaveLength(result.parts);
    for (const p of parts) expect(readFileSync(p).length).toBeLessThanOrEqual(1024 * 1024);
    // the manifest beside the parts describes them
    const manifest = JSON.parse(readFileSync(path.join(ws.dir, "backups", "plain", `${result.fileName}.manifest.json`), "utf8"));
    expect(manifest.payload.sha256).toBe(result.sha256);
    expect(manifest.parts).toHaveLength(result.parts);
    expect(manifest.restore).toContain("psql");

    const verify = await ws.cli(["verify", String(result.runId)]);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/ok/);

    const restore = await ws.cli(["restore", String(result.runId), "--to", "target-0"]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await targets[0]!.query(SNAPSHOT)).toBe(expected);
  });

  it("restores with the standard tools alone: cat parts | gunzip | psql", async () => {
    const result = await backup("gz");
    expect(result.fileName).toMatch(/\.sql\.gz$/);
    const parts = partsOf("gz", result.fileName);
    expect(await sh(`cat ${parts.join(" ")} | sha256sum`)).toContain(result.sha256);
    await sh(`cat ${parts.join(" ")} | gunzip | psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d ${targets[1]!.name} >/dev/null`);
    expect(await targets[1]!.query(SNAPSHOT)).toBe(expected);
  });

  it("restores an age-encrypted backup with the Debian age CLI, and refuses to restore it without the key", async () => {
    const result = await backup("sealed");
    expect(result.fileName).toMatch(/\.sql\.gz\.age$/);
    const parts = partsOf("sealed", result.fileName);
    const head = readFileSync(parts[0]!).subarray(0, 40).toString("latin1");
    expect(head).toContain("age-encryption.org/v1");
    await sh(`cat ${parts.join(" ")} | age -d -i ${path.join(ws.dir, "key.txt")} | gunzip | psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d ${targets[2]!.name} >/dev/null`);
    expect(await targets[2]!.query(SNAPSHOT)).toBe(expected);

    const noKey = await ws.cli(["restore", String(result.runId), "--to", "target-3"]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/encrypted to age recipients: pass the private key with --identity/);
  });

  it("restores a custom-format (pg_dump -Fc) zstd backup with tele-backup restore --identity-less path", async () => {
    const result = await backup("custom");
    expect(result.fileName).toMatch(/\.dump\.zst$/);
    const restore = await ws.cli(["restore", String(result.runId), "--to", "target-3"]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await targets[3]!.query(SNAPSHOT)).toBe(expected);
  });

  it("restores an encrypted run to a plain SQL file with --identity", async () => {
    const sealed = (await ws.app()).runs.list(50).find((r) => r.jobName === "sealed" && r.status === "success")!;
    const out = path.join(ws.dir, "restored.sql");
    const r = await ws.cli(["restore", String(sealed.id), "--file", out, "--identity", path.join(ws.dir, "key.txt")]);
    expect(r.code, r.stderr).toBe(0);
    const sql = readFileSync(out, "utf8");
    expect(sql).toContain("PostgreSQL database dump");
    expect(sql).toContain("Привет, 世界 🎉");
    expect(ws.spoolEntries()).toEqual([]);
  });

  it("refuses another age key with a clear message: nothing restored, the target and its server untouched, no file written", async () => {
    const result = await backup("sealed");
    const other = await generateIdentity();
    const otherKey = ws.writeFile("other-key.txt", `${other}\n`);
    const target = targets[3]!;
    await target.query("create table if not exists untouched_marker (v text); insert into untouched_marker values ('before')");
    const state = async () => ({
      tables: await target.query("select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_schema = 'public'"),
      marker: await target.query("select string_agg(v, ',') from untouched_marker"),
      // Only this file's databases (their names carry this worker's pid): other test files
      // create and drop theirs on the same server meanwhile.
      databases: await target.query(`select string_agg(datname, ',' order by datname) from pg_database where datname like '%\\_${process.pid}\\_%'`),
    });
    const before = await state();
    const wanted = `the age identity given does not open run ${result.runId}; nothing was restored`;

    for (const into of [["--to", "target-3", "--replace"], ["--to", "target-3", "--new-database"]]) {
      const r = await ws.cli(["restore", String(result.runId), ...into, "--identity", otherKey]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(wanted);
      expect(r.stderr).not.toContain(other);
      expect(await state()).toEqual(before);
    }
    const out = path.join(ws.dir, "wrong-key.sql");
    const toFile = await ws.cli(["restore", String(result.runId), "--file", out, "--identity", otherKey]);
    expect(toFile.code).toBe(1);
    expect(toFile.stderr).toContain(wanted);
    expect(readdirSync(ws.dir)).not.toContain("wrong-key.sql");
    expect(ws.spoolEntries()).toEqual([]);
  });
});
