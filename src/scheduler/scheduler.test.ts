import { afterEach, describe, expect, it } from "vitest";
import type { RunResult, RunTrigger } from "../engine/backup-runner.js";
import { createLogger } from "../logger.js";
import { ManualClock, settle } from "../../test/helpers/manual-clock.js";
import { Scheduler, type SchedulerDeps, type SchedulerJob } from "./scheduler.js";

interface Call {
  jobId: number;
  trigger: RunTrigger;
  at: string;
  signal: AbortSignal;
  finish(status?: RunResult["status"]): void;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function job(id: number, schedule: string, extra: Partial<SchedulerJob> = {}): SchedulerJob {
  return { id, name: `job-${id}`, schedule, timezone: null, enabled: true, ...extra };
}

function result(jobId: number, status: RunResult["status"]): RunResult {
  return { runId: jobId * 1000, status, job: `job-${jobId}`, fileName: "f", rawSize: 0, payloadSize: 0, sha256: null, parts: 0, durationMs: 0, verified: false, error: null };
}

const started: Scheduler[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) {
    await s.stop();
    s.abortAll();
  }
});

/**
 * A scheduler on a manual clock whose `runJob` records each call and finishes when the test
 * says so (or at once with `autoFinish`).
 */
function harness(options: {
  start: string;
  jobs: SchedulerJob[];
  autoFinish?: boolean;
  lastRuns?: Record<number, string>;
  deps?: Partial<SchedulerDeps>;
}) {
  const clock = new ManualClock(options.start);
  let jobs = options.jobs;
  const calls: Call[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const lastRuns = new Map<number, Date>(Object.entries(options.lastRuns ?? {}).map(([id, at]) => [Number(id), new Date(at)]));
  const log = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const scheduler = new Scheduler({
    clock,
    log,
    defaultTimezone: "UTC",
    listJobs: () => jobs,
    lastRunStart: (id) => lastRuns.get(id) ?? null,
    runJob: (jobId, trigger, signal) => {
      const at = clock.now();
      lastRuns.set(jobId, at);
      return new Promise<RunResult>((resolve) => {
        const finish = (status: RunResult["status"] = "success") => resolve(result(jobId, status));
        calls.push({ jobId, trigger, at: at.toISOString(), signal, finish });
        signal.addEventListener("abort", () => finish("interrupted"), { once: true });
        if (options.autoFinish) finish();
      });
    },
    tickMs: HOUR,
    ...options.deps,
  });
  started.push(scheduler);
  return {
    clock,
    scheduler,
    calls,
    logs,
    setJobs(next: SchedulerJob[]) {
      jobs = next;
    },
    /** Fire times (ISO) of one job. */
    firesOf(jobId: number) {
      return calls.filter((c) => c.jobId === jobId).map((c) => c.at);
    },
    async startAndSettle() {
      scheduler.start();
      await settle();
    },
  };
}

/** Local calendar day of an ISO instant in a time zone, e.g. "2026-03-29". */
function localDay(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

describe("cron semantics", () => {
  it('fires "*/15 * * * *" at :00 :15 :30 :45 and nowhere else', async () => {
    const h = harness({ start: "2026-01-10T00:07:00Z", jobs: [job(1, "*/15 * * * *")], autoFinish: true });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T01:07:00Z");
    expect(h.firesOf(1)).toEqual(["2026-01-10T00:15:00.000Z", "2026-01-10T00:30:00.000Z", "2026-01-10T00:45:00.000Z", "2026-01-10T01:00:00.000Z"]);
    expect(h.calls.every((c) => c.trigger === "schedule")).toBe(true);
  });

  it("supports a seconds field (6 fields)", async () => {
    const h = harness({ start: "2026-01-10T00:00:00Z", jobs: [job(1, "*/20 * * * * *")], autoFinish: true, deps: { tickMs: 10_000 } });
    await h.startAndSettle();
    await h.clock.advance(60_000);
    expect(h.firesOf(1)).toEqual(["2026-01-10T00:00:20.000Z", "2026-01-10T00:00:40.000Z", "2026-01-10T00:01:00.000Z"]);
  });
});

describe("time zones", () => {
  it("runs 03:00 Europe/Berlin at 02:00 UTC in winter and 01:00 UTC in summer", async () => {
    const winter = harness({ start: "2026-01-10T00:00:00Z", jobs: [job(1, "0 3 * * *", { timezone: "Europe/Berlin" })], autoFinish: true });
    await winter.startAndSettle();
    await winter.clock.advance(2 * DAY);
    expect(winter.firesOf(1)).toEqual(["2026-01-10T02:00:00.000Z", "2026-01-11T02:00:00.000Z"]);

    const summer = harness({ start: "2026-07-10T00:00:00Z", jobs: [job(1, "0 3 * * *", { timezone: "Europe/Berlin" })], autoFinish: true });
    await summer.startAndSettle();
    await summer.clock.advance(DAY);
    expect(summer.firesOf(1)).toEqual(["2026-07-10T01:00:00.000Z"]);
  });

  it("uses the default time zone for a job without one", async () => {
    const h = harness({
      start: "2026-01-10T00:00:00Z",
      jobs: [job(1, "0 3 * * *"), job(2, "0 3 * * *", { timezone: "UTC" })],
      autoFinish: true,
      deps: { defaultTimezone: "Europe/Berlin", concurrency: 2 },
    });
    await h.startAndSettle();
    await h.clock.advance(DAY);
    expect(h.firesOf(1)).toEqual(["2026-01-10T02:00:00.000Z"]);
    expect(h.firesOf(2)).toEqual(["2026-01-10T03:00:00.000Z"]);
  });
});

describe("daylight-saving changes (Europe/Berlin)", () => {
  const berlin = { timezone: "Europe/Berlin" };

  it('spring forward 2026-03-29: "30 2 * * *" (02:30 does not exist) runs once that day, at 03:30 CEST', async () => {
    const h = harness({ start: "2026-03-27T12:00:00Z", jobs: [job(1, "30 2 * * *", berlin)], autoFinish: true });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-03-31T12:00:00Z");
    const fires = h.firesOf(1);
    // What cron-parser does: the missing 02:30 becomes the first instant after it, 03:30 CEST = 01:30 UTC.
    expect(fires).toEqual(["2026-03-28T01:30:00.000Z", "2026-03-29T01:30:00.000Z", "2026-03-30T00:30:00.000Z", "2026-03-31T00:30:00.000Z"]);
    expect(fires.map((f) => localDay(f, "Europe/Berlin"))).toEqual(["2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31"]);
  });

  it('fall back 2026-10-25: "30 2 * * *" (02:30 happens twice) runs once that day, at the first 02:30', async () => {
    const h = harness({ start: "2026-10-23T12:00:00Z", jobs: [job(1, "30 2 * * *", berlin)], autoFinish: true });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-10-27T12:00:00Z");
    const fires = h.firesOf(1);
    expect(fires).toEqual(["2026-10-24T00:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z", "2026-10-27T01:30:00.000Z"]);
    expect(fires.map((f) => localDay(f, "Europe/Berlin"))).toEqual(["2026-10-24", "2026-10-25", "2026-10-26", "2026-10-27"]);
  });

  it("fall back: a restart inside the repeated hour does not run the job a second time", async () => {
    // Ran at 02:30 CEST (00:30 UTC), restarted at 02:45 CEST; the second 02:30 (CET) is 01:30 UTC.
    const h = harness({
      start: "2026-10-25T00:45:00Z",
      jobs: [job(1, "30 2 * * *", berlin)],
      lastRuns: { 1: "2026-10-25T00:30:00Z" },
      autoFinish: true,
    });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-10-26T12:00:00Z");
    expect(h.firesOf(1)).toEqual(["2026-10-26T01:30:00.000Z"]);
  });

  it("fall back: an hourly job runs in both occurrences of the repeated hour (elapsed-time semantics)", async () => {
    const h = harness({ start: "2026-10-24T23:00:00Z", jobs: [job(1, "30 * * * *", berlin)], autoFinish: true });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-10-25T03:00:00Z");
    expect(h.firesOf(1)).toEqual(["2026-10-24T23:30:00.000Z", "2026-10-25T00:30:00.000Z", "2026-10-25T01:30:00.000Z", "2026-10-25T02:30:00.000Z"]);
  });
});

describe("overlap", () => {
  it("skips a fire time while the job is still running, records it, and fires again once it finished", async () => {
    const h = harness({ start: "2026-01-10T00:00:30Z", jobs: [job(1, "*/15 * * * *")] });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T00:40:00Z");
    expect(h.firesOf(1)).toEqual(["2026-01-10T00:15:00.000Z"]);
    const status = h.scheduler.status()[0]!;
    expect(status).toMatchObject({ state: "running", skipped: 1, runningSince: new Date("2026-01-10T00:15:00Z") });
    const skipLog = h.logs.find((l) => l.msg === "scheduled run skipped: the previous run is still running");
    expect(skipLog).toMatchObject({ job: "job-1", scheduledFor: "2026-01-10T00:30:00.000Z", reason: "running" });

    h.calls[0]!.finish();
    await settle();
    expect(h.scheduler.status()[0]).toMatchObject({ state: "idle", lastResult: { status: "success" } });
    await h.clock.advanceTo("2026-01-10T00:50:00Z");
    expect(h.firesOf(1)).toEqual(["2026-01-10T00:15:00.000Z", "2026-01-10T00:45:00.000Z"]);
  });

  it("refuses a manual run of a job that is running", async () => {
    const h = harness({ start: "2026-01-10T00:00:00Z", jobs: [job(1, "0 0 1 1 *")] });
    await h.startAndSettle();
    const first = h.scheduler.enqueue(1, "manual");
    expect(first.accepted).toBe(true);
    await settle();
    expect(h.scheduler.enqueue(1, "manual")).toEqual({ accepted: false, reason: "running" });
    h.calls[0]!.finish();
    expect(first.accepted && (await first.done)).toMatchObject({ status: "success" });
    expect(h.calls.map((c) => c.trigger)).toEqual(["manual"]);
  });
});

describe("concurrency limit", () => {
  it("with limit 1, a second due job waits and then runs (FIFO)", async () => {
    const h = harness({ start: "2026-01-10T00:30:00Z", jobs: [job(1, "0 * * * *"), job(2, "0 * * * *"), job(3, "0 * * * *")] });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T01:05:00Z");
    expect(h.calls.map((c) => c.jobId)).toEqual([1]);
    expect(h.scheduler.status().map((s) => s.state)).toEqual(["running", "queued", "queued"]);

    h.calls[0]!.finish();
    await settle();
    expect(h.calls.map((c) => [c.jobId, c.at])).toEqual([
      [1, "2026-01-10T01:00:00.000Z"],
      [2, "2026-01-10T01:05:00.000Z"],
    ]);
    h.calls[1]!.finish();
    await settle();
    expect(h.calls.map((c) => c.jobId)).toEqual([1, 2, 3]);
    expect(h.calls.every((c) => c.trigger === "schedule")).toBe(true);
  });

  it("with limit 2, two jobs run at once", async () => {
    const h = harness({ start: "2026-01-10T00:30:00Z", jobs: [job(1, "0 * * * *"), job(2, "0 * * * *"), job(3, "0 * * * *")], deps: { concurrency: 2 } });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T01:00:00Z");
    expect(h.calls.map((c) => c.jobId)).toEqual([1, 2]);
  });

  it("a queued job's fire time is skipped too, not queued twice", async () => {
    const h = harness({ start: "2026-01-10T00:00:30Z", jobs: [job(1, "0 * * * *"), job(2, "0,15,30 1 * * *")] });
    await h.startAndSettle();
    // job 1 holds the only slot from 01:00; job 2 queues at 01:00 and its 01:15 and 01:30 are skipped
    await h.clock.advanceTo("2026-01-10T01:35:00Z");
    expect(h.calls.map((c) => c.jobId)).toEqual([1]);
    expect(h.scheduler.status()[1]).toMatchObject({ state: "queued", skipped: 2 });
  });

  it("drops a queued scheduled run when its job is disabled before it starts", async () => {
    const h = harness({ start: "2026-01-10T00:30:00Z", jobs: [job(1, "0 * * * *"), job(2, "0 * * * *")] });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T01:00:00Z");
    h.setJobs([job(1, "0 * * * *"), job(2, "0 * * * *", { enabled: false })]);
    await h.scheduler.reload();
    h.calls[0]!.finish();
    await settle();
    expect(h.calls.map((c) => c.jobId)).toEqual([1]);
    expect(h.scheduler.status()[1]).toMatchObject({ state: "idle", enabled: false });
  });
});

describe("missed runs at start-up", () => {
  const nightly = () => job(1, "0 3 * * *", { timezone: "Europe/Berlin" });

  it("down at 03:00, up at 03:20 with 1 h grace: runs once with trigger startup", async () => {
    const h = harness({ start: "2026-01-10T02:20:00Z", jobs: [nightly()], lastRuns: { 1: "2026-01-09T02:00:00Z" }, autoFinish: true });
    await h.startAndSettle();
    expect(h.calls.map((c) => [c.trigger, c.at])).toEqual([["startup", "2026-01-10T02:20:00.000Z"]]);
    await h.clock.advanceTo("2026-01-11T12:00:00Z");
    expect(h.calls.map((c) => [c.trigger, c.at])).toEqual([
      ["startup", "2026-01-10T02:20:00.000Z"],
      ["schedule", "2026-01-11T02:00:00.000Z"],
    ]);
  });

  it("up again the next day: the miss is older than the grace window and is not made up", async () => {
    const h = harness({ start: "2026-01-11T10:00:00Z", jobs: [nightly()], lastRuns: { 1: "2026-01-09T02:00:00Z" }, autoFinish: true });
    await h.startAndSettle();
    expect(h.calls).toEqual([]);
    await h.clock.advanceTo("2026-01-12T12:00:00Z");
    expect(h.calls.map((c) => [c.trigger, c.at])).toEqual([["schedule", "2026-01-12T02:00:00.000Z"]]);
  });

  it("many missed fire times are made up once, not once per miss", async () => {
    const h = harness({ start: "2026-01-10T12:07:00Z", jobs: [job(1, "*/5 * * * *")], lastRuns: { 1: "2026-01-10T09:00:00Z" }, autoFinish: true });
    await h.startAndSettle();
    expect(h.calls.map((c) => c.trigger)).toEqual(["startup"]);
  });

  it("does not make up a fire time the last run already covers, nor when catch-up is off", async () => {
    const covered = harness({ start: "2026-01-10T02:20:00Z", jobs: [nightly()], lastRuns: { 1: "2026-01-10T02:00:00.300Z" }, autoFinish: true });
    await covered.startAndSettle();
    expect(covered.calls).toEqual([]);

    const off = harness({ start: "2026-01-10T02:20:00Z", jobs: [nightly()], lastRuns: { 1: "2026-01-09T02:00:00Z" }, autoFinish: true, deps: { missedRunGraceMs: 0 } });
    await off.startAndSettle();
    expect(off.calls).toEqual([]);
  });

  it("a job that never ran is made up only if it existed at the missed time", async () => {
    const existed = harness({ start: "2026-01-10T02:20:00Z", jobs: [{ ...nightly(), createdAt: new Date("2026-01-10T01:00:00Z") }], autoFinish: true });
    await existed.startAndSettle();
    expect(existed.calls.map((c) => c.trigger)).toEqual(["startup"]);

    const createdLater = harness({ start: "2026-01-10T02:20:00Z", jobs: [{ ...nightly(), createdAt: new Date("2026-01-10T02:10:00Z") }], autoFinish: true });
    await createdLater.startAndSettle();
    expect(createdLater.calls).toEqual([]);

    const unknown = harness({ start: "2026-01-10T02:20:00Z", jobs: [nightly()], autoFinish: true });
    await unknown.startAndSettle();
    expect(unknown.calls).toEqual([]);
  });
});

describe("hot reload", () => {
  it("an edited schedule takes effect on reload(): the next fire follows the new schedule", async () => {
    const h = harness({ start: "2026-01-10T00:00:00Z", jobs: [job(1, "0 3 * * *")], autoFinish: true });
    await h.startAndSettle();
    expect(h.scheduler.status()[0]!.nextRun).toEqual(new Date("2026-01-10T03:00:00Z"));
    await h.clock.advanceTo("2026-01-10T01:00:00Z");
    h.setJobs([job(1, "30 1 * * *")]);
    await h.scheduler.reload();
    expect(h.scheduler.status()[0]!.nextRun).toEqual(new Date("2026-01-10T01:30:00Z"));
    await h.clock.advanceTo("2026-01-10T12:00:00Z");
    expect(h.firesOf(1)).toEqual(["2026-01-10T01:30:00.000Z"]);
  });

  it("without reload(), an edit made by another process is picked up at the next tick", async () => {
    const h = harness({ start: "2026-01-10T00:00:00Z", jobs: [job(1, "0 3 * * *")], autoFinish: true, deps: { tickMs: 60_000 } });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T01:00:30Z");
    h.setJobs([job(1, "2 1 * * *")]);
    await h.clock.advanceTo("2026-01-10T12:00:00Z");
    expect(h.firesOf(1)).toEqual(["2026-01-10T01:02:00.000Z"]);
  });

  it("a fire time between the edit and the next tick is not lost", async () => {
    const h = harness({ start: "2026-01-10T00:00:00Z", jobs: [job(1, "0 3 * * *")], autoFinish: true, deps: { tickMs: 60_000 } });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T00:59:30Z"); // last tick at 00:59:00, next at 01:00:00
    h.setJobs([job(1, "0 1 * * *")]);
    await h.clock.advanceTo("2026-01-10T01:10:00Z");
    expect(h.firesOf(1)).toEqual(["2026-01-10T01:00:00.000Z"]);
  });

  it("added, disabled and deleted jobs take effect without a restart", async () => {
    const h = harness({ start: "2026-01-10T00:00:00Z", jobs: [job(1, "0 * * * *")], autoFinish: true, deps: { concurrency: 3 } });
    await h.startAndSettle();
    h.setJobs([job(1, "0 * * * *"), job(2, "0 * * * *"), job(3, "0 * * * *")]);
    await h.scheduler.reload();
    await h.clock.advanceTo("2026-01-10T01:30:00Z");
    h.setJobs([job(1, "0 * * * *", { enabled: false }), job(3, "0 * * * *")]);
    await h.scheduler.reload();
    await h.clock.advanceTo("2026-01-10T02:30:00Z");
    expect(h.calls.map((c) => `${c.jobId}@${c.at.slice(11, 16)}`)).toEqual(["1@01:00", "2@01:00", "3@01:00", "3@02:00"]);
    expect(h.scheduler.status().map((s) => [s.id, s.enabled, s.nextRun])).toEqual([
      [1, false, null],
      [3, true, new Date("2026-01-10T03:00:00Z")],
    ]);
  });

  it("a job with an unusable schedule is reported and does not stop the others", async () => {
    const h = harness({ start: "2026-01-10T00:30:00Z", jobs: [job(1, "not a cron"), job(2, "0 * * * *", { timezone: "Mars/Olympus" }), job(3, "0 * * * *")], autoFinish: true });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T01:30:00Z");
    expect(h.calls.map((c) => c.jobId)).toEqual([3]);
    const [bad, badTz] = h.scheduler.status();
    expect(bad!.scheduleError).toMatch(/not a cron/);
    expect(badTz!.scheduleError).toMatch(/unknown time zone "Mars\/Olympus"/);
  });
});

describe("shutdown", () => {
  it("stop() ends ticking and drops queued runs; abortAll() aborts running ones; whenIdle() waits for them", async () => {
    const h = harness({ start: "2026-01-10T00:30:00Z", jobs: [job(1, "0 * * * *")] });
    await h.startAndSettle();
    await h.clock.advanceTo("2026-01-10T01:00:00Z");
    const queued = h.scheduler.enqueue(2, "manual");
    await h.scheduler.stop();
    expect(queued.accepted && (await queued.done)).toBeNull();
    expect(h.scheduler.enqueue(1, "manual")).toEqual({ accepted: false, reason: "stopped" });
    expect(h.clock.pending()).toBe(0);

    let idle = false;
    const whenIdle = h.scheduler.whenIdle().then(() => (idle = true));
    await settle();
    expect(idle).toBe(false);
    h.scheduler.abortAll(new Error("SIGTERM"));
    expect(h.calls[0]!.signal.aborted).toBe(true);
    await whenIdle;
    expect(h.scheduler.status()[0]).toMatchObject({ state: "idle", lastResult: { status: "interrupted" } });

    await h.clock.advanceTo("2026-01-10T05:00:00Z");
    expect(h.calls).toHaveLength(1);
  });
});

describe("ticks", () => {
  it("writes the heartbeat and calls the tick hook on every tick", async () => {
    const beats: string[] = [];
    const hooked: number[] = [];
    const h = harness({
      start: "2026-01-10T00:00:00Z",
      jobs: [job(1, "0 0 1 1 *")],
      deps: {
        tickMs: 10_000,
        heartbeat: { beat: (now) => void beats.push(now.toISOString()) },
        onTick: ({ jobs }) => void hooked.push(jobs.length),
      },
    });
    await h.startAndSettle();
    await h.clock.advance(30_000);
    expect(beats).toEqual(["2026-01-10T00:00:00.000Z", "2026-01-10T00:00:10.000Z", "2026-01-10T00:00:20.000Z", "2026-01-10T00:00:30.000Z"]);
    expect(hooked).toEqual([1, 1, 1, 1]);
  });

  it("keeps the previous job list when reading it fails", async () => {
    let fail = false;
    const h = harness({ start: "2026-01-10T00:30:00Z", jobs: [job(1, "0 * * * *")], autoFinish: true });
    const scheduler = new Scheduler({
      clock: h.clock,
      log: createLogger("silent"),
      defaultTimezone: "UTC",
      tickMs: 60_000,
      listJobs: () => {
        if (fail) throw new Error("database is locked");
        return [job(1, "0 * * * *")];
      },
      lastRunStart: () => null,
      runJob: async (jobId, trigger) => {
        h.calls.push({ jobId, trigger, at: h.clock.now().toISOString(), signal: new AbortController().signal, finish() {} });
        return result(jobId, "success");
      },
    });
    started.push(scheduler);
    scheduler.start();
    await settle();
    fail = true;
    await h.clock.advanceTo("2026-01-10T01:30:00Z");
    expect(h.calls.map((c) => c.at)).toEqual(["2026-01-10T01:00:00.000Z"]);
  });
});

describe("reload and start-up edge cases", () => {
  it("a reload() asked for during a tick gets a tick of its own, without the clock moving", async () => {
    const clock = new ManualClock("2026-01-10T00:00:00Z");
    let release!: () => void;
    let reads = 0;
    const scheduler = new Scheduler({
      clock,
      log: createLogger("silent"),
      defaultTimezone: "UTC",
      listJobs: () => {
        reads++;
        return reads === 1 ? new Promise<SchedulerJob[]>((r) => (release = () => r([]))) : [];
      },
      lastRunStart: () => null,
      runJob: async (jobId) => result(jobId, "success"),
    });
    started.push(scheduler);
    scheduler.start();
    await settle();
    const reloaded = scheduler.reload(); // the first tick is still reading the list
    release();
    await reloaded;
    expect(reads).toBe(2);
  });

  it("makes up a missed run on the first tick that can read the job list", async () => {
    const clock = new ManualClock("2026-01-10T02:20:00Z");
    let fail = true;
    const triggers: RunTrigger[] = [];
    const scheduler = new Scheduler({
      clock,
      log: createLogger("silent"),
      defaultTimezone: "Europe/Berlin",
      tickMs: 60_000,
      listJobs: () => {
        if (fail) throw new Error("database is locked");
        return [job(1, "0 3 * * *")];
      },
      lastRunStart: () => new Date("2026-01-09T02:00:00Z"),
      runJob: async (jobId, trigger) => {
        triggers.push(trigger);
        return result(jobId, "success");
      },
    });
    started.push(scheduler);
    scheduler.start();
    await settle();
    fail = false;
    await clock.advance(60_000);
    await clock.advance(10 * 60_000);
    expect(triggers).toEqual(["startup"]);
  });
});

describe("nextRuns", () => {
  it("lists the next run times in the job's time zone", () => {
    const h = harness({ start: "2026-01-10T00:00:00Z", jobs: [] });
    expect(h.scheduler.nextRuns({ schedule: "0 3 * * *", timezone: "Europe/Berlin" }, 3)).toEqual([
      new Date("2026-01-10T02:00:00Z"),
      new Date("2026-01-11T02:00:00Z"),
      new Date("2026-01-12T02:00:00Z"),
    ]);
    expect(h.scheduler.nextRuns({ schedule: "0 3 * * *", timezone: null }, 1, new Date("2026-07-01T00:00:00Z"))).toEqual([new Date("2026-07-01T03:00:00Z")]);
  });
});
