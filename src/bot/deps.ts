import type { AdoptService } from "../application/adopt.js";
import type { App } from "../app.js";
import type { DrillService } from "../application/drill.js";
import type { Discovery } from "../application/discover.js";
import type { Progress, RunResult, RunTrigger } from "../engine/backup-runner.js";
import type { RestoreService } from "../engine/restore.js";
import type { Translate } from "../i18n.js";
import type { Logger } from "../logger.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import type { HistoryRepo } from "../repos/history.repo.js";
import type { PartChecksRepo } from "../repos/part-checks.repo.js";
import type { DigestService } from "../application/digest.js";
import type { RestoresRepo } from "../repos/restores.repo.js";
import type { SettingsRepo } from "../repos/settings.repo.js";
import type { JobStatus } from "../scheduler/scheduler.js";
import type { Schedulable } from "../scheduler/cron.js";
import type { DestinationsService } from "../services/destinations.service.js";
import type { JobsService } from "../services/jobs.service.js";
import type { SourcesService } from "../services/sources.service.js";
import type { BotStorage } from "./storage.js";
import type { DestinationConfig } from "../destinations/port.js";
import type { SourceCheck, SourceConfig } from "../sources/port.js";
import type { SkewGuard } from "../engine/skew-guard.js";
import type { Clock } from "../scheduler/clock.js";

export type { BotStorage } from "./storage.js";

/**
 * Everything the bot needs, built by the composition root (src/main.ts, or a test).
 * Shared contract with src/bot/conversations/ (`installConversations(bot, deps)`):
 * keep existing fields stable; append new ones at the end with a comment.
 */
export interface BotDeps {
  /** Bot token (BOT_TOKEN). */
  token: string;
  /** Bot API base URL (TELEGRAM_API_ROOT), e.g. https://api.telegram.org. */
  apiRoot: string;
  /** The only users allowed to do anything (ADMIN_IDS). */
  adminIds: readonly number[];
  log: Logger;
  /** Locale lookup for texts sent outside an update (e.g. from a background run). */
  translate: Translate;
  /** Time zone of jobs without one (TZ). */
  defaultTimezone: string;
  /** Where "send me the file" restores write their temporary file. */
  spoolDir: string;
  /** Largest file the bot may send with sendDocument (50 MB on the cloud Bot API). */
  maxUploadBytes: number;

  sources: SourcesService;
  destinations: DestinationsService;
  jobs: JobsService;
  runs: RunsRepo;
  /** Key/value settings; the bot keeps each user's language as `lang.<userId>`. */
  settings: SettingsRepo;
  restorer: RestoreService;
  /** Session and conversation storage (SQLite `bot_storage`); use `storage.adapter("<namespace>")`. */
  storage: BotStorage;

  /**
   * Runs a job now and resolves with its result (a failed backup is a result, not a throw).
   * The composition root routes it through the scheduler (overlap guard, concurrency limit).
   * @throws JobBusyError when the job is already running or queued, or (state `cancelled`) when
   * it was stopped while it waited.
   * `onQueued` is called before this returns when the run has to wait, with the names of the
   * jobs it waits behind.
   */
  runJob(jobId: number, trigger: RunTrigger, onProgress?: (p: Progress) => void, onQueued?: (behind: string[]) => void): Promise<RunResult>;
  /** The next `n` fire times of a job (in its time zone or the default). @throws ScheduleError on a bad schedule */
  nextRuns(job: Schedulable, n: number): Date[];
  /** Live scheduler state (running/queued, next run), when a scheduler runs. */
  jobStatus?: () => JobStatus[];
  /** Tells the scheduler the job list changed (enable/disable, new schedule, delete, create). */
  jobsChanged?: () => void;
  /** Shortest gap between two edits of a live progress message (default 3000 ms; flood limits). */
  progressIntervalMs?: number;

  /**
   * (conversations) Connection test of a source before it is saved: connects, or stats the
   * path / volume, with the resolved config (no `env:`/`file:` references left). Resolves with
   * what it found; throws an Error whose message is one user-readable line, secrets removed
   * (the driver's SourceError). The composition root uses the source registry's `check()`.
   */
  checkSource: (config: SourceConfig) => Promise<SourceCheck | undefined>;
  /**
   * (conversations) Connection test of a destination before it is saved (Telegram: the chat
   * exists, the bot is a member allowed to post and delete; local: the folder is writable).
   * Throws an Error with a user-readable message; a DestinationError carrying `key`/`params`
   * is shown translated (`locales/<lang>/errors.ftl`).
   */
  checkDestination: (config: DestinationConfig) => Promise<void>;
  /** (conversations) Where `env:NAME` references are looked up for connection tests; default process.env. */
  secretEnv?: NodeJS.ProcessEnv;
  /** (status) Clock errors that pause a job's pruning; /status shows them and takes the admin's "the clock is right". */
  skewGuard?: SkewGuard;
  /** (status) "Now" for overdue checks; default the system clock. */
  clock?: Pick<Clock, "now">;
  /** (restore) Restores in progress, with their progress message and scratch files, for crash recovery. */
  restores?: RestoresRepo;
  /** /adopt: imports a chat's catalog (src/application/adopt.ts). */
  adopter?: AdoptService;
  /**
   * (jobs) ⏹ Stop: ends the job's running run as `cancelled` (its delivered parts removed) or
   * drops its queued one. `by` is recorded with the run. Null when the job had neither.
   */
  stopRun?: (jobId: number, by: string) => "running" | "queued" | null;
  /** (status, logs) Runs and drills of a job for the history strip, the last proven restore, drill marks in /logs. */
  history?: HistoryRepo;
  /** (status, logs) Stored copies the channel watchdog re-checked or found lost. */
  partChecks?: PartChecksRepo;
  /** (status) The weekly digest's opt-in per destination chat. */
  digest?: DigestService;
  /** `TELEGRAM_PROXY`: the bot's own Bot API requests (polling, replies) go through it. */
  proxy?: string;
  /** (jobs) Restore drills: "🧪 Drill now" on the job card, and the last proven restore (src/application/drill.ts). */
  drills?: DrillService;
  /**
   * (jobs) Run now shows the job's result in this private chat: until the returned function is
   * called, that admin gets no separate alert for it (src/notify/telegram-notifier.ts).
   */
  resultShownIn?: (jobId: number, chatId: number) => () => void;
  /** /discover: database containers and volumes seen through the Docker socket (src/application/discover.ts). */
  discovery?: Discovery;
}

/** `runJob` refused: the job is already running or waiting in the queue. */
export class JobBusyError extends Error {
  override name = "JobBusyError";
  constructor(
    readonly jobId: number,
    readonly state: "running" | "queued" | "stopped" | "cancelled",
  ) {
    super(`job ${jobId} is ${state === "stopped" ? "not accepting runs (shutting down)" : state === "cancelled" ? "stopped before it started" : `already ${state}`}`);
  }
}

/** Cloud Bot API upload limit. */
export const CLOUD_MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

/** The App-backed part of BotDeps; the caller adds what only it knows (run routing, storage, ...). */
export function botDepsFromApp(
  app: App,
  rest: Pick<BotDeps, "token" | "translate" | "runJob" | "nextRuns" | "storage" | "checkSource" | "checkDestination"> & Partial<BotDeps>,
): BotDeps {
  return {
    apiRoot: app.config.telegramApiRoot,
    proxy: app.config.telegramProxy,
    adminIds: app.config.adminIds,
    log: app.log,
    defaultTimezone: app.config.timezone,
    spoolDir: app.config.spoolDir,
    maxUploadBytes: CLOUD_MAX_UPLOAD_BYTES,
    sources: app.sources,
    destinations: app.destinations,
    jobs: app.jobs,
    runs: app.runs,
    settings: app.settings,
    restorer: app.restorer,
    skewGuard: app.skewGuard,
    restores: app.restores,
    adopter: app.adopter,
    history: app.history,
    partChecks: app.partChecks,
    digest: app.digest,
    drills: app.drills,
    resultShownIn: (jobId, chatId) => app.notifier.resultShownIn?.(jobId, chatId) ?? (() => {}),
    discovery: app.discovery,
    ...rest,
  };
}
