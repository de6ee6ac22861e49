import { randomUUID } from "node:crypto";
import { mkdirSync, rmdirSync } from "node:fs";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { STOP_LABEL } from "../../src/docker/stop-during-backup.js";
import { ContainerKeeper } from "../../src/lifecycle/container-keeper.js";
import { createLogger } from "../../src/logger.js";
import { isOwnerAlive } from "../../src/shared/process-owner.js";
import { startFakeTelegram, type FakeTelegram } from "../fake-telegram/server.js";
import { testDocker } from "../helpers/docker-engine.js";
import { waitFor } from "../helpers/wait.js";
import { createWorkspace, type Workspace } from "../helpers/workspace.js";

const ADMIN = 111;
const TEST_LABEL = "tele-backup.test";

/**
 * A container labelled `tele-backup.stop-during-backup` is stopped while its volume is read and
 * started again at the end. When that start fails (here: a folder it bind-mounts is gone, as a
 * NAS share that dropped), the run fails saying so; the daemon's ContainerKeeper then keeps
 * trying on the scheduler's ticks, less often each time, and tells the admins once it runs.
 * Real Docker Engine, real volume backup; Telegram is the fake Bot API.
 */
describe("a container a backup stopped and could not start again", () => {
  let fake: FakeTelegram;
  let ws: Workspace;
  let app: App;
  let docker: Docker;
  let container: Docker.Container;
  let name: string;
  let volume: string;
  let share: string;
  let keeper: ContainerKeeper;

  beforeAll(async () => {
    const engine = testDocker();
    docker = engine.docker;
    fake = await startFakeTelegram();
    fake.createUser({ id: ADMIN, languageCode: "en" });
    ws = createWorkspace({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, TELEGRAM_SELF_HOSTED: "false", ADMIN_IDS: String(ADMIN), DOCKER_HOST: engine.host, HELPER_IMAGE: engine.helperImage });
    volume = `tb-test-keeper-${randomUUID().slice(0, 8)}`;
    await docker.createVolume({ Name: volume, Labels: { [TEST_LABEL]: "true" } });
    share = path.join(ws.dir, "share");
    mkdirSync(share);
    name = `tb-test-keeper-app-${randomUUID().slice(0, 8)}`;
    container = await docker.createContainer({
      name,
      Image: engine.helperImage,
      Cmd: ["sleep", "3600"],
      StopSignal: "SIGKILL",
      Labels: { [TEST_LABEL]: "true", [STOP_LABEL]: "true" },
      HostConfig: { Binds: [`${volume}:/data`], Mounts: [{ Type: "bind", Source: share, Target: "/share" }], NetworkMode: "none" },
    });
    await container.start();
    const yaml = `
sources:
  - { name: uploads, kind: volume, volume: ${volume} }
destinations:
  - { name: disk, kind: local, path: ${path.join(ws.dir, "backups")} }
jobs:
  - { name: vol, source: uploads, destinations: [disk], schedule: "0 3 1 1 *", compression: none }
`;
    const r = await ws.cli(["config", "import", ws.writeFile("config.yaml", yaml)]);
    expect(r.code, r.stderr).toBe(0);
    app = await ws.app();
    keeper = new ContainerKeeper({ runs: app.runs, docker: app.docker, notifier: app.notifier, log: createLogger("silent"), alive: isOwnerAlive });
  });

  afterAll(async () => {
    app?.close();
    await fake?.close();
    await container?.remove({ force: true }).catch(() => undefined);
    if (volume) await docker?.getVolume(volume).remove({ force: true }).catch(() => undefined);
    ws?.remove();
  });

  const running = async () => (await container.inspect()).State.Running;
  const startedAlerts = () => fake.messages(ADMIN).filter((m) => m.text?.startsWith("▶️")).map((m) => m.text!);

  it("is started again once it can be, on the ticks after the failure, spaced out, and the admins are told", async () => {
    rmdirSync(share); // the share drops while the app runs: the app keeps its mount, a new start has none
    const run = await app.executor.execute("vol", "manual");
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(new RegExp(`containers stopped for the backup did not start again: ${name} \\(`));
    expect(await running()).toBe(false);
    expect(app.runs.allStoppedContainers().map((c) => c.name)).toEqual([name]);

    const t0 = new Date();
    await keeper.tick(t0); // still failing: tried again in a minute
    expect(await running()).toBe(false);
    mkdirSync(share); // the share is back
    await keeper.tick(new Date(t0.getTime() + 30_000)); // not due yet
    expect(await running()).toBe(false);
    expect(app.runs.allStoppedContainers()).toHaveLength(1);

    await keeper.tick(new Date(t0.getTime() + 61_000));
    expect(await running()).toBe(true);
    expect(app.runs.allStoppedContainers()).toEqual([]);
    const said = await waitFor("the alert", () => (startedAlerts().length > 0 ? startedAlerts() : undefined), 10_000);
    expect(said).toEqual([`▶️ Container ${name} is running again: backup run #${run.runId} had stopped it and could not start it when it ended.`]);
    await keeper.tick(new Date(t0.getTime() + 3_600_000));
    expect(startedAlerts()).toHaveLength(1);
  });

  it("leaves the containers of a run still going to that run, and forgets one removed meanwhile", async () => {
    const job = app.jobsRepo.findByName("vol")!;
    const live = app.runs.create({ jobId: job.id, jobName: "vol", sourceKind: "volume", trigger: "manual", status: "running", startedAt: new Date() });
    const info = await container.inspect();
    await container.stop();
    app.runs.recordStoppedContainer(live.id, { id: info.Id, name });
    await keeper.tick(new Date());
    expect(await running()).toBe(false); // the run (this process, alive) restarts it itself

    app.runs.update(live.id, { status: "failed", finishedAt: new Date() });
    await keeper.tick(new Date());
    expect(await running()).toBe(true);

    app.runs.recordStoppedContainer(live.id, { id: "0123456789ab".repeat(5).slice(0, 64), name: "removed-meanwhile" });
    await keeper.tick(new Date());
    expect(app.runs.allStoppedContainers()).toEqual([]);
  });
});
