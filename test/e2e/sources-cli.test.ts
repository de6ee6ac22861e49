import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDocker } from "../helpers/docker-engine.js";
import { createMysqlDatabase, type MysqlDatabase } from "../helpers/mysql.js";
import { diffTrees, snapshotTree, writeTree } from "../helpers/tree.js";
import { createWorkspace, sh, type Workspace } from "../helpers/workspace.js";

/** The same user path for every source kind: config import → backup → restore into a fresh target → compare. */
describe("every source kind through the CLI", () => {
  let ws: Workspace;
  let maria: MysqlDatabase;
  let mariaTarget: MysqlDatabase;
  const volumes: string[] = [];
  let docker: ReturnType<typeof testDocker>;

  beforeAll(async () => {
    docker = testDocker();
    ws = createWorkspace({ DOCKER_HOST: docker.host, HELPER_IMAGE: docker.helperImage });
    maria = await createMysqlDatabase("cli_src");
    mariaTarget = await createMysqlDatabase("cli_dst");
    await maria.query(`
      create table t (id int primary key, name varchar(100) character set utf8mb4, data blob, doc json, amount decimal(30,10), at datetime(6), nothing int);
      insert into t values (1, 'Привет, 世界 🎉', x'00ff7f80', '{"k": [1, "два"]}', 12345678901234567890.0123456789, '2026-03-29 01:30:00.123456', null),
                           (2, null, null, null, null, null, null);`);
    const db = new Database(path.join(ws.dir, "notes.sqlite"));
    db.exec(`create table notes (id integer primary key, body text, raw blob); insert into notes (body, raw) values ('заметка 📝', x'00ff'), (null, null);`);
    db.close();
    await writeTree(path.join(ws.dir, "configs"), {
      "app/settings.yaml": { content: "key: значение\n", mode: 0o640 },
      "run.sh": { content: "#!/bin/sh\necho hi\n", mode: 0o755 },
      "empty": { dir: true },
      "link": { symlink: "app/settings.yaml" },
      "данные 📦.bin": Buffer.from([0, 1, 2, 255]),
    });
    const seed = `tb_cli_vol_${process.pid}`;
    volumes.push(seed, `${seed}_restored`);
    await docker.docker.createVolume({ Name: seed });
    const mount = (await docker.docker.getVolume(seed).inspect()).Mountpoint;
    await writeTree(mount, { "uploads/a.txt": "volume file\n", "uploads/b.bin": Buffer.alloc(70_000, 7), "keep": { dir: true } });

    const yaml = `
sources:
  - { name: shop, kind: mysql, host: 127.0.0.1, port: 3306, database: ${maria.name}, user: root, password: "" }
  - { name: shop-copy, kind: mysql, host: 127.0.0.1, port: 3306, database: ${mariaTarget.name}, user: root, password: "" }
  - { name: notes, kind: sqlite, path: ${path.join(ws.dir, "notes.sqlite")} }
  - { name: notes-copy, kind: sqlite, path: ${path.join(ws.dir, "restored", "notes.sqlite")} }
  - { name: configs, kind: directory, path: ${path.join(ws.dir, "configs")} }
  - { name: configs-copy, kind: directory, path: ${path.join(ws.dir, "restored", "configs")} }
  - { name: uploads, kind: volume, volume: ${seed} }
  - { name: uploads-copy, kind: volume, volume: ${seed}_restored }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: shop, source: shop, destinations: [disk], schedule: "0 3 * * *" }
  - { name: notes, source: notes, destinations: [disk], schedule: "0 3 * * *", compression: zstd }
  - { name: configs, source: configs, destinations: [disk], schedule: "0 3 * * *" }
  - { name: uploads, source: uploads, destinations: [disk], schedule: "0 3 * * *" }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(async () => {
    await maria?.drop();
    await mariaTarget?.drop();
    for (const v of volumes) await docker?.docker.getVolume(v).remove().catch(() => {});
    ws?.remove();
  });

  const backupAndRestore = async (job: string, target: string) => {
    const b = await ws.cli(["backup", job, "--json"]);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    const { runId, fileName } = JSON.parse(b.stdout) as { runId: number; fileName: string };
    const r = await ws.cli(["restore", String(runId), "--to", target]);
    expect(r.code, r.stderr).toBe(0);
    return { runId, fileName };
  };

  it("MySQL/MariaDB", async () => {
    await backupAndRestore("shop", "shop-copy");
    const q = "select id, name, hex(data), doc, amount, at, nothing from t order by id";
    expect(await mariaTarget.query(q)).toBe(await maria.query(q));
  });

  it("SQLite: restored file is a database with the same rows", async () => {
    const { fileName } = await backupAndRestore("notes", "notes-copy");
    expect(fileName).toMatch(/\.sqlite\.zst$/);
    const dump = (f: string) => execFileSync("sqlite3", [f, ".dump"], { encoding: "utf8" });
    expect(dump(path.join(ws.dir, "restored", "notes.sqlite"))).toBe(dump(path.join(ws.dir, "notes.sqlite")));
  });

  it("directory: contents, modes, symlinks and empty dirs; and plain tar restores it too", async () => {
    const { fileName } = await backupAndRestore("configs", "configs-copy");
    const expected = await snapshotTree(path.join(ws.dir, "configs"));
    expect(diffTrees(expected, await snapshotTree(path.join(ws.dir, "restored", "configs")))).toEqual([]);
    const dir = path.join(ws.dir, "backups", "configs");
    const parts = readdirSync(dir).filter((f) => f.startsWith(fileName + ".0")).map((f) => path.join(dir, f));
    await sh(`mkdir -p ${ws.dir}/by-hand && cat ${parts.join(" ")} | gunzip | tar -x -p -C ${ws.dir}/by-hand`);
    expect(diffTrees(expected, await snapshotTree(path.join(ws.dir, "by-hand")))).toEqual([]);
  });

  it("Docker volume: restored into a fresh volume", async () => {
    await backupAndRestore("uploads", "uploads-copy");
    const src = (await docker.docker.getVolume(volumes[0]!).inspect()).Mountpoint;
    const dst = (await docker.docker.getVolume(volumes[1]!).inspect()).Mountpoint;
    expect(diffTrees(await snapshotTree(src), await snapshotTree(dst))).toEqual([]);
  });
});
