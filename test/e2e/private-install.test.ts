import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createMysqlDatabase, createMysqlUser, type MysqlDatabase, type MysqlUser } from "../helpers/mysql.js";
import { createWorkspace, MAIN, ROOT, sh, type Workspace } from "../helpers/workspace.js";

/** As a user whose shell has `umask 000` would start it. */
const UMASK_000 = { umask: "000" };

/** Every file and folder under `root` (root included) with its permission bits. */
function modes(root: string): Array<{ path: string; dir: boolean; mode: number }> {
  const out = [{ path: root, dir: true, mode: statSync(root).mode & 0o777 }];
  for (const rel of readdirSync(root, { recursive: true }) as string[]) {
    const st = statSync(path.join(root, rel));
    out.push({ path: rel, dir: st.isDirectory(), mode: st.mode & 0o777 });
  }
  return out;
}

describe("private on disk, whatever the umask", () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace();
  });
  afterAll(() => ws?.remove());

  it("creates every folder 0700 and every file 0600; a 0600 file in a backed-up folder stays unreadable to other users", async () => {
    const folder = path.join(ws.dir, "configs");
    mkdirSync(path.join(folder, "sub"), { recursive: true });
    writeFileSync(path.join(folder, "secret.env"), "API_KEY=only-root-may-read-this\n");
    chmodSync(path.join(folder, "secret.env"), 0o600);
    writeFileSync(path.join(folder, "sub", "public.txt"), "hello\n");
    chmodSync(path.join(folder, "sub", "public.txt"), 0o644);
    const backups = path.join(ws.dir, "backups");
    const yaml = ws.writeFile(
      "config.yaml",
      `sources:\n  - { name: configs, kind: directory, path: ${folder} }\ndestinations:\n  - { name: nas, kind: local, path: ${backups} }\njobs:\n  - { name: cfg, source: configs, destinations: [nas], schedule: "0 3 * * *", compression: none }\n`,
    );
    expect((await ws.cli(["config", "import", yaml], {}, UMASK_000)).code).toBe(0);
    const backup = await ws.cli(["backup", "cfg", "--json"], {}, UMASK_000);
    expect(backup.code, backup.stderr).toBe(0);
    const runId = (JSON.parse(backup.stdout) as { runId: number }).runId;
    const restored = path.join(ws.dir, "restored");
    const restore = await ws.cli(["restore", String(runId), "--file", path.join(restored, "cfg.tar")], {}, UMASK_000);
    expect(restore.code, restore.stderr).toBe(0);
    // An export over an old world-readable file does not keep its mode.
    const exported = path.join(ws.dir, "export.yaml");
    writeFileSync(exported, "old\n");
    chmodSync(exported, 0o644);
    expect((await ws.cli(["config", "export", exported, "--with-secrets"], {}, UMASK_000)).code).toBe(0);

    const loose = [...modes(ws.dataDir), ...modes(backups).slice(1), ...modes(restored).slice(1)].filter((e) => e.mode !== (e.dir ? 0o700 : 0o600));
    expect(loose).toEqual([]);
    expect(statSync(exported).mode & 0o777).toBe(0o600);

    // Another local user cannot read the secret through the backup.
    const part = readdirSync(path.join(backups, "cfg")).find((f) => f.endsWith(".001"))!;
    const asNobody = await sh(`runuser -u nobody -- cat ${path.join(backups, "cfg", part)} 2>&1 || true`);
    expect(asNobody).toMatch(/Permission denied/);
    expect(asNobody).not.toContain("only-root-may-read-this");
  });
});

describe("MASTER_KEY strength", () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace();
  });
  afterAll(() => ws?.remove());

  it("refuses a weak key at start with the reason and how to make a good one, and creates nothing", async () => {
    for (const key of ["passwordpassword", "passwordpasswordpasswordpassword", "a".repeat(40) + "bcd"]) {
      const r = await ws.cli(["migrate"], { MASTER_KEY: key });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/MASTER_KEY/);
      expect(r.stderr).toContain("openssl rand -base64 32");
      expect(r.stderr).not.toContain(key);
    }
    expect(() => statSync(ws.dataDir)).toThrow();
  });
});

describe("references to the program's own secrets", () => {
  let ws: Workspace;
  beforeAll(() => {
    ws = createWorkspace();
  });
  afterAll(() => ws?.remove());

  it("refuses a source password or passphrase of env:MASTER_KEY / env:BOT_TOKEN, naming the path and never the value", async () => {
    const yaml = ws.writeFile(
      "c.yaml",
      `sources:
  - { name: db, kind: postgres, host: 127.0.0.1, port: 5432, database: app, user: postgres, password: "env:MASTER_KEY" }
destinations:
  - { name: nas, kind: local, path: ${ws.dir}/b }
jobs:
  - { name: j, source: db, destinations: [nas], schedule: "0 3 * * *", encryption: { passphrase: "env:BOT_TOKEN" } }
`,
    );
    const r = await ws.cli(["config", "import", yaml]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("sources[0].password: may not reference MASTER_KEY");
    expect(r.stderr).toContain("jobs[0].encryption.passphrase: may not reference BOT_TOKEN");
    expect(r.stderr + r.stdout).not.toContain(ws.env.MASTER_KEY!);
  });
});

describe("children get the minimal environment", () => {
  let ws: Workspace;
  let db: MysqlDatabase;
  let user: MysqlUser;
  beforeAll(async () => {
    ws = createWorkspace({ BOT_TOKEN: "123456:child-env-test-token-abcdefghijkl" });
    db = await createMysqlDatabase("envtest");
    user = await createMysqlUser(db.name);
    await db.query("CREATE TABLE t (id INT PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b');");
  });
  afterAll(async () => {
    await user?.drop();
    await db?.drop();
    ws?.remove();
  });

  it("no dump tool, client or compressor sees MASTER_KEY or BOT_TOKEN; the password reaches the dump tool only", async () => {
    // Wrappers first on PATH record the environment each child process really gets (its
    // /proc/self/environ), then hand over to the real tool.
    const bin = path.join(ws.dir, "bin");
    mkdirSync(bin);
    for (const tool of ["zstd", "mariadb-dump", "mariadb"]) {
      const real = (await sh(`command -v ${tool}`)).trim();
      const wrapper = path.join(bin, tool);
      writeFileSync(wrapper, `#!/bin/sh\ntr '\\0' '\\n' < /proc/$$/environ > "${bin}/${tool}.$$.env"\nexec ${real} "$@"\n`);
      chmodSync(wrapper, 0o755);
    }
    const yaml = ws.writeFile(
      "c.yaml",
      `sources:\n  - { name: shop, kind: mysql, host: 127.0.0.1, port: 3306, database: ${db.name}, user: ${user.user}, password: "${user.password}" }\ndestinations:\n  - { name: nas, kind: local, path: ${ws.dir}/b }\njobs:\n  - { name: shop, source: shop, destinations: [nas], schedule: "0 3 * * *", compression: zstd }\n`,
    );
    const env = { PATH: `${bin}:${process.env.PATH}` };
    expect((await ws.cli(["config", "import", yaml], env)).code).toBe(0);
    const r = await ws.cli(["backup", "shop"], env);
    expect(r.code, r.stderr).toBe(0);
    const seen = readdirSync(bin).filter((f) => f.endsWith(".env"));
    for (const tool of ["zstd", "mariadb-dump", "mariadb"]) expect(seen.some((f) => f.startsWith(`${tool}.`)), tool).toBe(true);
    for (const f of seen) {
      const text = readFileSync(path.join(bin, f), "utf8");
      expect(text, f).not.toContain(ws.env.MASTER_KEY!);
      expect(text, f).not.toContain("child-env-test-token");
      expect(text, f).not.toMatch(/^(MASTER_KEY|BOT_TOKEN|DATA_DIR)=/m);
      if (f.startsWith("zstd.")) expect(text, f).not.toContain(user.password);
    }
  });
});

describe("two commands on a new data folder at once", () => {
  let fake: FakeTelegram;
  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: 111 });
  });
  afterAll(async () => fake?.close());

  it("run + config import started together: every imported secret decrypts, in every one of 20 tries", async () => {
    const yaml = `sources:\n  - { name: db, kind: postgres, host: 127.0.0.1, port: 5432, database: app, user: postgres, password: "s3cret-Pw" }\ndestinations: []\njobs: []\n`;
    for (let attempt = 0; attempt < 20; attempt++) {
      const ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false" });
      try {
        const run = spawn(process.execPath, ["--import", "tsx", MAIN, "run"], { cwd: ROOT, env: { ...ws.env, LOG_LEVEL: "info" }, stdio: ["ignore", "pipe", "pipe"] });
        let runOut = "";
        run.stdout!.on("data", (d) => (runOut += d));
        run.stderr!.on("data", (d) => (runOut += d));
        const exited = new Promise<number | null>((resolve) => run.once("exit", (code) => resolve(code)));
        const imported = await ws.cli(["config", "import", ws.writeFile("c.yaml", yaml)]);
        // `run` must have opened the same secrets (or failed trying) before it is stopped.
        await Promise.race([exited, new Promise<void>((resolve) => {
          const poll = setInterval(() => {
            if (!runOut.includes("tele-backup is running")) return;
            clearInterval(poll);
            resolve();
          }, 50);
          void exited.then(() => clearInterval(poll));
        })]);
        run.kill("SIGTERM");
        const runCode = await exited;
        expect(imported.code, `try ${attempt}: ${imported.stderr}`).toBe(0);
        expect(runCode, `try ${attempt}: ${runOut}`).toBe(0);
        // A third opener with the same key decrypts what the import stored.
        const app = await ws.app();
        try {
          expect(app.configIo.export({ withSecrets: true }), `try ${attempt}`).toContain("s3cret-Pw");
        } finally {
          app.close();
        }
      } finally {
        ws.remove();
      }
    }
  }, 400_000);
});
