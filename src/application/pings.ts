import type { ResolvedJob } from "../domain.js";
import type { RunResult } from "../engine/run/types.js";
import type { Logger } from "../logger.js";
import { oneLine } from "../shared/one-line.js";

/** One request may take this long. */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Attempts per ping (a monitoring service's blip must not look like a missed backup). */
const ATTEMPTS = 2;
/** Failure text sent with a `/fail` ping (healthchecks.io keeps the request body). */
const BODY_LIMIT = 10_000;

export interface PingerDeps {
  log: Logger;
  /** Per-request limit (tests shorten it). */
  timeoutMs?: number;
  /** Pause between attempts. */
  retryDelayMs?: number;
}

/** What the webhook receives (POST, `application/json`), once per finished run. */
export interface RunWebhookBody {
  event: "run.finished";
  job: string;
  run_id: number;
  status: RunResult["status"];
  file_name: string;
  raw_size: number;
  payload_size: number;
  sha256: string | null;
  parts: number;
  duration_ms: number;
  verified: boolean;
  /** English, secrets removed; null on success. */
  error: string | null;
  error_key: string | null;
}

/**
 * External monitoring of a job, outside Telegram:
 * - `ping` (healthchecks.io conventions): `<url>/start` when a run starts, `<url>` after a
 *   successful run, `<url>/fail` after any other outcome (the failure text as the body), all
 *   POST. Any dead-man service that takes these three URLs works (healthchecks.io, its
 *   self-hosted build, Uptime Kuma's push URL for the success ping).
 * - `webhook`: a POST of `RunWebhookBody` as JSON after every run.
 *
 * A ping never changes a run's outcome: failures (an unreachable host, a non-2xx answer, a
 * timeout) are retried once, then logged as a warning with the URL reduced to its origin
 * (the path of a ping URL is its secret).
 */
export class Pinger {
  constructor(private readonly deps: PingerDeps) {}

  async started(job: ResolvedJob): Promise<void> {
    if (job.ping) await this.send(job, "ping start", joinUrl(job.ping, "start"), "");
  }

  async finished(job: ResolvedJob, result: RunResult): Promise<void> {
    const ok = result.status === "success";
    const sends: Array<Promise<void>> = [];
    if (job.ping) sends.push(this.send(job, ok ? "ping success" : "ping fail", ok ? job.ping : joinUrl(job.ping, "fail"), ok ? "" : (result.error ?? result.status).slice(0, BODY_LIMIT)));
    if (job.webhook) sends.push(this.send(job, "webhook", job.webhook, JSON.stringify(webhookBody(result)), "application/json"));
    await Promise.all(sends);
  }

  private async send(job: ResolvedJob, what: string, url: string, body: string, type = "text/plain; charset=utf-8"): Promise<void> {
    const timeoutMs = this.deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let reason = "";
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        const res = await fetch(url, { method: "POST", body, headers: { "content-type": type }, signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.deps.log.debug({ job: job.name, ping: what, to: safeUrl(url) }, "ping sent");
          return;
        }
        reason = `HTTP ${res.status}`;
      } catch (err) {
        reason = describe(err, timeoutMs);
      }
      if (attempt < ATTEMPTS) await new Promise((r) => setTimeout(r, this.deps.retryDelayMs ?? 1000));
    }
    this.deps.log.warn({ job: job.name, ping: what, to: safeUrl(url), err: reason.split(url).join(safeUrl(url)) }, "ping failed (the backup is not affected)");
  }
}

export function webhookBody(result: RunResult): RunWebhookBody {
  return {
    event: "run.finished",
    job: result.job,
    run_id: result.runId,
    status: result.status,
    file_name: result.fileName,
    raw_size: result.rawSize,
    payload_size: result.payloadSize,
    sha256: result.sha256,
    parts: result.parts,
    duration_ms: result.durationMs,
    verified: result.verified,
    error: result.error,
    error_key: result.errorKey ?? null,
  };
}

/** `<url>/<suffix>`, keeping a query string after it. */
export function joinUrl(url: string, suffix: string): string {
  const u = new URL(url);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/${suffix}`;
  return u.toString();
}

/** Only the scheme, host and port: a ping URL's path, query and credentials are its secret. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return "(an invalid URL)";
  }
}

function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  if (e.cause?.code) return e.cause.code;
  return oneLine(e.cause?.message ?? err);
}
