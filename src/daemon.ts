import type { App } from "./app.js";
import { createBot, startBot, type BotHandle } from "./bot/bot.js";
import { botDepsFromApp, JobBusyError } from "./bot/deps.js";
import { createBotStorage } from "./bot/storage.js";
import { jobSecrets } from "./domain.js";
import type { Progress } from "./engine/backup-runner.js";
import { RunCancelled } from "./engine/run/types.js";
import { ContainerKeeper } from "./lifecycle/container-keeper.js";
import { Deadman, lastSuccessFromRuns } from "./lifecycle/deadman.js";
import { runStatsFromRepo, startMetricsServer, type MetricsServer } from "./lifecycle/metrics.js";
import { recoverInterruptedRuns } from "./lifecycle/recovery.js";
import { createSystemClock } from "./scheduler/clock.js";
import { isOwnerAlive } from "./shared/process-owner.js";
import { createTelegramApi } from "./telegram/api.js";
import { Scheduler } from "./scheduler/scheduler.js";

/** How long a shutdown waits for aborted backups to record themselves before giving up. */
export const SHUTDOWN_GRACE_MS = 8_000;

export interface Daemon {
  scheduler: Scheduler;
  bot: BotHandle | null;
  /** Settles when the bot's polling ends by itself (a revoked token, a second poller). */
  fatal: Promise<unknown>;
  /** Stops taking updates and ticks, aborts running backups (recorded as interrupted), waits for them. */
  stop(reason: Error): Promise<void>;
}

/**
 * `tele-backup run`: recovery of a killed predecessor's runs → scheduler → metrics → bot.
 * The bot is optional (`withBot: false` runs the scheduler alone, e.g. in tests).
 */
export async function startDaemon(app: App, options: { withBot: boolean } = { withBot: true }): Promise<Daemon> {
  const { config, log } = app;
  await recoverInterruptedRuns({
    runs: app.runs,
    restores: app.restores,
    spoolDir: config.spoolDir,
    notifier: app.notifier,
    log,
    docker: app.docker,
    helperImage: config.helperImage,
    finalizeMessage: config.botToken ? progressFinalizer(app, config.botToken) : undefined,
    recoverDrills: () => app.drills.recover(),
    destinationsOf: (run) => app.destinationsOfJob(run.jobId),
    hooks: { runner: app.hooks, secretsOf: async (run) => (run.jobId == null ? [] : jobSecrets(await app.jobs.resolve(run.jobId))) },
  });

  // Progress listeners of "Run now" messages, by job: the scheduler runs the job, the bot watches.
  const watchers = new Map<number, (p: Progress) => void>();
  // Jobs whose queued run the bot's ⏹ Stop dropped (their runJob reports "cancelled", not a shutdown).
  const dropped = new Set<number>();
  const deadman = new Deadman({
    settings: app.settings,
    notifier: app.notifier,
    lastSuccess: lastSuccessFromRuns(app.runs),
    log,
    defaultTimezone: config.timezone,
  });
  const keeper = new ContainerKeeper({ runs: app.runs, docker: app.docker, notifier: app.notifier, log, alive: isOwnerAlive });
  const scheduler = new Scheduler({
    clock: createSystemClock(),
    log,
    defaultTimezone: config.timezone,
    concurrency: config.concurrency,
    missedRunGraceMs: config.missedRunGraceMs,
    heartbeat: app.heartbeat,
    listJobs: () => app.jobsRepo.list().map((j) => ({ id: j.id, name: j.name, schedule: j.schedule, timezone: j.timezone, enabled: j.enabled, createdAt: j.createdAt })),
    lastRunStart: (id) => app.runs.listByJob(id, 1)[0]?.startedAt ?? null,
    runJob: (id, trigger, signal) => app.executor.execute(id, trigger, { signal, onProgress: (p) => watchers.get(id)?.(p) }),
    onTick: async ({ now, jobs }) => {
      await deadman.check(now, jobs);
      // Containers a backup stopped and could not start again (see ContainerKeeper).
      void keeper.tick(now).catch((err: unknown) => log.error({ err: (err as Error)?.message ?? String(err) }, "starting stopped containers failed"));
      // Not awaited here: a pass takes minutes and must not hold back the next checks.
      void app.watchdog.tick(now).catch((err: unknown) => log.error({ err: (err as Error)?.message ?? String(err) }, "watchdog pass failed"));
      void app.digest.tick(now).catch((err: unknown) => log.error({ err: (err as Error)?.message ?? String(err) }, "weekly digest failed"));
      // Scheduled restore drills (src/application/drill.ts): one at a time, never holding back the tick.
      void app.drills.tick(now);
    },
  });

  let metrics: MetricsServer | null = null;
  if (config.metricsPort) {
    metrics = await startMetricsServer(config.metricsPort, {
      runStats: runStatsFromRepo(app.runs),
      schedulerStatus: () => scheduler.status(),
      heartbeat: () => app.heartbeat.last(),
      log,
    }, config.metricsHost);
  }
  scheduler.start();

  let bot: BotHandle | null = null;
  if (options.withBot) {
    if (!config.botToken) throw new Error("BOT_TOKEN is required to run the bot");
    const instance = createBot(
      botDepsFromApp(app, {
        token: config.botToken,
        translate: app.translate,
        storage: createBotStorage(app.botStorage),
        maxUploadBytes: config.telegramSelfHosted ? 2000 * 1024 * 1024 : 50 * 1024 * 1024,
        checkSource: (c) => app.checkSource(c),
        checkDestination: (c) => app.checkDestination(c),
        nextRuns: (job, n) => scheduler.nextRuns(job, n),
        jobStatus: () => scheduler.status(),
        jobsChanged: () => void scheduler.reload(),
        runJob: async (jobId, trigger, onProgress, onQueued) => {
          const queued = scheduler.enqueue(jobId, trigger);
          if (!queued.accepted) throw new JobBusyError(jobId, queued.reason);
          const behind = scheduler.waitingBehind(jobId);
          if (behind) onQueued?.(behind);
          if (onProgress) watchers.set(jobId, onProgress);
          try {
            const result = await queued.done;
            if (!result) throw new JobBusyError(jobId, dropped.delete(jobId) ? "cancelled" : "stopped");
            return result;
          } finally {
            watchers.delete(jobId);
          }
        },
        stopRun: (jobId, by) => {
          const stopped = scheduler.cancel(jobId, new RunCancelled(by));
          if (stopped === "queued") dropped.add(jobId);
          return stopped;
        },
      }),
    );
    try {
      bot = await startBot(instance);
    } catch (err) {
      await scheduler.stop();
      await metrics?.close();
      throw err;
    }
  }

  const fatal = bot?.task ? bot.task.then(() => undefined, (err: unknown) => err) : new Promise<unknown>(() => {});
  return {
    scheduler,
    bot,
    fatal,
    async stop(reason) {
      log.info({ reason: reason.message }, "shutting down");
      const botStopped = bot?.stop({ graceMs: 1000 });
      await scheduler.stop();
      scheduler.abortAll(reason);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([scheduler.whenIdle(), new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
      clearTimeout(timer);
      await botStopped?.catch(() => {});
      await metrics?.close();
    },
  };
}

/**
 * For recovery: the final text of a progress message a dead process left behind, in the
 * language of the chat's admin (private chats: the chat id is the user id). A message that
 * cannot be edited any more (deleted, too old) gets the text as a new message.
 */
function progressFinalizer(app: App, token: string) {
  const api = createTelegramApi(token, { apiRoot: app.config.telegramApiRoot, proxy: app.config.telegramProxy, timeoutSeconds: 30 });
  return async (chatId: number, messageId: number, key: string, params: Record<string, string | number>): Promise<void> => {
    const text = app.translate(app.userLocale(chatId), key, params);
    try {
      await api.editMessageText(chatId, messageId, text);
    } catch {
      await api.sendMessage(chatId, text).catch((err: unknown) => app.log.warn({ err: String(err), chatId }, "recovery: cannot finalize a progress message"));
    }
  };
}
