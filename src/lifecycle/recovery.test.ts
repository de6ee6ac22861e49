import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeS3 } from "../../test/fake-s3/server.js";
import { testDocker } from "../../test/helpers/docker-engine.js";
import { writeTree } from "../../test/helpers/tree.js";
import { openDatabase, type Db } from "../db/client.js";
import { createLocalDestination } from "../destinations/local.js";
import { restoreStaging, volumeScratch } from "../docker/restore-volume.js";
import { createS3Client } from "../destinations/s3-client.js";
import { createS3Destination, type S3Config } from "../destinations/s3.js";
import type { RunResult } from "../engine/backup-runner.js";
import { createLogger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import { RestoresRepo } from "../repos/restores.repo.js";
import { RunsRepo } from "../repos/runs.repo.js";
import { ownerTag, ownerToken } from "../shared/process-owner.js";
import { ALERT_INTERRUPTED, PROGRESS_INTERRUPTED, recoverInterruptedRuns, RESTORE_INTERRUPTED, type RecoveryDeps } from "./recovery.js";

/** An owner token of a process that is gone (pid 2^22+1 is above Linux's pid_max limit). */
const DEAD = "-:4194305.1";

/** Records what would have been sent to the admins. */
function recordingNotifier() {
  const alerts: Array<{ key: string; params: Record<string, string | number> }> = [];
  const notifier: Notifier = {
    async runSucceeded(_r: RunResult) {},
    async runFailed(_r: RunResult) {},
    async alertAdmins(key, params) {
      alerts.push({ key, params });
    },
  };
  return { notifier, alerts };
}

describe("recoverInterruptedRuns", () => {
  let dir: string;
  let spool: string;
  let db: Db;
  let runs: RunsRepo;
  let restores: RestoresRepo;
  const finalized: Array<{ chatId: number; messageId: number; key: string; params: Record<string, string | number> }> = [];
  const deps = (notifier: Notifier): RecoveryDeps => ({
    runs,
    restores,
    spoolDir: spool,
    notifier,
    log: createLogger("silent"),
    now: () => now,
    finalizeMessage: async (chatId, messageId, key, params) => void finalized.push({ chatId, messageId, key, params }),
  });

  beforeEach(() => {
    finalized.length = 0;
    dir = mkdtempSync(path.join(tmpdir(), "tb-recovery-"));
    spool = path.join(dir, "spool");
    db = openDatabase(path.join(dir, "db.sqlite"));
    runs = new RunsRepo(db);
    restores = new RestoresRepo(db);
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startedAt = new Date("2026-01-10T03:00:00Z");
  const now = new Date("2026-01-10T03:20:00Z");

  it("marks runs left running as interrupted, removes their spool folders, keeps delivered parts and alerts the admins", async () => {
    const done = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "success", startedAt, finishedAt: startedAt });
    const crashed = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "running", phase: "upload", startedAt, owner: DEAD });
    const other = runs.create({ jobName: "notes", sourceKind: "sqlite", trigger: "manual", status: "running", phase: "dump", startedAt, owner: null });
    runs.addPart({ runId: crashed.id, partIndex: 1, name: "app_x.sql.gz.001", size: 10, sha256: "a", locator: "-100", messageId: 7, storedAt: startedAt });
    for (const id of [crashed.id, other.id, 999]) {
      mkdirSync(path.join(spool, `run-${id}`), { recursive: true });
      writeFileSync(path.join(spool, `run-${id}`, "app_x.sql.gz.002"), "half a part");
    }
    // A restore staging folder of an older version (`restore-<run>-<pid>-<ms>`), its pid gone.
    mkdirSync(path.join(spool, "restore-5-4194305-1"), { recursive: true });
    const { notifier, alerts } = recordingNotifier();

    const report = await recoverInterruptedRuns(deps(notifier));

    expect(report.interrupted.map((r) => [r.runId, r.job, r.phase, r.deliveredParts])).toEqual([
      [crashed.id, "app", "upload", 1],
      [other.id, "notes", "dump", 0],
    ]);
    expect(runs.get(crashed.id)).toMatchObject({ status: "interrupted", finishedAt: now, phase: "upload" });
    expect(runs.get(crashed.id)!.error).toBe(
      "interrupted: the process stopped during upload before the backup finished (crash, kill or power loss); 1 part(s) already delivered stay recorded",
    );
    expect(runs.get(other.id)!.status).toBe("interrupted");
    expect(runs.get(done.id)!.status).toBe("success");
    // Delivered parts stay recorded, not deleted.
    expect(runs.liveParts(crashed.id).map((p) => p.messageId)).toEqual([7]);
    // Run spool folders are gone (a leftover one too), and the dead process's restore staging.
    expect(readdirSync(spool)).toEqual([]);
    expect(alerts).toEqual([
      {
        key: ALERT_INTERRUPTED,
        params: { runs: `app #${crashed.id}, notes #${other.id}`, restores: "—", containers: "—", stillStopped: "—", hooks: "—", stoppedHooks: "—", helpers: 0, files: 4, uploads: "—", uploadsUnchecked: "—", volumes: "—", volumesKept: "—", volumesCleared: "—", restoresFinished: "—" },
      },
    ]);
  });

  it("does nothing, and says nothing, after a clean shutdown", async () => {
    runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "success", startedAt, finishedAt: startedAt });
    const { notifier, alerts } = recordingNotifier();
    const report = await recoverInterruptedRuns(deps(notifier));
    expect(report).toEqual({ interrupted: [], interruptedRestores: [], liveRuns: [], restartedContainers: [], stillStopped: [], removedHelpers: [], removedSpool: [], abortedUploads: [], uploadsUnchecked: [], removedVolumes: [], volumesKept: [], volumesCleared: [], restoresFinished: [], hooksRun: [], stoppedHooks: [] });
    expect(alerts).toEqual([]);
    expect(existsSync(spool)).toBe(false);
  });

  it("a restore killed while its files moved into an existing volume: recovery finishes the moves (the volume holds the backup, never a mix) and the alert says so", async () => {
    const { docker, helperImage } = testDocker();
    const volume = `tb-test-recovery-${randomUUID().slice(0, 8)}`;
    await docker.createVolume({ Name: volume, Labels: { "tele-backup.test-recovery": "true" } });
    try {
      const mount = ((await docker.getVolume(volume).inspect()) as { Mountpoint: string }).Mountpoint;
      const token = randomUUID();
      const staging = restoreStaging(token);
      // Killed halfway through FINISH_STAGED_RESTORE: one entry moved, the marker written, the rest still staged.
      await writeTree(mount, { "config.yml": "moved", [`${staging}/data/rows.bin`]: "still staged", [`${staging}/.env`]: "still staged", [`${staging}.moving`]: "" });
      const other = `${volume}-other`; // a second one whose restore was killed before its moves: emptied
      await docker.createVolume({ Name: other, Labels: { "tele-backup.test-recovery": "true" } });
      const otherMount = ((await docker.getVolume(other).inspect()) as { Mountpoint: string }).Mountpoint;
      const otherToken = randomUUID();
      await writeTree(otherMount, { [`${restoreStaging(otherToken)}/half.bin`]: "part of a payload" });
      for (const [target, t] of [[volume, token], [other, otherToken]] as const) {
        const row = restores.begin({ runId: 1, target, via: "cli", kind: "volume", scratch: [volumeScratch(target, t)] });
        db.$client.prepare("update restores set owner = ? where id = ?").run(DEAD, row.id);
      }
      const { notifier, alerts } = recordingNotifier();

      const report = await recoverInterruptedRuns({ ...deps(notifier), docker: () => docker, helperImage });

      expect(report.restoresFinished).toEqual([volume]);
      expect(report.volumesCleared).toEqual([other]);
      expect(readdirSync(mount).sort()).toEqual([".env", "config.yml", "data"]);
      expect(readFileSync(path.join(mount, "data/rows.bin"), "utf8")).toBe("still staged");
      expect(readdirSync(otherMount)).toEqual([]);
      expect(alerts[0]!.params).toMatchObject({ restoresFinished: volume, volumesCleared: other, volumesKept: "—" });
    } finally {
      for (const name of [volume, `${volume}-other`]) await docker.getVolume(name).remove({ force: true }).catch(() => undefined);
    }
  });

  it("a restore killed while its files moved into an existing folder: recovery finishes the moves instead of removing the staging folder under them", async () => {
    const target = path.join(dir, "site");
    const staging = path.join(target, ".tele-backup-restore-4194305.1");
    await writeTree(target, { "index.html": "moved before the kill", ".tele-backup-restore-4194305.1.moving": "", ".tele-backup-restore-4194305.1/assets/app.js": "still staged" });
    const row = restores.begin({ runId: 1, target: "site", via: "cli", kind: "directory", scratch: [staging] });
    db.$client.prepare("update restores set owner = ? where id = ?").run(DEAD, row.id);
    const { notifier, alerts } = recordingNotifier();

    const report = await recoverInterruptedRuns(deps(notifier));

    expect(report.restoresFinished).toEqual([target]);
    expect(readdirSync(target).sort()).toEqual(["assets", "index.html"]);
    expect(readFileSync(path.join(target, "assets/app.js"), "utf8")).toBe("still staged");
    expect(alerts[0]!.params).toMatchObject({ restoresFinished: target, files: 0 });
  });

  it("leaves a live process's run, restore and folders alone; finishes a dead one's restore and finalizes its messages", async () => {
    const live = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "cli", status: "running", phase: "upload", startedAt });
    expect(live.owner).toBe(ownerToken());
    const dead = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "manual", status: "running", phase: "dump", startedAt, owner: DEAD });
    runs.setProgressMessage(dead.id, 111, 42);
    const outside = path.join(dir, "elsewhere");
    mkdirSync(outside);
    const partial = path.join(outside, "restored.sql.partial-4194305");
    writeFileSync(partial, "decrypted rows");
    const liveRestore = restores.begin({ runId: 1, target: "keep.sql", via: "cli", kind: "file", scratch: [] });
    const deadRestoreRow = restores.begin({ runId: 1, target: "restored.sql", via: "bot", kind: "file", scratch: [partial], progressChatId: 111, progressMessageId: 43 });
    db.$client.prepare("update restores set owner = ? where id = ?").run(DEAD, deadRestoreRow.id);
    for (const entry of [`run-${live.id}`, `run-${dead.id}`, `restore-1-${ownerTag()}-1-ab`, "restore-1-4194305.1-1-ab", `bot-restore-1-${ownerTag()}-1`, "bot-restore-1-4194305.1-1", "lost+found"]) {
      mkdirSync(path.join(spool, entry), { recursive: true });
      writeFileSync(path.join(spool, entry, "x"), "data");
    }
    const { notifier, alerts } = recordingNotifier();

    const report = await recoverInterruptedRuns(deps(notifier));

    expect(report.liveRuns).toEqual([live.id]);
    expect(runs.get(live.id)).toMatchObject({ status: "running", finishedAt: null, error: null });
    expect(runs.get(dead.id)!.status).toBe("interrupted");
    expect(restores.get(liveRestore.id)!.status).toBe("running");
    expect(restores.get(deadRestoreRow.id)).toMatchObject({ status: "interrupted", finishedAt: now });
    expect(existsSync(partial)).toBe(false);
    expect(readdirSync(spool).sort()).toEqual([`bot-restore-1-${ownerTag()}-1`, "lost+found", `restore-1-${ownerTag()}-1-ab`, `run-${live.id}`].sort());
    expect(finalized).toEqual([
      { chatId: 111, messageId: 42, key: PROGRESS_INTERRUPTED, params: { job: "app", run: String(dead.id), phase: "dump", at: "2026-01-10 03:20 UTC" } },
      { chatId: 111, messageId: 43, key: RESTORE_INTERRUPTED, params: { run: "1", target: "restored.sql", at: "2026-01-10 03:20 UTC" } },
    ]);
    expect(alerts).toEqual([
      {
        key: ALERT_INTERRUPTED,
        params: { runs: `app #${dead.id}`, restores: "#1 → restored.sql", containers: "—", stillStopped: "—", hooks: "—", stoppedHooks: "—", helpers: 0, files: 4, uploads: "—", uploadsUnchecked: "—", volumes: "—", volumesKept: "—", volumesCleared: "—", restoresFinished: "—" },
      },
    ]);
  });

  it("aborts the multipart uploads a dead run left in its S3 buckets, and only those; a bucket that cannot be asked is named in the alert", async () => {
    const fake = await startFakeS3({ buckets: ["backups"], maxUploadsPerPage: 2 });
    const stalled = await startFakeS3({ buckets: ["backups"] });
    try {
      const bucket = (name: string, endpoint: string): S3Config => ({
        kind: "s3", name, endpoint, region: fake.region, bucket: "backups", prefix: "nightly/", pathStyle: true, accessKeyId: fake.accessKeyId, secretAccessKey: fake.secretAccessKey,
      });
      const dead = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "running", phase: "upload", startedAt, owner: DEAD, fileName: "app_20260110-030000.sql.gz" });
      const live = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "cli", status: "running", phase: "upload", startedAt, owner: ownerToken(), fileName: "app_20260110-031000.sql.gz" });
      const client = createS3Client({ ...bucket("x", fake.endpoint) });
      const begin = (key: string) => client.createMultipartUpload(key, {});
      // The dead run's: two parts, one of them begun twice (a retry after a kill mid-retry).
      for (const key of ["nightly/app/app_20260110-030000.sql.gz.001", "nightly/app/app_20260110-030000.sql.gz.001", "nightly/app/app_20260110-030000.sql.gz.002"]) await begin(key);
      // Not its own: the live run's part, an encrypted run of the same second, another job's.
      const others = ["nightly/app/app_20260110-031000.sql.gz.001", "nightly/app/app_20260110-030000.sql.gz.age.001", "nightly/other/app_20260110-030000.sql.gz.001"];
      for (const key of others) await begin(key);
      stalled.failNext("list-multipart", { kind: "stall" });
      const asked: number[] = [];
      const { notifier, alerts } = recordingNotifier();

      const report = await recoverInterruptedRuns({
        ...deps(notifier),
        uploadsTimeoutMs: 2000,
        destinationsOf: async (run) => {
          asked.push(run.id);
          return [createS3Destination(bucket("offsite", fake.endpoint)), createS3Destination(bucket("slow", stalled.endpoint))];
        },
      });

      expect(asked).toEqual([dead.id]);
      expect(fake.pendingUploads("backups").map((u) => u.key).sort()).toEqual([...others].sort());
      expect(report.abortedUploads).toEqual([
        "offsite: nightly/app/app_20260110-030000.sql.gz.001",
        "offsite: nightly/app/app_20260110-030000.sql.gz.001",
        "offsite: nightly/app/app_20260110-030000.sql.gz.002",
      ]);
      expect(fake.requests.filter((r) => r.op === "list-multipart").length).toBeGreaterThan(1); // paged
      expect(report.uploadsUnchecked).toEqual(["slow"]);
      expect(runs.get(live.id)!.status).toBe("running");
      expect(alerts).toEqual([
        {
          key: ALERT_INTERRUPTED,
          params: {
            runs: `app #${dead.id}`, restores: "—", containers: "—", stillStopped: "—", hooks: "—", stoppedHooks: "—", helpers: 0, files: 0,
            uploads: report.abortedUploads.join(", "), uploadsUnchecked: "slow", volumes: "—", volumesKept: "—", volumesCleared: "—", restoresFinished: "—",
          },
        },
      ]);
    } finally {
      await fake.close();
      await stalled.close();
    }
  });

  it("deletes the temp file of a part a dead run was copying into a local folder, and says so", async () => {
    const nas = path.join(dir, "nas");
    const dead = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "running", phase: "upload", startedAt, owner: DEAD, fileName: "app_20260110-030000.sql.gz" });
    const temp = path.join(nas, "app", ".app_20260110-030000.sql.gz.003.tmp-4194305");
    mkdirSync(path.dirname(temp), { recursive: true });
    writeFileSync(temp, "half a copy");
    const { notifier, alerts } = recordingNotifier();

    const report = await recoverInterruptedRuns({ ...deps(notifier), destinationsOf: async () => [createLocalDestination({ name: "nas", path: nas })] });

    expect(existsSync(temp)).toBe(false);
    expect(report.abortedUploads).toEqual([`nas: ${temp}`]);
    expect(alerts[0]!.params).toMatchObject({ runs: `app #${dead.id}`, uploads: `nas: ${temp}`, uploadsUnchecked: "—" });
  });

  it("runs the on_failure, then the after hooks that runs of dead processes owed, once; a live process's run keeps its own", async () => {
    const up = { container: "app", run: "php artisan up" };
    const page = { run: "curl -fsS https://example.com/alert" };
    const crashed = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "running", phase: "dump", startedAt, owner: DEAD, pendingHooks: { after: [up], on_failure: [page] } });
    // Marked interrupted by an earlier start that died before its hooks ran.
    const earlier = runs.create({ jobName: "site", sourceKind: "directory", trigger: "schedule", status: "interrupted", startedAt, owner: DEAD, pendingHooks: { after: [up] } });
    const live = runs.create({ jobName: "live", sourceKind: "postgres", trigger: "manual", status: "running", phase: "dump", startedAt, owner: ownerToken(), pendingHooks: { after: [up] } });
    const plain = runs.create({ jobName: "plain", sourceKind: "postgres", trigger: "schedule", status: "running", startedAt, owner: DEAD });
    const ran: Array<{ stage: string; hooks: unknown; secrets: string[] }> = [];
    const { notifier, alerts } = recordingNotifier();

    const report = await recoverInterruptedRuns({
      ...deps(notifier),
      hooks: {
        runner: { run: async (stage, hooks, { secrets }) => void ran.push({ stage, hooks, secrets }) },
        secretsOf: async (run) => [`secret-of-${run.jobName}`],
      },
    });

    expect(ran).toEqual([
      { stage: "on_failure", hooks: [page], secrets: ["secret-of-app"] },
      { stage: "after", hooks: [up], secrets: ["secret-of-app"] },
      { stage: "after", hooks: [up], secrets: ["secret-of-site"] },
    ]);
    expect(report.hooksRun).toEqual([`app #${crashed.id}`, `site #${earlier.id}`]);
    expect(alerts[0]!.params).toMatchObject({ hooks: `app #${crashed.id}, site #${earlier.id}` });
    expect(runs.get(crashed.id)).toMatchObject({ status: "interrupted", pendingHooks: null });
    expect(runs.get(earlier.id)!.pendingHooks).toBeNull();
    expect(runs.get(live.id)).toMatchObject({ status: "running", pendingHooks: { after: [up] } });
    expect(runs.get(plain.id)!.status).toBe("interrupted");

    // Owed once: the next start runs nothing again.
    ran.length = 0;
    await recoverInterruptedRuns({ ...deps(notifier), hooks: { runner: { run: async (stage, hooks) => void ran.push({ stage, hooks, secrets: [] }) }, secretsOf: async () => [] } });
    expect(ran).toEqual([]);
  });
});
