import type { RunResult, RunTrigger } from "../engine/backup-runner.js";
import type { Logger } from "../logger.js";
import type { Clock } from "./clock.js";
import { CronSchedule, ScheduleError, UpcomingRuns, type Schedulable } from "./cron.js";

/** What the scheduler needs to know about a job; re-read from the database on every tick. */
export interface SchedulerJob extends Schedulable {
  id: number;
  name: string;
  enabled: boolean;
  /**
   * When the job was created. Lets a job that never ran catch up a fire time missed while the
   * process was down, if the job already existed then; without it, only jobs that ran before catch up.
   */
  createdAt?: Date;
}

export interface TickInfo {
  now: Date;
  /** The job list this tick read (all jobs, enabled or not). */
  jobs: readonly SchedulerJob[];
}

export interface SchedulerDeps {
  clock: Clock;
  log: Logger;
  /** Time zone of jobs without one (the `TZ` variable). */
  defaultTimezone: string;
  /**
   * The current job list. Called on every tick, so edits made by another process (`config
   * import`) take effect without a restart. If it throws, the previous list is kept.
   */
  listJobs(): SchedulerJob[] | Promise<SchedulerJob[]>;
  /** Start time of the job's most recent run of any trigger and status, or null if it never ran. */
  lastRunStart(jobId: number): Date | null;
  /**
   * Runs the job once and resolves with its result. Should not throw (a failed backup is a
   * result); if it does, the scheduler logs the error and rejects that run's `done` promise.
   * Must honour `signal`: `abortAll()` aborts it on shutdown.
   */
  runJob(jobId: number, trigger: RunTrigger, signal: AbortSignal): Promise<RunResult>;
  /** How many jobs may run at once; the rest wait in FIFO order. Default 1. */
  concurrency?: number;
  /** A scheduled time missed while the process was down is made up at start-up if it is at most this old. Default 1 h; 0 turns catch-up off. */
  missedRunGraceMs?: number;
  /** Longest sleep between ticks (fire times are met exactly; this bounds how soon edits are noticed). Default 10 s. */
  tickMs?: number;
  /** Written on every tick; `tele-backup health` reads it. */
  heartbeat?: { beat(now: Date): void };
  /** Called after every tick (dead-man checks, ...). Not awaited; errors are logged. */
  onTick?(tick: TickInfo): void | Promise<void>;
}

export type JobState = "idle" | "queued" | "running";

export interface JobStatus {
  id: number;
  name: string;
  enabled: boolean;
  state: JobState;
  /** When the current run started (state "running"). */
  runningSince: Date | null;
  trigger: RunTrigger | null;
  /** Next scheduled fire time; null when disabled, unschedulable or before the first tick. */
  nextRun: Date | null;
  /** Why the job cannot be scheduled (bad expression or time zone), else null. */
  scheduleError: string | null;
  /** Scheduled runs skipped since start-up because the previous run was still running or queued. */
  skipped: number;
  lastResult: { runId: number | null; status: RunResult["status"]; finishedAt: Date; error: string | null } | null;
}

export type EnqueueResult =
  | {
      accepted: true;
      /** The run's result; null when it never started (scheduler stopped, or the job was disabled or deleted while it waited). */
      done: Promise<RunResult | null>;
    }
  | { accepted: false; reason: "running" | "queued" | "stopped" };

export const DEFAULT_TICK_MS = 10_000;
export const DEFAULT_MISSED_RUN_GRACE_MS = 3_600_000;

interface Plan {
  key: string;
  schedule: CronSchedule | null;
  next: Date | null;
  error: string | null;
}

interface Queued {
  jobId: number;
  trigger: RunTrigger;
  resolve(result: RunResult | null): void;
  reject(err: unknown): void;
}

interface Active {
  jobId: number;
  trigger: RunTrigger;
  startedAt: Date;
  controller: AbortController;
}

/**
 * Fires every enabled job on its cron expression in its time zone (see CronSchedule for
 * daylight-saving behaviour) through the injected `runJob`.
 *
 * - The job list is re-read on every tick; `reload()` ticks at once. A new or edited schedule
 *   counts from the previous tick, so a fire time between two ticks is not lost.
 * - A job never overlaps itself: a fire time that finds the job running or queued is skipped,
 *   logged (warn, "scheduled run skipped") and counted in `status().skipped` — no run row is
 *   written, because nothing ran.
 * - At most `concurrency` runs at once; the rest wait FIFO. A queued scheduled run is dropped
 *   if its job is disabled or deleted before it starts.
 * - Missed runs: on the first tick, a job whose most recent fire time lies after its last run's
 *   start (or, if it never ran, after its creation) and within `missedRunGraceMs` runs once with
 *   trigger `startup` — once, however many fire times were missed. Later, a tick that comes late (event loop blocked, machine
 *   suspended) fires an overdue job once, never once per missed time.
 * - Shutdown: `stop()` (no more ticks, drops the queue) → `abortAll()` → `whenIdle()`.
 */
export class Scheduler {
  private readonly concurrency: number;
  private readonly graceMs: number;
  private readonly tickMs: number;
  private jobs: SchedulerJob[] = [];
  private readonly plans = new Map<number, Plan>();
  private readonly queue: Queued[] = [];
  private readonly running = new Map<number, Active>();
  private readonly skipped = new Map<number, number>();
  private readonly lastResults = new Map<number, NonNullable<JobStatus["lastResult"]>>();
  private lastTickAt: Date | null = null;
  /** Next run times the bot asked for, reused until the first of them passes. */
  private readonly upcoming: UpcomingRuns;
  /** True once a job list has been read; until then queued scheduled runs cannot be checked against it. */
  private listed = false;
  private loop: Promise<void> | null = null;
  private stopped = false;
  private wake: AbortController | null = null;
  private reloadRequested = false;
  private reloadWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: SchedulerDeps) {
    this.concurrency = deps.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError(`scheduler concurrency must be a whole number of 1 or more, got ${deps.concurrency}`);
    this.graceMs = deps.missedRunGraceMs ?? DEFAULT_MISSED_RUN_GRACE_MS;
    this.tickMs = deps.tickMs ?? DEFAULT_TICK_MS;
    this.upcoming = new UpcomingRuns(deps.defaultTimezone);
  }

  /** Starts ticking; the first tick (with the missed-run check) happens at once. */
  start(): void {
    if (this.loop) throw new Error("the scheduler is already started");
    this.stopped = false;
    this.loop = this.runLoop();
  }

  /** Stops ticking and drops queued runs (their `done` resolves to null). Running jobs go on; see `abortAll`. Resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.abort();
    for (const q of this.queue.splice(0)) {
      this.deps.log.info({ job: this.nameOf(q.jobId), trigger: q.trigger }, "queued run dropped: the scheduler is stopping");
      q.resolve(null);
    }
    await this.loop;
    for (const w of this.reloadWaiters.splice(0)) w();
  }

  /** Aborts every running job through its AbortSignal (the runner records it as interrupted). */
  abortAll(reason: unknown = new Error("the scheduler is shutting down")): void {
    for (const active of this.running.values()) active.controller.abort(reason);
  }

  /**
   * Stops one job's run on purpose: a running run is aborted with `reason` (the runner records
   * it, e.g. as cancelled, and the next queued run starts once it has ended); a queued one is
   * dropped (its `done` resolves to null). Returns what was stopped, or null when nothing was.
   */
  cancel(jobId: number, reason: unknown): "running" | "queued" | null {
    const active = this.running.get(jobId);
    if (active) {
      this.deps.log.info({ job: this.nameOf(jobId), trigger: active.trigger }, "run stopped on request");
      active.controller.abort(reason);
      return "running";
    }
    const at = this.queue.findIndex((q) => q.jobId === jobId);
    if (at < 0) return null;
    const [item] = this.queue.splice(at, 1);
    this.deps.log.info({ job: this.nameOf(jobId), trigger: item!.trigger }, "queued run dropped on request");
    item!.resolve(null);
    return "queued";
  }

  /** While a job waits in the queue: the names of the jobs running now and of those queued before it (else null). */
  waitingBehind(jobId: number): string[] | null {
    const at = this.queue.findIndex((q) => q.jobId === jobId);
    if (at < 0) return null;
    return [...this.running.keys(), ...this.queue.slice(0, at).map((q) => q.jobId)].map((id) => this.nameOf(id));
  }

  /** Resolves once no job is running. */
  whenIdle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Re-reads the job list now instead of at the next tick; resolves after that tick. */
  reload(): Promise<void> {
    if (!this.loop || this.stopped) return Promise.resolve();
    this.reloadRequested = true;
    const done = new Promise<void>((resolve) => this.reloadWaiters.push(resolve));
    this.wake?.abort();
    return done;
  }

  /**
   * Queues a run (e.g. "run now" from the bot, trigger `manual`). Refused when the job is
   * already running or queued, or the scheduler was stopped. Works before `start()` too.
   */
  enqueue(jobId: number, trigger: RunTrigger = "manual"): EnqueueResult {
    if (this.stopped) return { accepted: false, reason: "stopped" };
    if (this.running.has(jobId)) return { accepted: false, reason: "running" };
    if (this.queue.some((q) => q.jobId === jobId)) return { accepted: false, reason: "queued" };
    let resolve!: (r: RunResult | null) => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<RunResult | null>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Scheduled runs have nobody awaiting them; their failures are logged where they happen.
    done.catch(() => {});
    this.queue.push({ jobId, trigger, resolve, reject });
    this.pump();
    return { accepted: true, done };
  }

  /** The next `n` fire times of a job after `from` (default now), in its time zone. @throws ScheduleError */
  nextRuns(job: Schedulable, n: number, from: Date = this.deps.clock.now()): Date[] {
    return this.upcoming.next(job, n, from);
  }

  /** Every known job (from the last tick), plus any job still running after it was deleted. */
  status(): JobStatus[] {
    const out: JobStatus[] = this.jobs.map((job) => this.statusOf(job.id, job.name, job.enabled));
    for (const id of this.running.keys()) if (!this.jobs.some((j) => j.id === id)) out.push(this.statusOf(id, `#${id}`, false));
    return out;
  }

  private statusOf(id: number, name: string, enabled: boolean): JobStatus {
    const active = this.running.get(id);
    const plan = enabled ? this.plans.get(id) : undefined;
    return {
      id,
      name,
      enabled,
      state: active ? "running" : this.queue.some((q) => q.jobId === id) ? "queued" : "idle",
      runningSince: active?.startedAt ?? null,
      trigger: active?.trigger ?? this.queue.find((q) => q.jobId === id)?.trigger ?? null,
      nextRun: plan?.next ?? null,
      scheduleError: plan?.error ?? null,
      skipped: this.skipped.get(id) ?? 0,
      lastResult: this.lastResults.get(id) ?? null,
    };
  }

  private async runLoop(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      const waiters = this.reloadWaiters.splice(0);
      this.reloadRequested = false;
      try {
        await this.tick(first);
      } catch (err) {
        this.deps.log.error({ err: (err as Error).message }, "scheduler tick failed");
      }
      // The missed-run check waits for the first tick that could read the job list.
      first = !this.listed;
      for (const w of waiters) w();
      if (this.stopped) break;
      if (this.reloadRequested) continue;
      this.wake = new AbortController();
      await this.deps.clock.sleep(this.sleepMs(), this.wake.signal);
      this.wake = null;
    }
  }

  private sleepMs(): number {
    const now = this.deps.clock.now().getTime();
    let ms = this.tickMs;
    for (const plan of this.plans.values()) if (plan.next) ms = Math.min(ms, plan.next.getTime() - now);
    return Math.max(1, ms);
  }

  private async tick(first: boolean): Promise<void> {
    const { clock, log } = this.deps;
    const now = clock.now();
    try {
      this.jobs = [...(await this.deps.listJobs())];
      this.listed = true;
    } catch (err) {
      log.error({ err: (err as Error).message }, "cannot read the job list; keeping the previous one");
    }
    try {
      this.deps.heartbeat?.beat(now);
    } catch (err) {
      log.error({ err: (err as Error).message }, "cannot write the scheduler heartbeat");
    }

    const enabled = this.jobs.filter((j) => j.enabled);
    for (const id of [...this.plans.keys()]) if (!enabled.some((j) => j.id === id)) this.plans.delete(id);
    // A new or edited schedule counts from the previous tick, so a fire time that fell between
    // the edit and this tick still fires. At start-up the missed-run check covers the past.
    const since = first ? now : (this.lastTickAt ?? now);
    for (const job of enabled) {
      const tz = job.timezone ?? this.deps.defaultTimezone;
      const key = `${job.schedule}\u0000${tz}`;
      let plan = this.plans.get(job.id);
      if (!plan || plan.key !== key) {
        if (plan) log.info({ job: job.name, schedule: job.schedule, timezone: tz }, "schedule changed");
        plan = this.plan(job, key, tz, since);
        this.plans.set(job.id, plan);
        if (first) this.catchUp(job, plan, now);
      }
      if (plan.schedule && plan.next && plan.next.getTime() <= now.getTime()) {
        this.fire(job, "schedule", plan.next);
        plan.next = plan.schedule.nextAfter(now);
      }
    }
    this.lastTickAt = now;

    if (this.deps.onTick) {
      const jobs = this.jobs;
      void Promise.resolve()
        .then(() => this.deps.onTick!({ now, jobs }))
        .catch((err: unknown) => log.error({ err: (err as Error)?.message ?? String(err) }, "scheduler tick hook failed"));
    }
  }

  private plan(job: SchedulerJob, key: string, tz: string, since: Date): Plan {
    try {
      const schedule = new CronSchedule(job.schedule, tz);
      return { key, schedule, next: schedule.nextAfter(since), error: null };
    } catch (err) {
      const message = err instanceof ScheduleError ? err.message : String(err);
      this.deps.log.error({ job: job.name, err: message }, "job cannot be scheduled");
      return { key, schedule: null, next: null, error: message };
    }
  }

  /** Start-up only: make up the most recent missed fire time, once, if it is recent enough. */
  private catchUp(job: SchedulerJob, plan: Plan, now: Date): void {
    if (!plan.schedule || this.graceMs <= 0) return;
    const lastRun = this.deps.lastRunStart(job.id);
    // A job that never ran may not have existed at the missed time; its creation tells.
    const since = lastRun ?? job.createdAt ?? null;
    if (!since) return;
    const from = new Date(Math.max(now.getTime() - this.graceMs, since.getTime()));
    const missed = plan.schedule.firstBetween(from, now);
    if (!missed) return;
    this.deps.log.info({ job: job.name, missed: missed.toISOString(), lastRun: lastRun?.toISOString() ?? null }, "running a missed scheduled backup at start-up");
    this.fire(job, "startup", missed);
  }

  private fire(job: SchedulerJob, trigger: RunTrigger, scheduledFor: Date): void {
    const result = this.enqueue(job.id, trigger);
    if (result.accepted) {
      this.deps.log.info({ job: job.name, trigger, scheduledFor: scheduledFor.toISOString() }, "scheduled run queued");
      return;
    }
    if (result.reason === "stopped") return;
    this.skipped.set(job.id, (this.skipped.get(job.id) ?? 0) + 1);
    this.deps.log.warn(
      { job: job.name, scheduledFor: scheduledFor.toISOString(), reason: result.reason, skipped: this.skipped.get(job.id) },
      `scheduled run skipped: the previous run is still ${result.reason}`,
    );
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.queue.length > 0) {
      const item = this.queue.shift()!;
      const scheduled = item.trigger === "schedule" || item.trigger === "startup";
      if (scheduled && this.listed && !this.jobs.some((j) => j.id === item.jobId && j.enabled)) {
        this.deps.log.info({ job: this.nameOf(item.jobId), trigger: item.trigger }, "queued run dropped: the job was disabled or deleted");
        item.resolve(null);
        continue;
      }
      this.startRun(item);
    }
  }

  private startRun(item: Queued): void {
    const active: Active = { jobId: item.jobId, trigger: item.trigger, startedAt: this.deps.clock.now(), controller: new AbortController() };
    this.running.set(item.jobId, active);
    let run: Promise<RunResult>;
    try {
      run = Promise.resolve(this.deps.runJob(item.jobId, item.trigger, active.controller.signal));
    } catch (err) {
      run = Promise.reject(err);
    }
    void run
      .then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      )
      .then((outcome) => {
        this.running.delete(item.jobId);
        const finishedAt = this.deps.clock.now();
        if (outcome.ok) {
          const r = outcome.result;
          this.lastResults.set(item.jobId, { runId: r.runId, status: r.status, finishedAt, error: r.error });
          item.resolve(r);
        } else {
          const message = (outcome.error as Error)?.message ?? String(outcome.error);
          this.deps.log.error({ job: this.nameOf(item.jobId), trigger: item.trigger, err: message }, "job could not be run");
          this.lastResults.set(item.jobId, { runId: null, status: "failed", finishedAt, error: message });
          item.reject(outcome.error);
        }
        this.pump();
        if (this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  private nameOf(jobId: number): string {
    return this.jobs.find((j) => j.id === jobId)?.name ?? `#${jobId}`;
  }
}
