import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import { CronSchedule, localParts, ScheduleError } from "../scheduler/cron.js";

/** Settings key of the persisted dead-man state (JSON, keyed by job id). */
export const DEADMAN_STATE_KEY = "deadman.state";

/**
 * Locale key: a job is overdue. Params: `job`; `since` — the last success, or when watching began
 * if there was none ("2026-01-10 04:00 Europe/Berlin", in the job's time zone); `interval` — the
 * expected gap between runs ("1d", "6h", "15m"); and for richer texts `last_success` (ISO 8601
 * or "never"), `hours_since`, `expected_hours` (whole hours until the alert was due).
 */
export const ALERT_DEADMAN = "alert-deadman";
/** Locale key: an overdue job succeeded again. Params: `job`, `at` (start of the successful run, like `since`), `last_success` (ISO 8601). */
export const ALERT_RECOVERED = "alert-recovered";

/** Time a run may take on top of twice the interval before a job counts as overdue. */
export const DEFAULT_DEADMAN_SLACK_MS = 3_600_000;

export interface DeadmanJob {
  id: number;
  name: string;
  schedule: string;
  timezone: string | null;
  enabled: boolean;
}

export interface DeadmanDeps {
  settings: Pick<SettingsRepo, "get" | "set">;
  notifier: Notifier;
  /**
   * Start time of the job's newest good backup — by sequence (highest run id), successful and
   * read back in full — or null. See `lastSuccessFromRuns`.
   */
  lastSuccess(jobId: number): Date | null;
  log: Logger;
  defaultTimezone: string;
  /** Default 1 h. */
  slackMs?: number;
}

interface WatchState {
  /** Schedule and time zone the job is watched under; a change restarts the watch. */
  key: string;
  /** When watching began (the job was first seen enabled with this schedule). */
  since: string;
  /** Set while an alert is outstanding. */
  alertedAt?: string;
  /** The newest success when the alert went out (null: none); a newer one means recovery. */
  lastSuccessAtAlert?: string | null;
  /** A last success recorded in the future (a clock that was ahead) and when it was first seen: the watch counts from then. */
  futureSuccess?: string;
  futureSeenAt?: string;
}

type State = Record<string, WatchState>;

export interface DeadmanEvent {
  kind: "overdue" | "recovered";
  jobId: number;
  job: string;
}

const HOUR = 3_600_000;

/**
 * Dead-man alerts: a job with no successful run for longer than twice its interval gets one
 * alert, not one per check; when it succeeds again, one recovery message.
 *
 * "Twice its interval" is read as "two fire times have passed": the job is overdue once the
 * second fire time after its last success, plus a run-time slack (default 1 h, so a run that
 * is merely in progress raises nothing), has gone by without a newer success. For a regular
 * schedule that is exactly 2 × interval + slack; for `0 3 * * 1-5` it allows for the weekend
 * without being lax during the week.
 *
 * The clock starts at the newest successful run, or when the job was first seen enabled with
 * its current schedule (a new, re-enabled or rescheduled job is not "overdue" at once). State
 * lives in the settings table, so a restart neither re-alerts nor forgets an outstanding alert.
 * A job that is disabled or deleted is forgotten without a message.
 */
export class Deadman {
  private busy = false;

  constructor(private readonly deps: DeadmanDeps) {}

  /** Evaluates every job; meant to run on each scheduler tick. Overlapping calls are skipped. */
  async check(now: Date, jobs: readonly DeadmanJob[]): Promise<DeadmanEvent[]> {
    if (this.busy) return [];
    this.busy = true;
    try {
      return await this.evaluate(now, jobs);
    } finally {
      this.busy = false;
    }
  }

  private async evaluate(now: Date, jobs: readonly DeadmanJob[]): Promise<DeadmanEvent[]> {
    const { log } = this.deps;
    const before = this.deps.settings.get(DEADMAN_STATE_KEY);
    const state = parseState(before);
    const next: State = {};
    const messages: Array<{ event: DeadmanEvent; key: string; params: Record<string, string | number> }> = [];

    for (const job of jobs) {
      if (!job.enabled) continue;
      const tz = job.timezone ?? this.deps.defaultTimezone;
      const key = `${job.schedule}\u0000${tz}`;
      const previous = state[String(job.id)];
      const watch: WatchState = previous && previous.key === key ? { ...previous } : { ...previous, key, since: now.toISOString() };
      next[String(job.id)] = watch;

      let lastSuccess = this.deps.lastSuccess(job.id);
      if (lastSuccess && lastSuccess.getTime() > now.getTime()) {
        // Recorded by a clock that was ahead: taken at its word it would silence the check until
        // that date. Count from when this check first saw it instead.
        if (watch.futureSuccess !== lastSuccess.toISOString()) {
          watch.futureSuccess = lastSuccess.toISOString();
          watch.futureSeenAt = now.toISOString();
        }
        lastSuccess = new Date(watch.futureSeenAt!);
      } else {
        delete watch.futureSuccess;
        delete watch.futureSeenAt;
      }
      if (watch.alertedAt) {
        const atAlert = watch.lastSuccessAtAlert ? Date.parse(watch.lastSuccessAtAlert) : null;
        if (lastSuccess && (atAlert === null || lastSuccess.getTime() > atAlert)) {
          delete watch.alertedAt;
          delete watch.lastSuccessAtAlert;
          messages.push({
            event: { kind: "recovered", jobId: job.id, job: job.name },
            key: ALERT_RECOVERED,
            params: { job: job.name, at: formatLocal(lastSuccess, tz), last_success: lastSuccess.toISOString() },
          });
        }
        continue;
      }

      const reference = Math.max(lastSuccess?.getTime() ?? -Infinity, Date.parse(watch.since));
      const expectation = this.expectation(job, tz, new Date(reference));
      if (expectation === null || now.getTime() <= expectation.deadline) continue;
      const { deadline, intervalMs } = expectation;
      watch.alertedAt = now.toISOString();
      watch.lastSuccessAtAlert = lastSuccess?.toISOString() ?? null;
      messages.push({
        event: { kind: "overdue", jobId: job.id, job: job.name },
        key: ALERT_DEADMAN,
        params: {
          job: job.name,
          since: formatLocal(new Date(reference), tz),
          interval: formatDuration(intervalMs),
          last_success: lastSuccess?.toISOString() ?? "never",
          hours_since: Math.floor((now.getTime() - (lastSuccess?.getTime() ?? reference)) / HOUR),
          expected_hours: Math.round((deadline - reference) / HOUR),
        },
      });
    }

    for (const id of Object.keys(state)) {
      if (!next[id] && state[id]!.alertedAt) log.info({ jobId: Number(id) }, "dead-man alert dropped: the job was disabled or deleted");
    }
    // Persist before notifying: a crash while sending must not lead to a second alert.
    const after = JSON.stringify(next);
    if (after !== (before ?? "{}")) this.deps.settings.set(DEADMAN_STATE_KEY, after);

    for (const m of messages) {
      log.warn({ job: m.event.job, event: m.event.kind }, m.event.kind === "overdue" ? "job overdue: no recent successful backup" : "job recovered");
      await this.deps.notifier.alertAdmins(m.key, m.params);
    }
    return messages.map((m) => m.event);
  }

  /**
   * When the job becomes overdue (ms since epoch), counting from `reference`, and the gap
   * between runs it expects; null if it never becomes overdue.
   */
  private expectation(job: DeadmanJob, tz: string, reference: Date): { deadline: number; intervalMs: number } | null {
    try {
      const [first, second] = new CronSchedule(job.schedule, tz).next(2, reference);
      if (!first || !second) return null;
      return { deadline: second.getTime() + (this.deps.slackMs ?? DEFAULT_DEADMAN_SLACK_MS), intervalMs: second.getTime() - first.getTime() };
    } catch (err) {
      if (err instanceof ScheduleError) return null; // the scheduler reports unusable schedules
      throw err;
    }
  }
}

/** "2026-01-10 04:00 Europe/Berlin": readable in any language, unambiguous. */
export function formatLocal(t: Date, timezone: string): string {
  const p = localParts(t, timezone);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)} ${timezone}`;
}

/** "1d", "1d 12h", "6h", "15m": compact and language-neutral. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : ""].filter(Boolean).join(" ");
}

function parseState(raw: string | null): State {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as State) : {};
  } catch {
    return {};
  }
}

/**
 * `lastSuccess` over the runs repository: the start of the job's newest good backup, in sequence
 * order (listByJob is newest id first). A success that was not read back in full does not count.
 */
export function lastSuccessFromRuns(runs: Pick<RunsRepo, "listByJob">): (jobId: number) => Date | null {
  return (jobId) => {
    const page = 100;
    for (let offset = 0; ; offset += page) {
      const rows = runs.listByJob(jobId, page, offset);
      const hit = rows.find((r) => r.status === "success" && r.verifiedAt != null);
      if (hit) return hit.startedAt;
      if (rows.length < page) return null;
    }
  };
}
