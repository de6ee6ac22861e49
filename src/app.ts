import type Docker from "dockerode";
import type { Api } from "grammy";
import type { AppConfig } from "./config/env.js";
import { openSecretBox } from "./crypto/open-secret-box.js";
import type { SecretBox } from "./crypto/secret-box.js";
import { openDatabase, type Db } from "./db/client.js";
import { createDockerClient } from "./docker/client.js";
import { createDestinationFactory } from "./destinations/registry.js";
import { createTelegramDestination } from "./destinations/telegram.js";
import { RECORDED_COPIES_TO_CONFIRM, type Destination, type DestinationConfig } from "./destinations/port.js";
import { JobExecutor } from "./application/job-executor.js";
import { once } from "./shared/once.js";
import { isOwnerAlive } from "./shared/process-owner.js";
import { deadVolumeOwners } from "./lifecycle/recovery.js";
import { createHookRunner } from "./application/hooks.js";
import { Pinger } from "./application/pings.js";
import { Pruner } from "./application/pruner.js";
import { Watchdog } from "./application/watchdog.js";
import { PartChecksRepo } from "./repos/part-checks.repo.js";
import { HistoryRepo } from "./repos/history.repo.js";
import { DigestService } from "./application/digest.js";
import { SkewGuard } from "./engine/skew-guard.js";
import { ensureInstallationId } from "./engine/installation.js";
import { CatalogPublisher } from "./application/catalog-publisher.js";
import type { Catalog } from "./engine/catalog.js";
import { AdoptError, AdoptService } from "./application/adopt.js";
import { Discovery } from "./application/discover.js";
import { createS3Destination, type S3Tuning } from "./destinations/s3.js";
import { createTelegramCatalogChat } from "./destinations/telegram-catalog.js";
import { createSystemClock, type Clock } from "./scheduler/clock.js";
import { DEFAULT_LOCALE, fluentTranslator, type Translate } from "./i18n.js";
import { silentNotifier, type Notifier } from "./notify/port.js";
import { createTelegramNotifier } from "./notify/telegram-notifier.js";
import { createTelegramApi } from "./telegram/api.js";
import { BackupRunner } from "./engine/backup-runner.js";
import type { HookRunner } from "./engine/run/types.js";
import { RestoreService } from "./engine/restore.js";
import { DrillService } from "./application/drill.js";
import { thresholdsOf } from "./engine/anomaly.js";
import { DrillsRepo } from "./repos/drills.repo.js";
import { Heartbeat } from "./lifecycle/heartbeat.js";
import type { Logger } from "./logger.js";
import { AlertsRepo } from "./repos/alerts.repo.js";
import { BotStorageRepo } from "./repos/bot-storage.repo.js";
import { DestinationsRepo } from "./repos/destinations.repo.js";
import { JobsRepo } from "./repos/jobs.repo.js";
import { RunsRepo } from "./repos/runs.repo.js";
import { RestoresRepo } from "./repos/restores.repo.js";
import { SettingsRepo } from "./repos/settings.repo.js";
import { SourcesRepo } from "./repos/sources.repo.js";
import { ConfigIoService } from "./services/config-io.service.js";
import { DestinationsService } from "./services/destinations.service.js";
import { JobsService } from "./services/jobs.service.js";
import { SourcesService } from "./services/sources.service.js";
import { createSourceRegistry } from "./sources/registry.js";
import type { RestoreInto, RestoreTargetState, SourceCheck, SourceConfig } from "./sources/port.js";

/** Everything the commands use, built once in dependency order. */
export interface App {
  config: AppConfig;
  log: Logger;
  db: Db;
  runs: RunsRepo;
  /** Restores in progress and their outcome (crash recovery). */
  restores: RestoresRepo;
  /** The Docker Engine client (lazy: nothing is dialled before the first call). */
  docker: () => Docker;
  settings: SettingsRepo;
  /** The bot's sessions and conversations (src/bot/storage.ts). */
  botStorage: BotStorageRepo;
  /** The scheduler's proof of life: the daemon beats it, metrics and `health` read it. */
  heartbeat: Heartbeat;
  sources: SourcesService;
  destinations: DestinationsService;
  jobs: JobsService;
  jobsRepo: JobsRepo;
  configIo: ConfigIoService;
  runner: BackupRunner;
  /** Runs jobs' hooks: the backup runner's, and recovery's for the hooks a killed run owed. */
  hooks: HookRunner;
  executor: JobExecutor;
  restorer: RestoreService;
  /** Restore drills and their results (src/application/drill.ts). */
  drills: DrillService;
  drillsRepo: DrillsRepo;
  /** `adopt <chat>`: imports a chat's catalog (src/application/adopt.ts). */
  adopter: AdoptService;
  /** `/discover`, `discover`: database containers and volumes the Docker Engine shows, one step from a source (src/application/discover.ts). */
  discovery: Discovery;
  notifier: Notifier;
  /** Clock errors that pause pruning, per job (one alert per episode; an admin confirms the clock). */
  skewGuard: SkewGuard;
  translate: Translate;
  /** The language an admin chose with /lang (default English). */
  userLocale(userId: number): string;
  checkDestination(config: DestinationConfig, signal?: AbortSignal): Promise<void>;
  /** The destinations a job delivers to now, built from their stored configuration (none for a deleted job). */
  destinationsOfJob(jobId: number | null): Promise<Destination[]>;
  /** Re-checks of stored copies (lost, last re-checked), written by the watchdog. */
  partChecks: PartChecksRepo;
  /** The channel watchdog: a daily sample of stored parts re-downloaded and checked (src/application/watchdog.ts). */
  watchdog: Watchdog;
  /** Runs and drills for /status's strip, /logs and the digest. */
  history: HistoryRepo;
  /** The weekly digest, opt-in per destination chat (src/application/digest.ts). */
  digest: DigestService;
  checkSource(config: SourceConfig, signal?: AbortSignal): Promise<SourceCheck>;
  /** What a restore into this target would find (undefined: the kind has no such check); throws SourceError when it is refused. */
  checkRestoreTarget(config: SourceConfig, into: RestoreInto, signal?: AbortSignal): Promise<RestoreTargetState | undefined>;
  close(): void;
}

export interface BuildOptions {
  /** Upload retry policy and Telegram request timeout; tests shorten them. */
  retry?: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  telegramTimeoutSeconds?: number;
  /** A part read-back that brings no byte for this long is retried (default 60 s); tests shorten it. */
  readBackIdleMs?: number;
  /** Time for backups, retention and the executor; tests inject a manual clock. Default the system clock. */
  clock?: Clock;
  /** Catalogs larger than this are chained over several documents (default 8 MiB); tests make it small. */
  catalogDocumentBytes?: number;
  /** S3 multipart threshold and chunk size (default 64 MiB / 16 MiB); tests make them small. */
  s3?: S3Tuning;
  /** The database and its secret box, already being opened (main.ts starts them before this module loads). */
  store?: AppStore;
}

/** An opened database and the secret box being derived for it; buildApp owns both from then on. */
export interface AppStore {
  db: Db;
  box: Promise<SecretBox>;
}

/** Settings key of an admin's chosen language. */
export const userLocaleKey = (userId: number) => `lang.${userId}`;
/** Settings key of the Telegram app language an admin last wrote to the bot with (used when there is no /lang choice). */
export const seenLocaleKey = (userId: number) => `lang-seen.${userId}`;
/** Settings key of the language used in channels (captions, success and failure messages). */
export const CHANNEL_LOCALE_KEY = "lang.channel";

/**
 * Builds the application: db (+ migrations) → repositories → services → engine.
 * Called only from main.ts (and tests, which are their own composition roots).
 */
export async function buildApp(config: AppConfig, log: Logger, env: NodeJS.ProcessEnv = process.env, options: BuildOptions = {}): Promise<App> {
  const db = options.store?.db ?? openDatabase(config.dbPath);
  try {
    const settings = new SettingsRepo(db);
    const box = await (options.store?.box ?? openSecretBox(settings, config.masterKey));
    const sourcesRepo = new SourcesRepo(db);
    const destinationsRepo = new DestinationsRepo(db);
    const jobsRepo = new JobsRepo(db);
    const installationId = ensureInstallationId(settings);
    const runs = new RunsRepo(db, installationId);
    const restores = new RestoresRepo(db);
    const botStorage = new BotStorageRepo(db);

    const sources = new SourcesService({ repo: sourcesRepo, jobs: jobsRepo, box, env });
    const destinations = new DestinationsService({ repo: destinationsRepo, jobs: jobsRepo, box, env });
    const jobs = new JobsService({ repo: jobsRepo, sources: sourcesRepo, destinations: destinationsRepo, sourcesService: sources, destinationsService: destinations, box, env, telegramSelfHosted: config.telegramSelfHosted });
    const clock = options.clock ?? createSystemClock();
    const skewGuard = new SkewGuard(settings);
    // Loaded on first use: CLI runs to a local folder never need the Fluent bundles.
    let translateImpl: Translate | undefined;
    const translate: Translate = (locale, key, params) => (translateImpl ??= fluentTranslator())(locale, key, params);
    // Alerts speak each admin's language: the /lang choice, else the app language last seen (src/bot/locale.ts).
    const userLocale = (userId: number) => settings.get(userLocaleKey(userId)) ?? settings.get(seenLocaleKey(userId)) ?? DEFAULT_LOCALE;
    const channelLocale = () => settings.get(CHANNEL_LOCALE_KEY) ?? DEFAULT_LOCALE;

    let dockerClient: Docker | undefined;
    const docker = () => (dockerClient ??= createDockerClient(config.dockerHost));
    const sourceRegistry = createSourceRegistry({
      log,
      docker,
      helperImage: config.helperImage,
    });
    const makeDestination = createDestinationFactory({
      ...(options.s3 ? { s3: (c: DestinationConfig) => createS3Destination(c as Extract<DestinationConfig, { kind: "s3" }>, options.s3) } : {}),
      telegram: (c) =>
        createTelegramDestination(c as Extract<DestinationConfig, { kind: "telegram" }>, {
          apiRoot: config.telegramApiRoot,
          proxy: config.telegramProxy,
          selfHosted: config.telegramSelfHosted,
          defaultToken: config.botToken,
          translate,
          // Captions in the chat's own language (a destination's `language`), else the channels' default.
          locale: (c as Extract<DestinationConfig, { kind: "telegram" }>).language ?? channelLocale(),
          log,
          timeoutSeconds: options.telegramTimeoutSeconds,
        }),
    });
    const checkDestination = (c: DestinationConfig, signal?: AbortSignal) => makeDestination(c).check(signal);
    // Import checks Telegram chats and S3 buckets before saving them; a local folder may not exist yet where the import runs.
    const configIo = new ConfigIoService({
      db, sources, destinations, jobs,
      checkDestination: (c) => (c.kind === "telegram" || c.kind === "s3" ? checkDestination(c) : Promise.resolve()),
    });
    const hooks = createHookRunner({ docker });
    const runner = new BackupRunner({ runs, sources: sourceRegistry, makeDestination, spoolDir: config.spoolDir, log, retry: options.retry, readBackIdleMs: options.readBackIdleMs, now: () => clock.now(), hooks,
      anomalyThresholds: (jobId) => thresholdsOf(jobsRepo.findById(jobId)?.anomaly) });
    const notifier: Notifier = config.botToken
      ? createTelegramNotifier({
          api: onFirstUse(() => createTelegramApi(config.botToken!, { apiRoot: config.telegramApiRoot, proxy: config.telegramProxy, timeoutSeconds: options.telegramTimeoutSeconds })),
          adminIds: config.adminIds,
          translate,
          userLocale,
          channelLocale,
          job: async (id) => (jobs.findRow(id) ? jobs.resolve(id).catch(() => null) : null),
          log,
          alerts: new AlertsRepo(db),
          clock,
          defaultTimezone: config.timezone,
        })
      : silentNotifier;
    const catalogCaption = (catalog: Catalog, language?: string) => translate(language ?? channelLocale(), "catalog-caption", { runs: catalog.runs.length, jobs: catalog.jobs.length });
    const catalogs = new CatalogPublisher({
      runs,
      installationId,
      jobsAt: (id) => jobsRepo.listByDestination(id),
      jobByName: (name) => jobsRepo.findByName(name),
      sourceById: (id) => sourcesRepo.findById(id),
      destinationsOf: (jobId) => jobsRepo.findById(jobId)?.destinationIds ?? [],
      settings,
      chatFor: async (id) => {
        if (destinationsRepo.findById(id)?.kind !== "telegram") return null;
        const { config: c } = await destinations.resolve(id);
        const token = c.kind === "telegram" ? c.botToken || config.botToken : undefined;
        if (c.kind !== "telegram" || !token) return null;
        const chat = createTelegramCatalogChat({ token, apiRoot: config.telegramApiRoot, proxy: config.telegramProxy, chat: c.chatId, threadId: c.threadId, timeoutSeconds: options.telegramTimeoutSeconds });
        return { chat, name: c.name, threadId: c.threadId, language: c.language };
      },
      caption: catalogCaption,
      notifier,
      log,
      clock,
      maxDocumentBytes: options.catalogDocumentBytes,
    });
    /** Jobs whose prune has just published their catalogs (the executor need not publish again). */
    const catalogPublishedFor = new Set<number>();
    const destinationFor = async (id: number): Promise<Destination | null> => (destinationsRepo.findById(id) ? makeDestination((await destinations.resolve(id)).config) : null);
    const destinationsOfJob = async (jobId: number | null): Promise<Destination[]> => {
      const ids = jobId == null ? [] : (jobsRepo.findById(jobId)?.destinationIds ?? []);
      return (await Promise.all(ids.map(destinationFor))).filter((d): d is Destination => d !== null);
    };
    const pruner = new Pruner({
      runs,
      log,
      defaultTimezone: config.timezone,
      clock,
      skewGuard,
      notifier,
      destinationFor,
      beforeDelete: async (jobId, runIds) => {
        await catalogs.beforePrune(jobId, runIds);
        catalogPublishedFor.add(jobId);
      },
    });
    const executor = new JobExecutor({
      jobs, runner, runs, notifier, log, clock, pinger: new Pinger({ log }),
      afterSuccess: async (jobId, result, signal) => {
        const job = jobsRepo.findById(jobId);
        if (job) await pruner.afterRun({ id: job.id, name: job.name, retention: job.retention, timezone: job.timezone }, result, signal);
      },
      // A prune that deleted runs has just published the catalogs without them.
      afterChange: async (jobId) => {
        if (!catalogPublishedFor.delete(jobId)) await catalogs.afterRun(jobId);
      },
    });
    const restorer = new RestoreService({
      runs,
      sources: sourceRegistry,
      makeDestination,
      destinationConfig: async (id) => (destinationsRepo.findById(id) ? (await destinations.resolve(id)).config : null),
      storedPassphrase: (run) => jobs.passphraseForRun(run),
      spoolDir: config.spoolDir,
      log,
      heldByLiveRestore: (entry) => restores.listRunning().some((r) => r.scratch.includes(entry) && isOwnerAlive(r.owner)),
      deadOwners: () => deadVolumeOwners(runs, restores),
    });

    const partChecks = new PartChecksRepo(db);
    const watchdog = new Watchdog({
      checks: partChecks,
      settings,
      destinationFor,
      recordedCopiesAt: (id) => runs.newestManifestsAt(id, RECORDED_COPIES_TO_CONFIRM),
      destinationName: (id) => destinationsRepo.findById(id)?.name ?? null,
      notifier,
      clock,
      log,
      options: config.watchdog,
    });
    const history = new HistoryRepo(db);
    const digest = new DigestService({
      history,
      settings,
      destinations: () =>
        destinationsRepo.list().map((d) => {
          const s = d.settings as { chatId?: unknown; threadId?: unknown };
          const route = d.kind === "telegram" && s.chatId != null ? { chat_id: String(s.chatId), ...(typeof s.threadId === "number" ? { thread_id: s.threadId } : {}) } : null;
          return { id: d.id, name: d.name, route };
        }),
      jobsAt: (id) => jobsRepo.listByDestination(id).map((j) => ({ id: j.id, name: j.name })),
      chatLocale: () => channelLocale(),
      translate,
      post: async (route, text) => notifier.postToChat?.(route, text),
      clock,
      log,
      timeZone: config.timezone,
    });

    const drillsRepo = new DrillsRepo(db);
    const drills = new DrillService({
      jobs, decrypt: (c) => box.decrypt(c), sources, runs, drills: drillsRepo, restorer, makeDestination,
      destinationConfig: async (id) => (destinationsRepo.findById(id) ? (await destinations.resolve(id)).config : null),
      notifier, spoolDir: config.spoolDir, log, clock, env,
      listJobs: () => jobsRepo.list(), defaultTimezone: config.timezone,
    });

    const adopter = new AdoptService({
      db, runs, jobs: jobsRepo, sources: sourcesRepo, destinations: destinationsRepo, settings, installationId,
      caption: catalogCaption,
      publish: (id, signal) => catalogs.publish(id, { signal }),
      chatFor: (ref) => {
        if (!config.botToken) throw new AdoptError("adopting reads the chat through the bot: set BOT_TOKEN (the same bot that posted the backups)");
        return createTelegramCatalogChat({ token: config.botToken, apiRoot: config.telegramApiRoot, proxy: config.telegramProxy, chat: ref, timeoutSeconds: options.telegramTimeoutSeconds });
      },
    });

    return {
      config, log, db, runs, restores, docker, settings, botStorage, heartbeat: new Heartbeat(settings), sources, destinations, jobs, jobsRepo, configIo, runner, hooks, executor, restorer, drills, drillsRepo, adopter,
      notifier, skewGuard, translate, userLocale, checkDestination, destinationsOfJob, partChecks, watchdog, history, digest,
      checkSource: (c, signal) => sourceRegistry[c.kind].check(c, signal),
      discovery: new Discovery({ docker, sources, env, checkSource: (c, signal) => sourceRegistry[c.kind].check(c, signal) }),
      checkRestoreTarget: async (c, into, signal) => sourceRegistry[c.kind].checkRestoreTarget?.(c, into, signal),
      close: () => db.$client.close(),
    };
  } catch (err) {
    db.$client.close();
    throw err;
  }
}

/**
 * The notifier's Bot API client, made on its first call: grammY and its fetch stack take tens of
 * milliseconds to load, and a CLI command that sends no alert should not pay for them.
 */
function onFirstUse(make: () => Api): Api {
  const api = once(make);
  return new Proxy({} as Api, {
    get(_, key) {
      const real = api();
      const value: unknown = Reflect.get(real, key);
      return typeof value === "function" ? value.bind(real) : value;
    },
  });
}
