import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import Database from "better-sqlite3";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDocker } from "../helpers/docker-engine.js";
import { startDaemon } from "../../src/daemon.js";
import { processGroupRuns } from "../../src/shared/process-owner.js";
import { waitFor } from "../helpers/wait.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";

/** Runs a command in the container (as the test's own check, not through the code under test). */
async function execIn(docker: Docker, container: string, cmd: string[]): Promise<{ code: number | null; output: string }> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let output = "";
  const sink = new PassThrough();
  sink.on("data", (c: Buffer) => (output += c.toString("utf8")));
  docker.modem.demuxStream(stream, sink, sink);
  await new Promise((resolve) => stream.once("end", resolve));
  return { code: (await exec.inspect()).ExitCode ?? null, output };
}

interface BackupJson {
  runId: number;
  status: string;
  error: string | null;
  fileName: string;
}

/**
 * Hooks around a backup, through the CLI: commands in a container of the test Docker engine
 * (docker exec through the socket) and in the sidecar itself.
 */
describe("job hooks", () => {
  let ws: Workspace;
  let docker: Docker;
  let app: Docker.Container;
  const appName = `tb-test-hooks-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    const engine = testDocker();
    docker = engine.docker;
    app = await docker.createContainer({
      name: appName,
      Image: engine.helperImage,
      Cmd: ["sleep", "3600"],
      StopSignal: "SIGKILL",
      HostConfig: { NetworkMode: "none" },
    });
    await app.start();
    ws = createWorkspace({ DOCKER_HOST: engine.host, HELPER_IMAGE: engine.helperImage, HOOK_SECRET_TOKEN: "s3cr3t-hook-token" });
    const db = new Database(path.join(ws.dir, "app.sqlite"));
    db.exec("create table t (x); insert into t values (1);");
    db.close();
    const marker = (name: string) => path.join(ws.dir, name);
    const yaml = `
sources:
  - { name: app, kind: sqlite, path: ${path.join(ws.dir, "app.sqlite")} }
  - { name: gone, kind: sqlite, path: ${path.join(ws.dir, "missing.sqlite")} }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - name: guarded
    source: app
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { container: ${appName}, run: "echo entering maintenance; echo 'maintenance mode is locked by another deploy' >&2; exit 3" }
        - { run: "touch ${marker("second-before-ran")}" }
      after:
        - { run: "echo after >> ${marker("guarded-after.log")}" }
  - name: broken-dump
    source: gone
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { container: ${appName}, run: "echo down > /tmp/maintenance" }
      after:
        - { container: ${appName}, run: ["rm", "/tmp/maintenance"] }
        - { run: "echo after >> ${marker("broken-after.log")}" }
      on_failure:
        - { run: "echo failed >> ${marker("broken-on-failure.log")}" }
  - name: happy
    source: app
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { run: 'test -z "$MASTER_KEY" && test -z "$BOT_TOKEN" && test -z "$HOOK_SECRET_TOKEN"' }
        - { container: ${appName}, run: ["sh", "-c", "echo flushed > /tmp/cache-flushed"] }
      after:
        - { run: "echo after >> ${marker("happy-after.log")}" }
      on_failure:
        - { run: "echo failed >> ${marker("happy-on-failure.log")}" }
  - name: slow
    source: app
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { run: "echo waiting; sleep 30", timeout: 1 }
  - name: killed
    source: app
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { container: ${appName}, run: "echo down > /tmp/maintenance-killed" }
        - { run: "echo $$ > ${marker("killed-hook.pgid")}; touch ${marker("killed-before-ran")}; sleep 30" }
      after:
        - { container: ${appName}, run: ["rm", "/tmp/maintenance-killed"] }
        - { run: "echo after >> ${marker("killed-after.log")}" }
      on_failure:
        - { run: "echo failed >> ${marker("killed-on-failure.log")}" }
  - name: killed-exec
    source: app
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { container: ${appName}, run: "echo down > /tmp/maintenance-exec; sleep 6; echo still-down > /tmp/maintenance-exec; touch /tmp/maintenance-exec-done" }
      after:
        - { container: ${appName}, run: ["rm", "/tmp/maintenance-exec"] }
  - name: nowhere
    source: app
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { container: tb-no-such-container-here, run: "true" }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
  });

  afterAll(async () => {
    await app?.remove({ force: true }).catch(() => {});
    ws?.remove();
  });

  const backup = async (job: string) => {
    const r = await ws.cli(["backup", job, "--json"]);
    return { code: r.code, result: JSON.parse(r.stdout) as BackupJson, stderr: r.stderr };
  };
  /** A shell line's output in the app container. */
  const inApp = async (line: string) => (await execIn(docker, appName, ["sh", "-c", line])).output;
  const backupsOf = (job: string) => (existsSync(path.join(ws.dir, "backups", job)) ? readdirSync(path.join(ws.dir, "backups", job)) : []);

  it("a before hook that fails stops the run with its output; nothing is dumped; after hooks still run", async () => {
    const { code, result } = await backup("guarded");
    expect(code).toBe(1);
    expect(result.status).toBe("failed");
    expect(result.error).toContain(`before hook "echo entering maintenance;`);
    expect(result.error).toContain(`in container ${appName} failed with exit code 3`);
    expect(result.error).toContain("maintenance mode is locked by another deploy");
    expect(existsSync(path.join(ws.dir, "second-before-ran"))).toBe(false);
    expect(backupsOf("guarded")).toEqual([]);
    expect(readFileSync(path.join(ws.dir, "guarded-after.log"), "utf8")).toBe("after\n");
  });

  it("after a failed dump the after hooks (in the container and in the sidecar) and the on_failure hooks run", async () => {
    const { code, result } = await backup("broken-dump");
    expect(code).toBe(1);
    expect(result.error).toMatch(/^dump failed: .*does not exist/);
    // before ran in the container, after removed its file again
    expect(await inApp("test -e /tmp/maintenance && echo present || echo absent")).toBe("absent\n");
    expect(readFileSync(path.join(ws.dir, "broken-after.log"), "utf8")).toBe("after\n");
    expect(readFileSync(path.join(ws.dir, "broken-on-failure.log"), "utf8")).toBe("failed\n");
  });

  it("a successful run: before hooks ran (the sidecar's hooks see none of the program's secrets), after hooks ran, on_failure did not", async () => {
    const { code, result } = await backup("happy");
    expect(result.error).toBeNull();
    expect(code).toBe(0);
    expect((await execIn(docker, appName, ["cat", "/tmp/cache-flushed"])).output).toBe("flushed\n");
    expect(readFileSync(path.join(ws.dir, "happy-after.log"), "utf8")).toBe("after\n");
    expect(existsSync(path.join(ws.dir, "happy-on-failure.log"))).toBe(false);
    expect(backupsOf("happy").length).toBeGreaterThan(0);
  });

  it("a before hook that outlives its timeout is stopped and fails the run", async () => {
    const started = Date.now();
    const { code, result } = await backup("slow");
    expect(code).toBe(1);
    expect(result.error).toContain(`before hook "echo waiting; sleep 30" timed out after 1 s: waiting`);
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it("a hook naming a container that does not exist fails the run saying so", async () => {
    const { code, result } = await backup("nowhere");
    expect(code).toBe(1);
    expect(result.error).toContain("could not run: no container named tb-no-such-container-here");
  });

  it("SIGKILL while the before hooks run: no after hook runs then; the next start stops the hook left running, then runs the on_failure and after hooks the run owed, once", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "backup", "killed"], { cwd: ROOT, env: ws.env, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await waitFor("the second before hook to run", () => existsSync(path.join(ws.dir, "killed-before-ran")));
    child.kill("SIGKILL");
    await exited;
    // The app was put into maintenance mode, and nobody brought it back.
    expect((await execIn(docker, appName, ["cat", "/tmp/maintenance-killed"])).output).toBe("down\n");
    expect(existsSync(path.join(ws.dir, "killed-after.log"))).toBe(false);
    // The hook in the sidecar (its own process group) outlived the process that started it.
    const hookGroup = Number(readFileSync(path.join(ws.dir, "killed-hook.pgid"), "utf8"));
    const groupRuns = () => processGroupRuns(hookGroup);
    expect(groupRuns()).toBe(true);

    const app = await ws.app();
    try {
      const run = app.runs.list(50).find((r) => r.jobName === "killed")!;
      expect(run).toMatchObject({ status: "running", pendingHooks: { after: [expect.anything(), expect.anything()], on_failure: [expect.anything()] } });
      const daemon = await startDaemon(app, { withBot: false });
      await daemon.stop(new Error("test over"));
      expect(groupRuns()).toBe(false);
      expect(await inApp("test -e /tmp/maintenance-killed && echo present || echo absent")).toBe("absent\n");
      expect(readFileSync(path.join(ws.dir, "killed-on-failure.log"), "utf8")).toBe("failed\n");
      expect(readFileSync(path.join(ws.dir, "killed-after.log"), "utf8")).toBe("after\n");
      expect(app.runs.get(run.id)).toMatchObject({ status: "interrupted", pendingHooks: null });

      // A second start owes nothing: the hooks ran once.
      const again = await startDaemon(app, { withBot: false });
      await again.stop(new Error("test over"));
      expect(readFileSync(path.join(ws.dir, "killed-after.log"), "utf8")).toBe("after\n");
    } finally {
      app.close();
    }
  });

  it("SIGKILL while a before hook runs in another container: the next start waits for that command to end before it runs the after hook", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "backup", "killed-exec"], { cwd: ROOT, env: ws.env, stdio: "ignore" });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await waitFor("the container's before hook to start", async () => (await execIn(docker, appName, ["cat", "/tmp/maintenance-exec"])).output === "down\n");
    child.kill("SIGKILL");
    await exited;

    const app = await ws.app();
    try {
      // The command goes on in the container (the Engine API cannot stop it): an `after` hook run
      // now would be undone by it a moment later.
      const daemon = await startDaemon(app, { withBot: false });
      await daemon.stop(new Error("test over"));
      await waitFor("the killed run's before hook to end in the container", async () => (await inApp("test -e /tmp/maintenance-exec-done && echo done")) === "done\n", 20_000);
      expect(await inApp("test -e /tmp/maintenance-exec && echo present || echo absent")).toBe("absent\n");
      expect(app.runs.list(50).find((r) => r.jobName === "killed-exec")).toMatchObject({ status: "interrupted", pendingHooks: null });
    } finally {
      app.close();
    }
  });

  it("a run that ends owes no hooks any more", async () => {
    const app = await ws.app();
    try {
      expect(app.runs.list(50).filter((r) => r.status !== "running" && r.pendingHooks !== null)).toEqual([]);
    } finally {
      app.close();
    }
  });

  it("hooks are validated on import, with the path of the bad key", async () => {
    const yaml = `
jobs:
  - name: bad
    source: app
    destinations: [disk]
    schedule: "0 3 * * *"
    hooks:
      before:
        - { run: "", timeout: 0 }
      later: []
`;
    const r = await ws.cli(["config", "import", ws.writeFile("bad.yaml", yaml)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("jobs[0].hooks.before[0].run");
    expect(r.stderr).toContain("jobs[0].hooks.before[0].timeout");
    expect(r.stderr).toContain("jobs[0].hooks.later");
  });

  it("hooks survive an export and import round trip", async () => {
    const r = await ws.cli(["config", "export"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("maintenance mode is locked by another deploy");
    expect(r.stdout).toContain("on_failure:");
    const again = await ws.cli(["config", "import", ws.writeFile("exported.yaml", r.stdout)]);
    expect(again.code, again.stderr).toBe(0);
  });
});
