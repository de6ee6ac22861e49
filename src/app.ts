import type Docker from "dockerode";
import type { AppConfig } from "./config/env.js";
import { openSecretBox } from "./crypto/open-secret-box.js";
import { openDatabase, type Db } from "./db/client.js";
import { createDockerClient } from "./docker/client.js";
import { createDestinationFactory } from "./destinations/registry.js";
import { BackupRunner } from "./engine/backup-runner.js";
import { RestoreService } from "./engine/restore.js";
import type { Logger } from "./logger.js";
import { DestinationsRepo } from "./repos/destinations.repo.js";
import { JobsRepo } from "./repos/jobs.repo.js";
import { RunsRepo } from "./repos/runs.repo.js";
import { SettingsRepo } from "./repos/settings.repo.js";
import { SourcesRepo } from "./repos/sources.repo.js";
import { ConfigIoService } from "./services/config-io.service.js";
import { DestinationsService } from "./services/destinations.service.js";
import { JobsService } from "./services/jobs.service.js";
import { SourcesService } from "./services/sources.service.js";
import { createSourceRegistry } from "./sources/registry.js";

/** Everything the commands use, built once in dependency order. */
export interface App {
  config: AppConfig;
  log: Logger;
  db: Db;
  runs: RunsRepo;
  settings: SettingsRepo;
  sources: SourcesService;
  destinations: DestinationsService;
  jobs: JobsService;
  configIo: ConfigIoService;
  runner: BackupRunner;
  restorer: RestoreService;
  close(): void;
}

/**
 * Builds the application: db (+ migrations) → repositories → services → engine.
 * Called only from main.ts (and tests, which are their own composition roots).
 */
export async function buildApp(config: AppConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<App> {
  const db = openDatabase(config.dbPath);
  try {
    const settings = new SettingsRepo(db);
    const box = await openSecretBox(settings, config.masterKey);
    const sourcesRepo = new SourcesRepo(db);
    const destinationsRepo = new DestinationsRepo(db);
    const jobsRepo = new JobsRepo(db);
    const runs = new RunsRepo(db);

    const sources = new SourcesService({ repo: sourcesRepo, jobs: jobsRepo, box, env });
    const destinations = new DestinationsService({ repo: destinationsRepo, jobs: jobsRepo, box, env });
    const jobs = new JobsService({ repo: jobsRepo, sources: sourcesRepo, destinations: destinationsRepo, box, env });
    const configIo = new ConfigIoService({ db, sources, destinations, jobs });

    let docker: Docker | undefined;
    const sourceRegistry = createSourceRegistry({
      log,
      docker: () => (docker ??= createDockerClient(config.dockerHost)),
      helperImage: config.helperImage,
    });
    const makeDestination = createDestinationFactory();
    const runner = new BackupRunner({ runs, sources: sourceRegistry, makeDestination, spoolDir: config.spoolDir, log });
    const restorer = new RestoreService({
      runs,
      sources: sourceRegistry,
      makeDestination,
      destinationConfig: async (id) => (destinationsRepo.findById(id) ? (await destinations.resolve(id)).config : null),
      spoolDir: config.spoolDir,
      log,
    });

    return {
      config, log, db, runs, settings, sources, destinations, jobs, configIo, runner, restorer,
      close: () => db.$client.close(),
    };
  } catch (err) {
    db.$client.close();
    throw err;
  }
}
