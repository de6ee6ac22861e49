import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.js";
import type { RunResult } from "../engine/backup-runner.js";
import { createLogger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import { RunsRepo } from "../repos/runs.repo.js";
import { ALERT_INTERRUPTED, recoverInterruptedRuns } from "./recovery.js";

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

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-recovery-"));
    spool = path.join(dir, "spool");
    db = openDatabase(path.join(dir, "db.sqlite"));
    runs = new RunsRepo(db);
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const startedAt = new Date("2026-01-10T03:00:00Z");
  const now = new Date("2026-01-10T03:20:00Z");

  it("marks runs left running as interrupted, removes their spool folders, keeps delivered parts and alerts the admins", async () => {
    const done = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "success", startedAt, finishedAt: startedAt });
    const crashed = runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "running", phase: "upload", startedAt });
    const other = runs.create({ jobName: "notes", sourceKind: "sqlite", trigger: "manual", status: "running", phase: "dump", startedAt });
    runs.addPart({ runId: crashed.id, partIndex: 1, name: "app_x.sql.gz.001", size: 10, sha256: "a", locator: "-100", messageId: 7, storedAt: startedAt });
    for (const id of [crashed.id, other.id, 999]) {
      mkdirSync(path.join(spool, `run-${id}`), { recursive: true });
      writeFileSync(path.join(spool, `run-${id}`, "app_x.sql.gz.002"), "half a part");
    }
    mkdirSync(path.join(spool, "restore-5-123-1"), { recursive: true });
    const { notifier, alerts } = recordingNotifier();

    const report = await recoverInterruptedRuns({ runs, spoolDir: spool, notifier, log: createLogger("silent"), now: () => now });

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
    // Run spool folders are gone (a leftover one too); other spool entries are not ours to touch.
    expect(readdirSync(spool)).toEqual(["restore-5-123-1"]);
    expect(alerts).toEqual([{ key: ALERT_INTERRUPTED, params: { count: 2, runs: `app #${crashed.id}, notes #${other.id}` } }]);
  });

  it("does nothing, and says nothing, after a clean shutdown", async () => {
    runs.create({ jobName: "app", sourceKind: "postgres", trigger: "schedule", status: "success", startedAt, finishedAt: startedAt });
    const { notifier, alerts } = recordingNotifier();
    const report = await recoverInterruptedRuns({ runs, spoolDir: spool, notifier, log: createLogger("silent"), now: () => now });
    expect(report).toEqual({ interrupted: [], removedSpool: [] });
    expect(alerts).toEqual([]);
    expect(existsSync(spool)).toBe(false);
  });
});
