import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeS3, type FakeS3 } from "../fake-s3/server.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const MiB = 1024 * 1024;

/**
 * An S3 job end to end against the fake S3 server (real HTTP, SigV4 checked, multipart with
 * S3's 5 MiB minimum) and a real PostgreSQL: backup with a multipart part, a 503 SlowDown and
 * dropped connections on upload and read-back; verify and restore through the CLI; retention
 * deletes the older run's objects; the secret key stays encrypted.
 */
describe("S3 destination end to end", () => {
  let fake: FakeS3;
  let ws: Workspace;
  let app: App;
  let source: PgDatabase;
  let target: PgDatabase;
  const SNAPSHOT = "select id, encode(b, 'hex') from noise order by id";
  const objectsOf = (run: { fileName: string | null }) => [...fake.objects("backups").keys()].filter((k) => k.includes(run.fileName!)).sort();

  beforeAll(async () => {
    fake = await startFakeS3({ buckets: ["backups"] });
    source = await createPgDatabase("s3_src");
    target = await createPgDatabase("s3_dst");
    // ~11 MiB of incompressible rows: an 8 MiB part (multipart: two chunks) and a smaller one.
    await source.query(`create table noise as select g as id, decode(string_agg(md5(g::text || x::text), ''), 'hex') as b
                        from generate_series(1, 8600) g, generate_series(1, 40) x group by g`);
    ws = createWorkspace({ S3_TEST_SECRET: fake.secretAccessKey });
    const yaml = `
sources:
  - { name: app-db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${source.name}, user: postgres, password: "" }
  - { name: restore-here, kind: postgres, host: 127.0.0.1, port: 5432, database: ${target.name}, user: postgres, password: "" }
destinations:
  - name: bucket
    kind: s3
    endpoint: ${fake.endpoint}
    region: ${fake.region}
    bucket: backups
    prefix: nightly/
    path_style: true
    access_key_id: ${fake.accessKeyId}
    secret_access_key: "${fake.secretAccessKey}"
    storage_class: STANDARD_IA
jobs:
  - { name: app, source: app-db, destinations: [bucket], schedule: "0 3 * * *", compression: none, part_size: 8MiB, retention: { keep_last: 1 } }
`;
    // import tests the bucket first: a wrong secret key is refused and nothing is saved
    const wrong = await ws.cli(["config", "import", ws.writeFile("wrong.yaml", yaml.replace(fake.secretAccessKey, "not-the-secret-key-000"))]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/SignatureDoesNotMatch/);
    expect(wrong.stderr).not.toContain("not-the-secret-key-000");
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests.filter((q) => q.status === 200 || q.status === 204).map((q) => q.op)).toEqual(["put", "get", "delete"]);
    fake.requests.length = 0;
    app = await ws.app({}, { retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 200 }, s3: { multipartThreshold: 6 * MiB, chunkSize: 5 * MiB } });
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    await source?.drop();
    await target?.drop();
    ws?.remove();
  });

  it("backs up through a 503 and dropped connections, with a multipart part; verify, restore and retention work; the secret stays encrypted", async () => {
    fake.failNext("upload-part", { kind: "slowdown" });
    fake.failNext("put", { kind: "drop", afterBytes: 64 * 1024 });
    fake.failNext("get", { kind: "drop" });
    const first = await app.executor.execute("app", "manual");
    expect(first.error).toBeNull();
    expect(first.status).toBe("success");
    expect(first.parts).toBe(2);
    expect(first.verified).toBe(true);

    // every fault happened, and was got past by the runner's one retry layer
    expect(fake.requests.filter((r) => r.op === "upload-part" && r.status === 503)).toHaveLength(1);
    expect(fake.requests.filter((r) => r.op === "put" && r.status === "dropped")).toHaveLength(1);
    expect(fake.requests.filter((r) => r.op === "get" && r.status === "dropped")).toHaveLength(1);
    expect(fake.requests.filter((r) => r.op === "complete-multipart" && r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(fake.pendingUploads("backups")).toEqual([]);

    const keys = objectsOf(first);
    expect(keys).toEqual([`nightly/app/${first.fileName}.001`, `nightly/app/${first.fileName}.002`, `nightly/app/${first.fileName}.manifest.json`]);
    const part1 = fake.objects("backups").get(`nightly/app/${first.fileName}.001`)!;
    expect(part1.body.length).toBe(8 * MiB);
    expect(part1.etag).toMatch(/-2"$/); // a multipart upload of two chunks
    expect(part1.storageClass).toBe("STANDARD_IA");
    const manifestKey = keys.find((k) => k.endsWith("manifest.json"))!;
    const manifest = JSON.parse(fake.objects("backups").get(manifestKey)!.body.toString("utf8"));
    expect(manifest.parts.map((p: { sha256: string }) => p.sha256)).toEqual([1, 2].map((i) => fake.objects("backups").get(`nightly/app/${first.fileName}.00${i}`)!.meta.sha256));

    const verify = await ws.cli(["verify", String(first.runId)]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const restore = await ws.cli(["restore", String(first.runId), "--to", "restore-here"]);
    expect(restore.code, restore.stderr).toBe(0);
    expect(await target.query(SNAPSHOT)).toBe(await source.query(SNAPSHOT));

    // retention keep_last 1: the second run's success removes the first run's objects
    await source.query("insert into noise values (999999, '\\x00')");
    const second = await app.executor.execute("app", "manual");
    expect(second.status).toBe("success");
    expect(objectsOf(first)).toEqual([]);
    expect(objectsOf(second)).toHaveLength(3);
    expect(fake.requests.filter((r) => r.op === "delete" && r.key.includes(first.fileName!) && r.status === 204)).toHaveLength(3);

    // the secret access key: encrypted in the database, masked in exports, in no output
    const dbBytes = Buffer.concat(["tele-backup.sqlite", "tele-backup.sqlite-wal"].map((f) => (existsSync(path.join(ws.dataDir, f)) ? readFileSync(path.join(ws.dataDir, f)) : Buffer.alloc(0))));
    expect(dbBytes.includes(Buffer.from(fake.secretAccessKey))).toBe(false);
    const exported = await ws.cli(["config", "export"]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toContain("kind: s3");
    expect(exported.stdout).not.toContain(fake.secretAccessKey);
    for (const out of [verify, restore, exported]) expect(out.stdout + out.stderr).not.toContain(fake.secretAccessKey);
  });
});
