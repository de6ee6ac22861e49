import type Docker from "dockerode";
import type { StoppedContainerRow } from "../db/schema.js";
import { isNotFound } from "../docker/errors.js";
import { startContainer } from "../docker/stop-during-backup.js";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { RunsRepo } from "../repos/runs.repo.js";

/**
 * Starts a container a backup stopped and forgets it: "started", or "gone" when it was removed
 * meanwhile (nothing to start). Throws the engine's error otherwise; the container stays owed.
 */
export async function startOwedContainer(docker: Docker, runs: RunsRepo, c: StoppedContainerRow): Promise<"started" | "gone"> {
  try {
    await startContainer(docker, c.containerId);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    runs.forgetStoppedContainer(c.runId, c.containerId);
    return "gone";
  }
  runs.forgetStoppedContainer(c.runId, c.containerId);
  return "started";
}

/** The first retry comes this long after a failed start; each failure doubles it, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;

export interface ContainerKeeperDeps {
  runs: RunsRepo;
  docker: () => Docker;
  notifier: Notifier;
  log: Logger;
  /** Whether the process that owns a run (its `owner` token) still runs. */
  alive: (owner: string | null) => boolean;
}

/**
 * Containers a backup stopped (label `tele-backup.stop-during-backup`) and could not start again
 * when it ended: the run failed saying so, and without this the app stayed down until someone
 * started it or tele-backup restarted (start-up recovery starts them once). On the scheduler's
 * ticks they are started again, a minute after the failure, then after twice as long each time,
 * up to an hour, until they run, are removed, or were started by hand (a running one counts as
 * started). The admins hear of each one started. A run still going owns its containers.
 */
export class ContainerKeeper {
  /** When each owed container (by row id) may be tried next, and the wait after a failure then. */
  private readonly retries = new Map<number, { at: number; waitMs: number }>();
  private running: Promise<void> | null = null;

  constructor(private readonly deps: ContainerKeeperDeps) {}

  /** Tries the owed containers that are due; a call while a pass runs joins it. */
  tick(now: Date): Promise<void> {
    this.running ??= this.pass(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(now: Date): Promise<void> {
    const { runs, log } = this.deps;
    const owed = runs.allStoppedContainers().filter((c) => {
      const run = runs.get(c.runId);
      return run?.status !== "running" || !this.deps.alive(run.owner);
    });
    for (const id of this.retries.keys()) if (!owed.some((c) => c.id === id)) this.retries.delete(id);
    const due = owed.filter((c) => now.getTime() >= (this.retries.get(c.id)?.at ?? 0));
    if (due.length === 0) return;
    let docker: Docker;
    try {
      docker = this.deps.docker();
    } catch (err) {
      log.warn({ err: (err as Error).message }, "no Docker client: containers a backup stopped cannot be started again now");
      return;
    }
    // Started in the reverse order of stopping, as the run itself would have done.
    for (const c of [...due].reverse()) {
      try {
        if ((await startOwedContainer(docker, runs, c)) === "gone") continue;
        this.retries.delete(c.id);
        log.warn({ container: c.name, run: c.runId }, "started a container a backup had stopped and could not start again");
        await this.deps.notifier.alertAdmins("container-started-again", { container: c.name, run: String(c.runId) });
      } catch (err) {
        const waitMs = Math.min((this.retries.get(c.id)?.waitMs ?? FIRST_RETRY_MS / 2) * 2, MAX_RETRY_MS);
        this.retries.set(c.id, { at: now.getTime() + waitMs, waitMs });
        log.error({ container: c.name, run: c.runId, err: (err as Error).message, retryInS: waitMs / 1000 }, "a container a backup stopped still cannot be started");
      }
    }
  }
}
