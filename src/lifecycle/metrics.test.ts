import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase, type Db } from "../db/client.js";
import { createLogger } from "../logger.js";
import { RunsRepo } from "../repos/runs.repo.js";
import type { JobStatus } from "../scheduler/scheduler.js";
import { loadConfig } from "../config/env.js";
import { renderMetrics, runStatsFromRepo, startMetricsServer } from "./metrics.js";

describe("metrics", () => {
  let dir: string;
  let db: Db;
  let runs: RunsRepo;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "tb-metrics-"));
    db = openDatabase(path.join(dir, "db.sqlite"));
    runs = new RunsRepo(db);
    const base = { sourceKind: "sqlite", trigger: "schedule" as const };
    runs.create({ ...base, jobName: "app", status: "success", startedAt: new Date("2026-01-09T03:00:00Z"), finishedAt: new Date("2026-01-09T03:01:00Z"), payloadSize: 100, verifiedAt: new Date("2026-01-09T03:01:00Z") });
    runs.create({ ...base, jobName: "app", status: "success", startedAt: new Date("2026-01-10T03:00:00Z"), finishedAt: new Date("2026-01-10T03:02:30Z"), payloadSize: 2048, verifiedAt: new Date("2026-01-10T03:02:30Z") });
    runs.create({ ...base, jobName: "app", status: "failed", startedAt: new Date("2026-01-11T03:00:00Z"), finishedAt: new Date("2026-01-11T03:00:05Z") });
    runs.create({ ...base, jobName: 'we"ird\\job', status: "interrupted", startedAt: new Date("2026-01-11T03:00:00Z") });
  });
  afterEach(() => {
    db.$client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const status: JobStatus = {
    id: 1, name: "app", enabled: true, state: "running", runningSince: new Date("2026-01-12T03:00:00Z"), trigger: "schedule",
    nextRun: new Date("2026-01-13T03:00:00Z"), scheduleError: null, skipped: 2, lastResult: null,
  };

  it("renders per-job last success time, duration and size, runs by status, and scheduler state", () => {
    const text = renderMetrics({ runs: runStatsFromRepo(runs)(), scheduler: [status], heartbeat: new Date("2026-01-12T03:00:05Z") });
    const lines = text.split("\n");
    expect(lines).toContain(`tele_backup_last_success_timestamp_seconds{job="app"} ${Date.parse("2026-01-10T03:00:00Z") / 1000}`);
    expect(lines).toContain('tele_backup_last_success_duration_seconds{job="app"} 150');
    expect(lines).toContain('tele_backup_last_success_size_bytes{job="app"} 2048');
    expect(lines).toContain('tele_backup_runs{job="app",status="success"} 2');
    expect(lines).toContain('tele_backup_runs{job="app",status="failed"} 1');
    expect(lines).toContain('tele_backup_runs{job="app",status="interrupted"} 0');
    expect(lines).toContain('tele_backup_runs{job="we\\"ird\\\\job",status="interrupted"} 1');
    expect(lines).toContain('tele_backup_job_running{job="app"} 1');
    expect(lines).toContain('tele_backup_scheduler_skipped_total{job="app"} 2');
    expect(lines).toContain(`tele_backup_job_next_run_timestamp_seconds{job="app"} ${Date.parse("2026-01-13T03:00:00Z") / 1000}`);
    expect(lines).toContain(`tele_backup_heartbeat_timestamp_seconds ${Date.parse("2026-01-12T03:00:05Z") / 1000}`);
    expect(lines).toContain("# TYPE tele_backup_last_success_timestamp_seconds gauge");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("a run not read back in full is ⚠️ in the metrics: last_backup_verified 0, and it is not the last success; order is the sequence, not the clock", () => {
    const base = { sourceKind: "sqlite", trigger: "schedule" as const, jobName: "app" };
    // Made after every run above, but by a clock 400 days ahead; then one that was not read back.
    runs.create({ ...base, status: "success", startedAt: new Date("2027-02-14T03:00:00Z"), finishedAt: new Date("2027-02-14T03:01:00Z"), payloadSize: 300, verifiedAt: new Date("2027-02-14T03:01:00Z") });
    runs.create({ ...base, status: "success", startedAt: new Date("2026-01-12T03:00:00Z"), finishedAt: new Date("2026-01-12T03:01:00Z"), payloadSize: 25 * 1024 * 1024 });
    const lines = renderMetrics({ runs: runStatsFromRepo(runs)() }).split("\n");
    expect(lines).toContain('tele_backup_last_backup_verified{job="app"} 0');
    expect(lines).toContain('tele_backup_unverified_runs{job="app"} 1');
    // The newest good backup by sequence is the future-dated one (id 5), not the unverified id 6.
    expect(lines).toContain(`tele_backup_last_success_timestamp_seconds{job="app"} ${Date.parse("2027-02-14T03:00:00Z") / 1000}`);
    expect(lines).toContain('tele_backup_last_success_size_bytes{job="app"} 300');

    runs.create({ ...base, status: "success", startedAt: new Date("2026-01-13T03:00:00Z"), finishedAt: new Date("2026-01-13T03:00:10Z"), payloadSize: 7, verifiedAt: new Date("2026-01-13T03:00:10Z") });
    const after = renderMetrics({ runs: runStatsFromRepo(runs)() }).split("\n");
    expect(after).toContain('tele_backup_last_backup_verified{job="app"} 1');
    expect(after).toContain(`tele_backup_last_success_timestamp_seconds{job="app"} ${Date.parse("2026-01-13T03:00:00Z") / 1000}`);
  });

  it("listens on the loopback address unless told otherwise (the endpoint has no authentication)", async () => {
    const server = await startMetricsServer(0, { runStats: runStatsFromRepo(runs), log: createLogger("silent") });
    try {
      expect(server.host).toBe("127.0.0.1");
    } finally {
      await server.close();
    }
    const env = { ADMIN_IDS: "1", MASTER_KEY: "metrics-test-master-key-0123456789-abcdef" };
    expect(loadConfig(env).metricsHost).toBe("127.0.0.1");
    expect(loadConfig({ ...env, METRICS_HOST: "0.0.0.0" }).metricsHost).toBe("0.0.0.0");
  });

  it("serves /metrics over HTTP and 404 elsewhere", async () => {
    const server = await startMetricsServer(0, { runStats: runStatsFromRepo(runs), log: createLogger("silent") }, "127.0.0.1");
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await res.text()).toContain('tele_backup_runs{job="app",status="success"} 2');
      expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("reports the event-loop delay since the previous scrape: a 300 ms block shows once, then the next interval is calm", async () => {
    const server = await startMetricsServer(0, { runStats: runStatsFromRepo(runs), log: createLogger("silent") }, "127.0.0.1");
    const delay = async (quantile: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith(`tele_backup_event_loop_delay_seconds{quantile="${quantile}"}`));
      expect(line, text).toBeDefined();
      return Number(line!.split(" ")[1]);
    };
    try {
      await new Promise((r) => setTimeout(r, 100));
      await delay("1"); // start a fresh interval
      await new Promise((r) => setTimeout(r, 50));
      const until = Date.now() + 300;
      while (Date.now() < until) {
        /* the event loop is blocked, as a synchronous hash of a big buffer would block it */
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(await delay("1")).toBeGreaterThanOrEqual(0.25);
      await new Promise((r) => setTimeout(r, 200));
      expect(await delay("1")).toBeLessThan(0.2);
    } finally {
      await server.close();
    }
  });
});
