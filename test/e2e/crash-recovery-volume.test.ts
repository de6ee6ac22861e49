import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { HELPER_LABEL } from "../../src/docker/helper-container.js";
import { STOP_LABEL } from "../../src/docker/stop-during-backup.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { testDocker } from "../helpers/docker-engine.js";
import { writeTree } from "../helpers/tree.js";
import { createWorkspace, MAIN, ROOT, type Workspace } from "../helpers/workspace.js";
import { waitFor } from "../helpers/wait.js";

const ADMIN = 111;
const CHANNEL = -1001234567891;
const TEST_LABEL = "tele-backup.test";

/**
 * Issue 11, item 1: `kill -9` of the real `tele-backup backup` process while it archives a
 * volume whose user container is labelled to be stopped. The next `tele-backup run` starts
 * the container again, removes the helper container and says so in one alert.
 */
describe("crash during a volume backup: the next start repairs what the dead process left", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let docker: Docker;
  let inspect: App;
  let volume: string;
  let freshVolume: string;
  let existingVolume: string;
  let app: Docker.Container;
  let appName: string;

  beforeAll(async () => {
    const engine = testDocker();
    docker = engine.docker;
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, languageCode: "en" });
    fake.createChannel({ id: CHANNEL });

    volume = `tb-test-crash-${randomUUID().slice(0, 8)}`;
    freshVolume = `${volume}-fresh`;
    existingVolume = `${volume}-existing`;
    await docker.createVolume({ Name: existingVolume, Labels: { [TEST_LABEL]: "true" } });
    await docker.createVolume({ Name: volume, Labels: { [TEST_LABEL]: "true" } });
    const mountpoint = ((await docker.getVolume(volume).inspect()) as { Mountpoint: string }).Mountpoint;
    // More than a part and every buffer between the engine and the spool: the archive is still open while part 1 uploads.
    await writeTree(mountpoint, { "big.bin": randomBytes(24 * 1024 * 1024), "config.yml": "a: 1\n" });
    appName = `tb-test-app-${randomUUID().slice(0, 8)}`;
    app = await docker.createContainer({
      name: appName,
      Image: engine.helperImage,
      Cmd: ["sleep", "3600"],
      StopSignal: "SIGKILL", // busybox sleep as PID 1 ignores SIGTERM: keep `docker stop` instant
      Labels: { [TEST_LABEL]: "true", [STOP_LABEL]: "true" },
      HostConfig: { Binds: [`${volume}:/data`], NetworkMode: "none" },
    });
    await app.start();

    ws = createWorkspace({
      BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      TELEGRAM_SELF_HOSTED: "false",
      ADMIN_IDS: String(ADMIN),
      DOCKER_HOST: engine.host,
      HELPER_IMAGE: engine.helperImage,
    });
    const yaml = `
sources:
  - { name: uploads, kind: volume, volume: ${volume} }
  - { name: fresh, kind: volume, volume: ${freshVolume} }
  - { name: existing, kind: volume, volume: ${existingVolume} }
destinations:
  - { name: channel, kind: telegram, chat_id: "${CHANNEL}" }
jobs:
  - { name: vol, source: uploads, destinations: [channel], schedule: "0 3 1 1 *", compression: none, part_size: 1MiB }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    inspect = await ws.app();
  });

  afterAll(async () => {
    inspect?.close();
    await fake?.close();
    await app?.remove({ force: true }).catch(() => undefined);
    for (const c of (await docker?.listContainers({ all: true, filters: { label: [HELPER_LABEL] } })) ?? []) {
      if (c.Mounts.some((m) => m.Name === volume)) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    for (const v of [volume, freshVolume, existingVolume]) if (v) await docker?.getVolume(v).remove({ force: true }).catch(() => undefined);
    ws?.remove();
  });

  const spawnCli = (args: string[]): { child: ChildProcess; exited: Promise<unknown>; output: () => string } => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { cwd: ROOT, env: ws.env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    return { child, exited: new Promise((resolve) => child.once("exit", resolve)), output: () => out };
  };
  const running = async () => (await app.inspect()).State.Running;
  const helpersOnVolume = async () =>
    (await docker.listContainers({ all: true, filters: { label: [HELPER_LABEL] } })).filter((c) => c.Mounts.some((m) => m.Name === volume));
  const uncleanAlerts = () => fake.messages(ADMIN).filter((m) => m.text?.includes("unclean stop"));

  it("SIGKILL of `tele-backup backup` mid-archive: `run` starts the container again, removes the helper and sends one alert", async () => {
    // Every upload hangs: the backup is stuck with part 1 while the volume's archive is still open.
    fake.failNext("sendDocument", { kind: "stall", ms: 120_000 }, 5);
    const backup = spawnCli(["backup", "vol"]);
    // Generous: under a loaded machine the helper container and the dump's start take a while.
    const run = await waitFor(
      "the volume backup to be uploading",
      () => {
        if (backup.child.exitCode !== null) throw new Error(`the backup ended early: ${backup.output()}`);
        return inspect.runs.list(10).find((r) => r.status === "running" && r.phase === "upload");
      },
      90_000,
    );
    expect(inspect.runs.stoppedContainers(run.id).map((c) => c.name)).toEqual([appName]);
    expect(await running()).toBe(false);
    expect(await helpersOnVolume()).toHaveLength(1);
    backup.child.kill("SIGKILL");
    await backup.exited;
    fake.clearFaults();

    // Nothing brings the app back by itself.
    await new Promise((r) => setTimeout(r, 500));
    expect(await running()).toBe(false);

    const daemon = spawnCli(["run"]);
    try {
      await waitFor("the labelled container to run again", running, 20_000);
      await waitFor("the helper container to be removed", async () => (await helpersOnVolume()).length === 0, 10_000);
      expect(inspect.runs.get(run.id)!.status).toBe("interrupted");
      expect(inspect.runs.stoppedContainers(run.id)).toEqual([]);
      const alert = await fake.waitFor(() => uncleanAlerts()[0], 20_000, "the unclean-stop alert");
      expect(alert.text).toContain(`vol #${run.id}`);
      expect(alert.text).toContain(`Containers started again: ${appName}`);
      expect(alert.text).toContain("Helper containers removed: 1");
      expect(alert.text).toContain("Containers that could not be started: —");
      // One alert, not one per repair.
      await new Promise((r) => setTimeout(r, 1000));
      expect(uncleanAlerts()).toHaveLength(1);
      expect(ws.spoolEntries().filter((e) => e.startsWith(`run-${run.id}`))).toEqual([]);
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }
  }, 240_000);

  it("SIGKILL of `tele-backup restore` into a volume: `run` removes the volume that restore created, and empties again (never removes) one that existed before; without `run`, the next restore into it does", async () => {
    const backup = await ws.cli(["backup", "vol"]);
    expect(backup.code, backup.stderr).toBe(0);
    const runId = inspect.runs.list(10).find((r) => r.jobName === "vol" && r.status === "success")!.id;
    const volumeExists = async (name: string) => docker.getVolume(name).inspect().then(() => true, () => false);
    const helperOn = async (name: string) =>
      (await docker.listContainers({ all: true, filters: { label: [HELPER_LABEL] } })).some((c) => c.Mounts.some((m) => m.Name === name));

    /** Starts a restore into `source` and kills it (frozen first) the moment `ready` holds: it is mid-restore. */
    const killRestoreWhen = async (source: string, ready: () => Promise<boolean>) => {
      const restore = spawnCli(["restore", String(runId), "--to", source]);
      await waitFor(
        `the restore into ${source} to reach its volume`,
        async () => {
          if (restore.child.exitCode !== null) throw new Error(`the restore ended early: ${restore.output()}`);
          return ready();
        },
        90_000,
        5,
      );
      restore.child.kill("SIGSTOP");
      restore.child.kill("SIGKILL");
      await restore.exited;
    };

    expect(await volumeExists(freshVolume)).toBe(false);
    await killRestoreWhen("fresh", () => volumeExists(freshVolume));
    // The volume existed before this restore and stays whatever happens to it: killed once part of
    // the backup is in it (in the restore's staging folder).
    const existingMount = ((await docker.getVolume(existingVolume).inspect()) as { Mountpoint: string }).Mountpoint;
    const staged = () => readdirSync(existingMount).filter((n) => n.startsWith(".tele-backup-restore-"));
    await killRestoreWhen("existing", async () => staged().some((d) => readdirSync(path.join(existingMount, d)).length > 0));
    expect(staged()).toHaveLength(1);
    expect(inspect.restores.listRunning().map((r) => r.target).sort()).toEqual(["existing", "fresh"]);
    expect(await volumeExists(freshVolume)).toBe(true); // nothing removes it by itself

    const daemon = spawnCli(["run"]);
    try {
      await waitFor("the restore's new volume to be removed", async () => !(await volumeExists(freshVolume)), 30_000);
      const alert = await fake.waitFor(() => uncleanAlerts().find((m) => m.text?.includes(freshVolume)), 20_000, "the unclean-stop alert naming the volume");
      expect(alert.text).toContain(`Volumes of interrupted restores removed (they held part of a backup): ${freshVolume}`);
      expect(alert.text).toContain("Volumes and folders of interrupted restores that could not be repaired: —");
      expect(alert.text).toContain(`Existing volumes an interrupted restore was filling, emptied again: ${existingVolume}`);
      expect(inspect.restores.listRunning()).toEqual([]);
      expect(await volumeExists(existingVolume)).toBe(true);
      expect(readdirSync(existingMount)).toEqual([]);
      await waitFor("the helpers of the killed restores to be removed", async () => !(await helperOn(existingVolume)), 10_000);
    } finally {
      daemon.child.kill("SIGTERM");
      await daemon.exited;
    }

    // Killed once more, with no `run` to follow: the next CLI restore into the volume settles the
    // dead restore's staging folder itself and restores.
    await killRestoreWhen("existing", async () => staged().some((d) => readdirSync(path.join(existingMount, d)).length > 0));
    expect(staged()).toHaveLength(1);
    const again = await ws.cli(["restore", String(runId), "--to", "existing"]);
    expect(again.code, again.stderr).toBe(0);
    expect(readdirSync(existingMount).sort()).toEqual(["big.bin", "config.yml"]);
    // The killed restore's helper container is gone with it: nothing keeps the volume in use.
    expect(await helperOn(existingVolume)).toBe(false);
  }, 300_000);
});
