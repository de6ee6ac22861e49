import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

/**
 * Start-up cost of the CLI: every command pays for what it loads before it starts working.
 * The child process is preloaded with a hook that writes, at exit, the npm packages loaded
 * through require (grammY, better-sqlite3 and dockerode are CommonJS).
 */
const HOOK = `process.on("exit", () => {
  const names = new Set();
  for (const f of Object.keys(require.cache)) { const m = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(f); if (m) names.add(m[1]); }
  require("node:fs").writeFileSync(process.env.TB_LOADED_FILE, [...names].join("\\n"));
});
`;

describe("CLI start-up loads only what the command needs", () => {
  let ws: Workspace;
  let db: PgDatabase;
  let hookEnv: NodeJS.ProcessEnv;
  const loaded = () => readFileSync(hookEnv.TB_LOADED_FILE!, "utf8").split("\n");

  beforeAll(async () => {
    ws = createWorkspace();
    db = await createPgDatabase("startup");
    await db.query("create table t (id int primary key); insert into t select generate_series(1, 10);");
    hookEnv = { NODE_OPTIONS: `--require ${ws.writeFile("hook.cjs", HOOK)}`, TB_LOADED_FILE: path.join(ws.dir, "loaded.txt") };
    const yaml = `
sources:
  - { name: db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${db.name}, user: postgres, password: "" }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: nightly, source: db, destinations: [disk], schedule: "0 3 * * *", compression: zstd }
`;
    const imported = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(imported.code, imported.stderr).toBe(0);
  });

  afterAll(async () => {
    await db?.drop();
    ws?.remove();
  });

  it("--help prints the usage without opening the database", async () => {
    const r = await ws.cli(["--help"], hookEnv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+backup /m);
    expect(loaded()).not.toContain("better-sqlite3");
  });

  it("a backup with BOT_TOKEN set succeeds without loading grammY, the Docker client, proxy agents or cron parsing", async () => {
    // The notifier is built (a token is set) but nothing is sent: grammY stays unloaded.
    const r = await ws.cli(["backup", "nightly"], { ...hookEnv, BOT_TOKEN: "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678", TELEGRAM_API_ROOT: "http://127.0.0.1:9" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("success");
    const packages = loaded();
    expect(packages).toContain("better-sqlite3");
    expect(packages.filter((p) => p === "grammy" || p.startsWith("@grammyjs/") || p === "dockerode")).toEqual([]);
    // No proxy is set and nothing is scheduled: together these cost every command ~100 ms of CPU.
    expect(packages.filter((p) => ["https-proxy-agent", "socks-proxy-agent", "socks", "cron-parser", "luxon"].includes(p))).toEqual([]);
  });

  it("a wrong MASTER_KEY is still refused with its own message", async () => {
    const r = await ws.cli(["backup", "nightly"], { MASTER_KEY: "another-master-key-0123456789-abcdefXYZ" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("MASTER_KEY does not match the key this database was created with");
    expect(r.stderr).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
  });
});
