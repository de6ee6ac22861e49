import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { RunRow } from "../db/schema.js";
import type { Logger } from "../logger.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { JobStatus } from "../scheduler/scheduler.js";

export const RUN_STATUSES: readonly RunRow["status"][] = ["running", "success", "failed", "interrupted", "cancelled"];

/** Per-job figures from the run history, keyed by job name (runs keep it after a job is deleted). */
export interface JobRunStats {
  job: string;
  /** Start of the job's newest good backup: the highest-id success read back in full. */
  lastSuccessAt: Date | null;
  /** Duration of the last successful run. */
  lastSuccessDurationMs: number | null;
  /** Payload bytes of the last successful run. */
  lastSuccessSize: number | null;
  runsByStatus: Record<RunRow["status"], number>;
  /** The newest successful run (by id) was read back in full: true; it was not (⚠️): false; no success yet: null. */
  lastBackupVerified?: boolean | null;
  /** Successful runs that were not read back in full. */
  unverifiedRuns?: number;
}

export interface MetricsSnapshot {
  runs: JobRunStats[];
  /** From the scheduler, when one runs in this process. */
  scheduler?: JobStatus[];
  heartbeat?: Date | null;
  /** Event-loop delay since the previous scrape (or start-up), from `perf_hooks.monitorEventLoopDelay`. */
  eventLoopDelay?: EventLoopDelay;
}

export interface EventLoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface MetricsDeps {
  runStats(): JobRunStats[];
  schedulerStatus?(): JobStatus[];
  heartbeat?(): Date | null;
  log: Logger;
}

/** Prometheus text exposition format 0.0.4. */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const out: string[] = [];
  const family = (name: string, type: "gauge" | "counter", help: string, samples: Array<[Record<string, string>, number]>) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${renderLabels(labels)} ${formatValue(value)}`);
  };
  const runs = [...snapshot.runs].sort((a, b) => a.job.localeCompare(b.job));

  family(
    "tele_backup_last_success_timestamp_seconds",
    "gauge",
    "Start time of the job's last successful backup that was read back in full (Unix seconds).",
    runs.filter((r) => r.lastSuccessAt).map((r) => [{ job: r.job }, r.lastSuccessAt!.getTime() / 1000]),
  );
  family(
    "tele_backup_last_success_duration_seconds",
    "gauge",
    "Duration of the job's last successful backup.",
    runs.filter((r) => r.lastSuccessDurationMs != null).map((r) => [{ job: r.job }, r.lastSuccessDurationMs! / 1000]),
  );
  family(
    "tele_backup_last_success_size_bytes",
    "gauge",
    "Payload size of the job's last successful backup.",
    runs.filter((r) => r.lastSuccessSize != null).map((r) => [{ job: r.job }, r.lastSuccessSize!]),
  );
  family(
    "tele_backup_last_backup_verified",
    "gauge",
    "1 when the job's newest successful run was read back in full (restorable by this tool), 0 when it was not.",
    runs.filter((r) => r.lastBackupVerified != null).map((r) => [{ job: r.job }, r.lastBackupVerified ? 1 : 0]),
  );
  family(
    "tele_backup_unverified_runs",
    "gauge",
    "Successful runs in the history that were not read back in full (not counted as good backups).",
    runs.map((r) => [{ job: r.job }, r.unverifiedRuns ?? 0]),
  );
  family(
    "tele_backup_runs",
    "gauge",
    "Runs recorded in the history, by job and status.",
    runs.flatMap((r) => RUN_STATUSES.map((status): [Record<string, string>, number] => [{ job: r.job, status }, r.runsByStatus[status] ?? 0])),
  );

  if (snapshot.scheduler) {
    const jobs = [...snapshot.scheduler].sort((a, b) => a.name.localeCompare(b.name));
    family("tele_backup_job_running", "gauge", "1 while the job is running.", jobs.map((j) => [{ job: j.name }, j.state === "running" ? 1 : 0]));
    family(
      "tele_backup_job_next_run_timestamp_seconds",
      "gauge",
      "Next scheduled run of the job (Unix seconds).",
      jobs.filter((j) => j.nextRun).map((j) => [{ job: j.name }, j.nextRun!.getTime() / 1000]),
    );
    family(
      "tele_backup_scheduler_skipped_total",
      "counter",
      "Scheduled runs skipped because the previous run was still running or queued (since start-up).",
      jobs.map((j) => [{ job: j.name }, j.skipped]),
    );
  }
  if (snapshot.heartbeat !== undefined) {
    family(
      "tele_backup_heartbeat_timestamp_seconds",
      "gauge",
      "Last scheduler tick (Unix seconds).",
      snapshot.heartbeat ? [[{}, snapshot.heartbeat.getTime() / 1000]] : [],
    );
  }
  if (snapshot.eventLoopDelay) {
    const d = snapshot.eventLoopDelay;
    family(
      "tele_backup_event_loop_delay_seconds",
      "gauge",
      "How late the process's event loop ran timers since the previous scrape (or start-up): p50, p99 and the maximum. High values mean the bot answers slowly.",
      [
        [{ quantile: "0.5" }, d.p50Ms / 1000],
        [{ quantile: "0.99" }, d.p99Ms / 1000],
        [{ quantile: "1" }, d.maxMs / 1000],
      ],
    );
  }
  return out.join("\n") + "\n";
}

/** Reads and restarts the histogram: each scrape covers the interval since the previous one. */
function takeDelay(h: IntervalHistogram): EventLoopDelay | undefined {
  if (h.count === 0) return undefined;
  const ms = (ns: number) => ns / 1e6;
  const d = { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
  h.reset();
  return d;
}

function renderLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return "";
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`).join(",")}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/**
 * `runStats` over the runs repository (reads the history; fine for the few runs a day a backup
 * tool records). "Last" is the sequence (highest run id), never the clock; the last success is
 * the newest one read back in full.
 */
export function runStatsFromRepo(runs: Pick<RunsRepo, "listByStatus">): () => JobRunStats[] {
  return () => {
    const byJob = new Map<string, JobRunStats & { lastGoodId: number; lastSuccessId: number }>();
    const entry = (job: string) => {
      let e = byJob.get(job);
      if (!e) {
        e = {
          job, lastSuccessAt: null, lastSuccessDurationMs: null, lastSuccessSize: null, runsByStatus: { running: 0, success: 0, failed: 0, interrupted: 0, cancelled: 0 },
          lastBackupVerified: null, unverifiedRuns: 0, lastGoodId: 0, lastSuccessId: 0,
        };
        byJob.set(job, e);
      }
      return e;
    };
    for (const status of RUN_STATUSES) {
      for (const row of runs.listByStatus(status)) {
        const e = entry(row.jobName);
        e.runsByStatus[status]++;
        if (status !== "success") continue;
        const verified = row.verifiedAt != null;
        if (!verified) e.unverifiedRuns!++;
        if (row.id > e.lastSuccessId) {
          e.lastSuccessId = row.id;
          e.lastBackupVerified = verified;
        }
        if (verified && row.id > e.lastGoodId) {
          e.lastGoodId = row.id;
          e.lastSuccessAt = row.startedAt;
          e.lastSuccessDurationMs = row.finishedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : null;
          e.lastSuccessSize = row.payloadSize;
        }
      }
    }
    return [...byJob.values()].map(({ lastGoodId: _g, lastSuccessId: _s, ...stats }) => stats);
  };
}

export interface MetricsServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** The address bound (127.0.0.1 unless METRICS_HOST says otherwise). */
  host: string;
  close(): Promise<void>;
}

/** Serves `GET /metrics` on `port` (0: any free port). Other paths answer 404. */
export function startMetricsServer(port: number, deps: MetricsDeps, host = "127.0.0.1"): Promise<MetricsServer> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET" || url.pathname !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics\n");
      return;
    }
    try {
      const body = renderMetrics({
        runs: deps.runStats(),
        scheduler: deps.schedulerStatus?.(),
        heartbeat: deps.heartbeat ? deps.heartbeat() : undefined,
        eventLoopDelay: takeDelay(delay),
      });
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(body);
    } catch (err) {
      deps.log.error({ err: (err as Error).message }, "cannot render metrics");
      res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable\n");
    }
  });
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => {
      delay.disable();
      reject(err);
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      deps.log.info({ port: (server.address() as AddressInfo).port }, "metrics endpoint listening");
      resolve({
        port: (server.address() as AddressInfo).port,
        host: (server.address() as AddressInfo).address,
        close: () =>
          new Promise<void>((res, rej) => {
            delay.disable();
            server.closeAllConnections();
            server.close((err) => (err ? rej(err) : res()));
          }),
      });
    });
  });
}
