import { describe, expect, it } from "vitest";
import type { RunResult } from "../../src/engine/backup-runner.js";
import { createLogger } from "../../src/logger.js";
import { Scheduler } from "../../src/scheduler/scheduler.js";
import { ManualClock, settle } from "../helpers/manual-clock.js";

/** The scheduler's side of ⏹ Stop: whom a queued run waits behind, and stopping a running or a queued run. */
describe("Scheduler.cancel and waitingBehind", () => {
  it("names the runs a queued run waits behind, drops a queued run, aborts a running one with the reason given, and moves the queue on", async () => {
    const clock = new ManualClock("2026-06-01T12:00:00Z");
    const aborted: unknown[] = [];
    const startedJobs: number[] = [];
    const finishers = new Map<number, () => void>();
    const scheduler = new Scheduler({
      clock,
      log: createLogger("silent"),
      defaultTimezone: "UTC",
      listJobs: () => [1, 2, 3].map((id) => ({ id, name: `job-${id}`, schedule: "0 3 * * *", timezone: null, enabled: true })),
      lastRunStart: () => null,
      runJob: (jobId, _trigger, signal) =>
        new Promise<RunResult>((resolve) => {
          startedJobs.push(jobId);
          const done = (status: RunResult["status"]) =>
            resolve({ runId: jobId, status, job: `job-${jobId}`, fileName: "f", rawSize: 0, payloadSize: 0, sha256: null, parts: 0, durationMs: 0, verified: false, error: null });
          finishers.set(jobId, () => done("success"));
          signal.addEventListener("abort", () => {
            aborted.push(signal.reason);
            done("cancelled");
          });
        }),
    });
    scheduler.start();
    await scheduler.reload();

    const one = scheduler.enqueue(1);
    const two = scheduler.enqueue(2);
    const three = scheduler.enqueue(3);
    expect(one.accepted && two.accepted && three.accepted).toBe(true);
    expect(scheduler.waitingBehind(1)).toBeNull();
    expect(scheduler.waitingBehind(2)).toEqual(["job-1"]);
    expect(scheduler.waitingBehind(3)).toEqual(["job-1", "job-2"]);

    // A queued run is dropped: its done resolves to null and it never starts.
    expect(scheduler.cancel(2, new Error("stop"))).toBe("queued");
    await expect(two.accepted ? two.done : null).resolves.toBeNull();
    expect(scheduler.waitingBehind(3)).toEqual(["job-1"]);

    // The running one is aborted with the reason given; the queue moves on to job 3.
    const reason = new Error("stopped by Ada");
    expect(scheduler.cancel(1, reason)).toBe("running");
    await expect(one.accepted ? one.done : null).resolves.toMatchObject({ status: "cancelled" });
    expect(aborted).toEqual([reason]);
    await settle();
    expect(startedJobs).toEqual([1, 3]);
    expect(scheduler.cancel(2, reason)).toBeNull();

    finishers.get(3)!();
    await expect(three.accepted ? three.done : null).resolves.toMatchObject({ status: "success" });
    await scheduler.stop();
  });
});
