import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { createPgDatabase, type PgDatabase } from "../helpers/pg.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";
import { waitFor } from "../helpers/wait.js";

const ADMIN = 111;
const CHANNEL = -1001234567890;

/**
 * The real process: `tele-backup run` with the fake Bot API and a real database. A job that
 * fires every 2 seconds gives the scheduler something to do right away: a schedule the bot and
 * `config import` refuse unless the job confirms it with `allow_frequent: true`.
 */
describe("tele-backup run: crash, restart and shutdown", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let source: PgDatabase;
  let inspect: App;

  beforeAll(async () => {
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN });
    fake.createChannel({ id: CHANNEL });
    source = await createPgDatabase("life");
    await source.query(`create table t as select g as id, md5(g::text) as v from generate_series(1, 20000) g`);
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN), LOG_LEVEL: "info" });
    const yaml = `
sources:
  - { name: db, kind: postgres, host: 127.0.0.1, port: 5432, database: ${source.name}, user: postgres, password: "" }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: often, source: db, destinations: [channel], schedule: "*/2 * * * * *", allow_frequent: true }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    inspect = await ws.app();
  });

  afterAll(async () => {
    inspect?.close();
    await fake?.close();
    await source?.drop();
    ws?.remove();
  });

  const start = (): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; output: () => string } => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "run"], { cwd: ROOT, env: ws.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    return { child, exited, output: () => out };
  };
  const runs = () => inspect.runs.list(100);

  it("SIGKILL mid-upload: on restart the run is interrupted, admins are told, the spool is empty, the next run succeeds", async () => {
    // Every upload hangs: the first run is stuck mid-upload when the process is killed.
    fake.failNext("sendDocument", { kind: "stall", ms: 60_000 }, 5);
    const first = start();
    const stuck = await waitFor("a running backup", () => runs().find((r) => r.status === "running" && r.phase === "upload"));
    expect(ws.spoolEntries().length).toBeGreaterThan(0);
    first.child.kill("SIGKILL");
    await first.exited;
    fake.clearFaults();

    const second = start();
    try {
      const recorded = await waitFor("the run to be marked interrupted", () => inspect.runs.get(stuck.id)?.status === "interrupted" && inspect.runs.get(stuck.id));
      expect(recorded.error).toMatch(/interrupted/i);
      const alert = await fake.waitFor(() => fake.messages(ADMIN).find((m) => m.text?.includes(`#${stuck.id}`)), 20_000, "the interrupted-run alert");
      expect(alert.text).toMatch(/interrupted/);
      const ok = await waitFor("a successful run after the restart", () => runs().find((r) => r.id > stuck.id && r.status === "success"), 60_000);
      expect(ok.verifiedAt).not.toBeNull();
      expect(ws.spoolEntries().filter((e) => e.startsWith(`run-${stuck.id}`))).toEqual([]);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("SIGTERM: exits within its bound, records the run, leaves no pg_dump behind", async () => {
    fake.failNext("sendDocument", { kind: "stall", ms: 60_000 }, 5);
    const proc = start();
    const before = Math.max(0, ...runs().map((r) => r.id));
    const running = await waitFor("a running backup", () => runs().find((r) => r.id > before && r.status === "running" && r.phase === "upload"));
    const t0 = Date.now();
    proc.child.kill("SIGTERM");
    const exit = await proc.exited;
    const took = Date.now() - t0;
    fake.clearFaults();
    expect(exit.code, proc.output()).toBe(0);
    expect(took).toBeLessThan(10_000); // docker stop's default grace period
    expect(inspect.runs.get(running.id)!.status).toBe("interrupted");
    expect(ws.spoolEntries()).toEqual([]);
    expect(pgrep(`pg_dump.*${source.name}`)).toBe("");
    expect(runs().filter((r) => r.status === "running")).toEqual([]);
  });

  it("a second `run` on the same data folder is refused while the first runs, and the lock dies with the first (SIGKILL leaves none)", async () => {
    const first = start();
    try {
      inspect.settings.set("scheduler.heartbeat", new Date(0).toISOString());
      await waitFor("the first daemon's heartbeat", () => new Date(inspect.settings.get("scheduler.heartbeat") ?? 0).getTime() > 0);
      const second = start();
      const refused = await second.exited;
      expect(refused.code, second.output()).toBe(1);
      expect(second.output()).toContain(`tele-backup: another \`tele-backup run\` already uses this data folder (pid ${first.child.pid} on `);
      expect(second.output()).toContain("stop it first");
      expect(first.child.exitCode).toBeNull();
    } finally {
      first.child.kill("SIGKILL");
      await first.exited;
    }
    const third = start();
    try {
      inspect.settings.set("scheduler.heartbeat", new Date(0).toISOString());
      await waitFor("the next daemon's heartbeat", () => new Date(inspect.settings.get("scheduler.heartbeat") ?? 0).getTime() > 0);
      expect(third.child.exitCode).toBeNull();
    } finally {
      third.child.kill("SIGTERM");
      expect((await third.exited).code, third.output()).toBe(0);
    }
  });

  it("health: exit 0 while the scheduler runs, 1 after it stopped", async () => {
    const proc = start();
    try {
      await waitFor("the first heartbeat", () => inspect.settings.get("scheduler.heartbeat"));
      const healthy = await ws.cli(["health"]);
      expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
    }
    // a stopped scheduler's heartbeat ages; make it as old as it would be after a few minutes
    inspect.settings.set("scheduler.heartbeat", new Date(Date.now() - 10 * 60_000).toISOString());
    const after = await ws.cli(["health"]);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/unhealthy/);
  });
});

function pgrep(pattern: string): string {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}
