import { lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";
import type Docker from "dockerode";
import type { RestoreRow, RunRow } from "../db/schema.js";
import type { Destination } from "../destinations/port.js";
import type { HookRunner } from "../engine/run/types.js";
import { removeHelpersOf, resolveHelperImage } from "../docker/helper-container.js";
import { parseVolumeScratch, removeRestoreVolume, restoreStaging, settleRestoreStaging } from "../docker/restore-volume.js";
import type { Logger } from "../logger.js";
import type { Notifier } from "../notify/port.js";
import type { RestoresRepo } from "../repos/restores.repo.js";
import type { RunsRepo } from "../repos/runs.repo.js";
import { HOOK_EXEC_MARKER, HOOK_PROCESS_MARKER } from "../engine/run/hooks.js";
import { isOwnerAlive, killProcessGroup } from "../shared/process-owner.js";
import { startOwedContainer } from "./container-keeper.js";
import { movingMarker, settleStaged } from "../shared/staged-moves.js";

export interface RecoveryDeps {
  runs: RunsRepo;
  restores: RestoresRepo;
  /** `DATA_DIR/spool`: `run-<id>`, `restore-<run>-<owner tag>-…`, `bot-restore-<run>-<owner tag>-…`. */
  spoolDir: string;
  notifier: Notifier;
  log: Logger;
  now?: () => Date;
  /**
   * The Docker Engine, for containers a dead run stopped and helpers it left. Absent: nothing
   * is asked of Docker (the records stay for the next start).
   */
  docker?: () => Docker;
  /** HELPER_IMAGE: the image of the helper that empties an existing volume an interrupted restore was filling (default: this container's). */
  helperImage?: string;
  /**
   * Shows the final text (`key`, `params`: a locale message) of a progress message a dead
   * process left at "loading…". Never throws. Absent: messages are left as they are.
   */
  finalizeMessage?: (chatId: number, messageId: number, key: string, params: Record<string, string | number>) => Promise<void>;
  /** Whether an owner token's process still runs; tests inject it. Default src/shared/process-owner.ts. */
  isAlive?: (owner: string | null) => boolean;
  /**
   * The destinations of a dead run's job, asked to discard what the run began storing and never
   * finished (`Destination.discardUnfinished`: an S3 multipart upload, a folder's temp file).
   * Absent: none are looked for.
   */
  destinationsOf?: (run: RunRow) => Promise<Destination[]>;
  /** How long recovery asks destinations about unfinished uploads before it goes on (default 30 s). */
  uploadsTimeoutMs?: number;
  /**
   * Runs the hooks a dead run owed (`pending_hooks`: its `on_failure`, then its `after` hooks),
   * as the run would have when it ended; `secretsOf` gives the values to keep out of their logged
   * output. Absent: they stay recorded for the next start.
   */
  hooks?: { runner: HookRunner; secretsOf: (run: RunRow) => Promise<string[]> };
  /** How long the owed hooks may take in all (each also within its own timeout; default 5 min, as a run's cleanup). */
  hooksTimeoutMs?: number;
  /** Marks drills of dead processes interrupted and drops their scratch databases (src/application/drill.ts); returns the names dropped. */
  recoverDrills?: () => Promise<string[]>;
}

export interface RecoveredRun {
  runId: number;
  job: string;
  phase: string | null;
  startedAt: Date;
  /** Parts the run had already delivered; they stay recorded, belonging to an incomplete run. */
  deliveredParts: number;
}

export interface RecoveredRestore {
  restoreId: number;
  runId: number;
  target: string;
  via: RestoreRow["via"];
}

export interface RecoveryReport {
  interrupted: RecoveredRun[];
  interruptedRestores: RecoveredRestore[];
  /** Runs still `running` under a live process (another command): left alone. */
  liveRuns: number[];
  /** Names of containers a dead run had stopped, started again. */
  restartedContainers: string[];
  /** Containers that could not be started again ("name: reason"); they stay recorded for the next start. */
  stillStopped: string[];
  /** Short ids of helper containers of dead processes, removed. */
  removedHelpers: string[];
  /** Temporary folders and files removed (spool folders of dead runs and restores, restore outputs). */
  removedSpool: string[];
  /** Scratch databases of interrupted restore drills, dropped. */
  droppedDrillDatabases?: string[];
  /** Unfinished uploads of dead runs discarded at their destinations ("destination: object or file"). */
  abortedUploads: string[];
  /** Destinations that could not be asked about a dead run's unfinished uploads (the reason is logged). */
  uploadsUnchecked: string[];
  /** Docker volumes an interrupted restore had created (holding part of a backup), removed. */
  removedVolumes: string[];
  /** Such volumes that could not be removed ("name: reason"), for example because a container uses one. */
  volumesKept: string[];
  /** Existing volumes an interrupted restore was filling (in a staging folder), emptied again. */
  volumesCleared: string[];
  /** Existing volumes and folders whose interrupted restore had begun moving the backup into place: the moves were finished (the target holds the backup). */
  restoresFinished: string[];
  /** Interrupted runs whose owed `on_failure` / `after` hooks were run ("job #run"); each hook's outcome is logged. */
  hooksRun: string[];
  /** Hook processes (in the sidecar) that dead runs left running, stopped ("job #run"). */
  stoppedHooks: string[];
}

/** Locale key of the one "unclean stop" alert. Params: `runs`, `restores`, `containers`, `stillStopped`, `hooks`, `stoppedHooks`, `helpers`, `files`, `uploads`, `uploadsUnchecked`, `volumes`, `volumesKept`, `volumesCleared`, `restoresFinished` ("—" when none). */
export const ALERT_INTERRUPTED = "alert-interrupted";
/** Final text of a backup's progress message. Params: `job`, `run`, `phase`, `at`. */
export const PROGRESS_INTERRUPTED = "progress-interrupted-crash";
/** Final text of a restore's progress message. Params: `run`, `target`, `at`. */
export const RESTORE_INTERRUPTED = "restore-interrupted-crash";

/** `restore-<run>-<owner tag>-…` / `bot-restore-<run>-<owner tag>-…`; the tag is `<pid>.<ticks>` (or an older `<pid>`). */
const RESTORE_FOLDER = /^(?:bot-)?restore-\d+-(\d+(?:\.\d+)?)(?:-|$)/;
const RUN_FOLDER = /^run-(\d+)$/;
const UPLOADS_TIMEOUT_MS = 30_000;
const HOOKS_TIMEOUT_MS = 5 * 60_000;

/**
 * Start-up recovery after a crash, `kill -9` or power loss: finishes what a dead process
 * started, and touches nothing a live one owns. Runs before the scheduler starts.
 *
 * Ownership: every run and restore records its process (src/shared/process-owner.ts). Only
 * those whose owner is gone are taken over — a `tele-backup backup` started by cron or
 * `docker exec` keeps running while `tele-backup run` restarts.
 *
 * For each dead owner's work:
 * - a running run becomes `interrupted` (parts it delivered stay recorded: they exist at the
 *   destination, and retention cleans them up like any unsuccessful run's leftovers);
 * - a running restore becomes `interrupted`; its scratch files (decrypted output) are removed;
 * - containers it stopped for a volume backup are started again (Docker does not restart a
 *   container stopped through the API, whatever its restart policy); helper containers it
 *   created are removed;
 * - the `on_failure` and `after` hooks its runs owed are run (an app a `before` hook put into
 *   maintenance mode comes back), once the containers are running again;
 * - uploads its runs began and never finished are aborted at their destinations (an S3
 *   multipart upload's chunks are stored, and billed, until then);
 * - its spool folders (`run-<id>`, `restore-*`, `bot-restore-*`) are removed;
 * - its progress messages in the chat get their final "interrupted" text.
 * Then one alert to the admins says what was interrupted and what was repaired.
 */
export async function recoverInterruptedRuns(deps: RecoveryDeps): Promise<RecoveryReport> {
  const { runs, restores, log } = deps;
  const alive = deps.isAlive ?? isOwnerAlive;
  const now = (deps.now ?? (() => new Date()))();
  const report: RecoveryReport = {
    interrupted: [],
    interruptedRestores: [],
    liveRuns: [],
    restartedContainers: [],
    stillStopped: [],
    removedHelpers: [],
    removedSpool: [],
    abortedUploads: [],
    uploadsUnchecked: [],
    removedVolumes: [],
    volumesKept: [],
    volumesCleared: [],
    restoresFinished: [],
    hooksRun: [],
    stoppedHooks: [],
  };
  const messages: Array<{ chatId: number; messageId: number; key: string; params: Record<string, string | number> }> = [];
  const at = utc(now);

  // 1. Runs: a dead owner's become interrupted; a live owner's are left alone.
  const interruptedRows: RunRow[] = [];
  for (const run of runs.listByStatus("running").sort((a, b) => a.id - b.id)) {
    if (alive(run.owner)) {
      report.liveRuns.push(run.id);
      log.info({ run: run.id, job: run.jobName }, "a run of another live process is in progress; recovery leaves it alone");
      continue;
    }
    const deliveredParts = runs.liveParts(run.id).length;
    const where = run.phase ? ` during ${run.phase}` : "";
    const delivered = deliveredParts > 0 ? `; ${deliveredParts} part(s) already delivered stay recorded` : "";
    runs.update(run.id, {
      status: "interrupted",
      finishedAt: now,
      error: `interrupted: the process stopped${where} before the backup finished (crash, kill or power loss)${delivered}`,
    });
    interruptedRows.push(run);
    report.interrupted.push({ runId: run.id, job: run.jobName, phase: run.phase, startedAt: run.startedAt, deliveredParts });
    if (run.progressChatId != null && run.progressMessageId != null) {
      messages.push({ chatId: run.progressChatId, messageId: run.progressMessageId, key: PROGRESS_INTERRUPTED, params: { job: run.jobName, run: String(run.id), phase: run.phase ?? "prepare", at } });
    }
    log.warn({ run: run.id, job: run.jobName, phase: run.phase, deliveredParts }, "run left running by a previous process marked interrupted");
  }

  // 2. Restores: a dead owner's become interrupted and lose their scratch files (and volumes they created, in step 3).
  const restoreVolumes: Array<{ name: string; token: string }> = [];
  for (const restore of restores.listRunning()) {
    if (alive(restore.owner)) continue;
    restores.finish(restore.id, "interrupted", "interrupted: the process stopped before the restore finished (crash, kill or power loss)", now);
    for (const entry of restore.scratch) {
      const volume = parseVolumeScratch(entry);
      if (volume) restoreVolumes.push(volume);
      else if (await exists(movingMarker(entry))) await finishMoves(entry, report, log);
      else await remove(entry, report, log);
    }
    report.interruptedRestores.push({ restoreId: restore.id, runId: restore.runId, target: restore.target, via: restore.via });
    if (restore.progressChatId != null && restore.progressMessageId != null) {
      messages.push({ chatId: restore.progressChatId, messageId: restore.progressMessageId, key: RESTORE_INTERRUPTED, params: { run: String(restore.runId), target: restore.target, at } });
    }
    log.warn({ restore: restore.id, run: restore.runId, via: restore.via }, "restore left running by a previous process marked interrupted");
  }

  // 3. Docker: containers stopped by runs that are over (or whose process is gone), helpers of
  // dead processes, then the volumes interrupted restores created (their helpers are gone by then).
  if (deps.docker) {
    await recoverContainers(deps, deps.docker, alive, report);
    if (restoreVolumes.length > 0) await removeRestoreVolumes(deps, deps.docker, restoreVolumes, report);
  }

  // 4. Hook processes dead runs left running, then the hooks they owed, now that the containers they stopped run again.
  await stopLeftoverHooks(deps, report);
  if (deps.hooks) await runOwedHooks(deps, deps.hooks, runs.withPendingHooks().filter((r) => r.status !== "running" && !alive(r.owner)), report);

  // 5. Uploads the interrupted runs left unfinished at their destinations.
  if (deps.destinationsOf) await discardUnfinishedUploads(deps, deps.destinationsOf, interruptedRows, report);

  // 6. Spool folders of dead runs and restores; scratch databases of dead drills.
  await sweepSpool(deps, alive, report);
  if (deps.recoverDrills) {
    report.droppedDrillDatabases = await deps.recoverDrills().catch((err: unknown) => {
      log.warn({ err: String(err) }, "could not recover interrupted drills");
      return [];
    });
  }

  // 7. Progress messages, then one alert.
  for (const m of messages) await deps.finalizeMessage?.(m.chatId, m.messageId, m.key, m.params);

  const repaired =
    report.restartedContainers.length +
    report.stillStopped.length +
    report.removedHelpers.length +
    report.removedSpool.length +
    (report.droppedDrillDatabases?.length ?? 0) +
    report.abortedUploads.length +
    report.uploadsUnchecked.length +
    report.removedVolumes.length +
    report.volumesKept.length +
    report.volumesCleared.length +
    report.restoresFinished.length +
    report.hooksRun.length +
    report.stoppedHooks.length;
  if (report.interrupted.length + report.interruptedRestores.length + repaired > 0) {
    const list = (items: string[]) => (items.length > 0 ? items.join(", ") : "—");
    await deps.notifier.alertAdmins(ALERT_INTERRUPTED, {
      runs: list(report.interrupted.map((r) => `${r.job} #${r.runId}`)),
      restores: list(report.interruptedRestores.map((r) => `#${r.runId} → ${r.target}`)),
      containers: list(report.restartedContainers),
      stillStopped: list(report.stillStopped),
      hooks: list(report.hooksRun),
      stoppedHooks: list(report.stoppedHooks),
      helpers: report.removedHelpers.length,
      files: report.removedSpool.length,
      uploads: list(report.abortedUploads),
      uploadsUnchecked: list(report.uploadsUnchecked),
      volumes: list(report.removedVolumes),
      volumesKept: list(report.volumesKept),
      volumesCleared: list(report.volumesCleared),
      restoresFinished: list(report.restoresFinished),
    });
  }
  return report;
}

/**
 * Stops the hook processes (process groups in the sidecar, src/engine/run/hooks.ts) that runs of
 * dead processes left running, and waits for their hooks' `docker exec`s in other containers to
 * end (the Engine API cannot stop one): a `before` hook still at work must not race the `after`
 * hooks recovery runs next. Only folders of runs that are not `running` (after step 1: dead ones).
 */
async function stopLeftoverHooks(deps: RecoveryDeps, report: RecoveryReport): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(deps.spoolDir);
  } catch {
    return; // no spool folder: nothing ran here (sweepSpool reports an unreadable one)
  }
  const execs: Array<{ id: string; run: RunRow }> = [];
  for (const entry of entries.sort()) {
    const id = RUN_FOLDER.exec(entry)?.[1];
    const run = id === undefined ? undefined : deps.runs.get(Number(id));
    if (!run || run.status === "running") continue;
    const markers = await readdir(path.join(deps.spoolDir, entry)).catch(() => [] as string[]);
    let stopped = 0;
    for (const marker of markers) {
      const tag = HOOK_PROCESS_MARKER.exec(marker)?.[1];
      if (tag && killProcessGroup(tag)) stopped++;
      const exec = HOOK_EXEC_MARKER.exec(marker)?.[1];
      if (exec) execs.push({ id: exec, run });
    }
    if (stopped === 0) continue;
    report.stoppedHooks.push(`${run.jobName} #${run.id}`);
    deps.log.warn({ run: run.id, job: run.jobName, processes: stopped }, "recovery: stopped hook processes a dead run left running");
  }
  if (execs.length === 0 || !deps.docker) return;
  const client = dockerClient(deps.docker, deps.log);
  if (!client) return;
  const deadline = Date.now() + (deps.hooksTimeoutMs ?? HOOKS_TIMEOUT_MS);
  for (const { id, run } of execs) {
    if (!(await execRunning(client, id))) continue;
    deps.log.warn({ run: run.id, job: run.jobName, exec: id.slice(0, 12) }, "recovery: waiting for a hook command a dead run left running in a container");
    while (Date.now() < deadline && (await execRunning(client, id))) await new Promise((resolve) => setTimeout(resolve, EXEC_POLL_MS));
  }
}

const EXEC_POLL_MS = 250;

/** Whether a `docker exec` still runs (false once it ended, or when it or its container is gone). */
async function execRunning(docker: Docker, id: string): Promise<boolean> {
  try {
    return Boolean((await docker.getExec(id).inspect()).Running);
  } catch {
    return false;
  }
}

/**
 * Runs the `on_failure`, then the `after` hooks that runs of dead processes recorded as owed
 * (the runs just marked interrupted, and any an earlier recovery could not finish), then clears
 * them. A hook's failure is logged by the runner and changes nothing; all of them together get
 * `hooksTimeoutMs`.
 */
async function runOwedHooks(deps: RecoveryDeps, hooks: NonNullable<RecoveryDeps["hooks"]>, runs: RunRow[], report: RecoveryReport): Promise<void> {
  const signal = AbortSignal.timeout(deps.hooksTimeoutMs ?? HOOKS_TIMEOUT_MS);
  for (const run of runs) {
    const owed = run.pendingHooks;
    if (!owed?.after?.length && !owed?.on_failure?.length) continue;
    const log = deps.log.child({ run: run.id, job: run.jobName });
    const secrets = await hooks.secretsOf(run).catch(() => []);
    log.warn("recovery: running the hooks the interrupted run owed");
    if (owed.on_failure?.length) await hooks.runner.run("on_failure", owed.on_failure, { log, signal, secrets });
    if (owed.after?.length) await hooks.runner.run("after", owed.after, { log, signal, secrets });
    deps.runs.update(run.id, { pendingHooks: null });
    report.hooksRun.push(`${run.jobName} #${run.id}`);
  }
}

/**
 * Asks each destination of each interrupted run to abort the uploads the run began and never
 * finished. A destination that cannot be asked now is reported (its uploads stay; a bucket
 * lifecycle rule is the fallback); recovery never waits on them longer than `uploadsTimeoutMs`.
 */
async function discardUnfinishedUploads(deps: RecoveryDeps, destinationsOf: (run: RunRow) => Promise<Destination[]>, runs: RunRow[], report: RecoveryReport): Promise<void> {
  const signal = AbortSignal.timeout(deps.uploadsTimeoutMs ?? UPLOADS_TIMEOUT_MS);
  for (const run of runs) {
    if (!run.fileName) continue;
    let destinations: Destination[];
    try {
      destinations = await destinationsOf(run);
    } catch (err) {
      deps.log.warn({ run: run.id, err: (err as Error)?.message ?? String(err) }, "recovery: cannot resolve the destinations of an interrupted run");
      continue;
    }
    for (const destination of destinations) {
      if (!destination.discardUnfinished) continue;
      try {
        const aborted = await destination.discardUnfinished({ runId: run.id, jobName: run.jobName }, run.fileName, signal);
        for (const object of aborted) report.abortedUploads.push(`${destination.name}: ${object}`);
        if (aborted.length > 0) deps.log.warn({ run: run.id, destination: destination.name, aborted }, "recovery: aborted uploads an interrupted run left unfinished");
      } catch (err) {
        const reason = signal.aborted ? `no answer within ${Math.round((deps.uploadsTimeoutMs ?? UPLOADS_TIMEOUT_MS) / 1000)} s` : ((err as Error)?.message ?? String(err));
        if (!report.uploadsUnchecked.includes(destination.name)) report.uploadsUnchecked.push(destination.name);
        deps.log.warn({ run: run.id, destination: destination.name, err: reason }, "recovery: cannot discard the unfinished uploads of an interrupted run; they stay (for S3, a bucket lifecycle rule removes them)");
      }
    }
  }
}

/**
 * The processes that owned this installation's volume backups and restores and are gone: the
 * helper containers they left are leftovers (other installations sharing the engine are not ours).
 */
export function deadVolumeOwners(runs: RunsRepo, restores: RestoresRepo, alive: (owner: string | null) => boolean = isOwnerAlive): Set<string> {
  const dead = new Set<string>();
  for (const owner of [...runs.owners("volume"), ...restores.owners("volume")]) if (!alive(owner)) dead.add(owner);
  return dead;
}

async function recoverContainers(deps: RecoveryDeps, docker: () => Docker, alive: (owner: string | null) => boolean, report: RecoveryReport): Promise<void> {
  const { runs, restores, log } = deps;
  // A run still `running` here belongs to a live process: its containers are its own business.
  const stopped = runs.allStoppedContainers().filter((c) => runs.get(c.runId)?.status !== "running");
  // Owners of this installation's runs and restores that are gone (helpers of other installations sharing the engine are not ours).
  const deadOwners = deadVolumeOwners(runs, restores, alive);
  if (stopped.length === 0 && deadOwners.size === 0) return;
  const client = dockerClient(docker, log);
  if (!client) return;
  // Started in the reverse order of stopping, as the run itself would have done.
  for (const c of [...stopped].reverse()) {
    try {
      if ((await startOwedContainer(client, runs, c)) === "gone") continue;
      report.restartedContainers.push(c.name);
      log.warn({ container: c.name, run: c.runId }, "recovery: started a container a dead backup had stopped");
    } catch (err) {
      // The scheduler's ContainerKeeper tries again while the daemon runs.
      report.stillStopped.push(`${c.name}: ${(err as Error).message}`);
      log.error({ container: c.name, run: c.runId, err: (err as Error).message }, "recovery: cannot start a container a dead backup had stopped");
    }
  }
  if (deadOwners.size === 0) return;
  try {
    report.removedHelpers.push(...(await removeHelpersOf(client, deadOwners)));
  } catch (err) {
    // An installation without Docker has no helpers to remove.
    log.debug({ err: (err as Error).message }, "recovery: cannot look for leftover helper containers");
  }
}

/** The Docker client, or undefined (logged) when none can be made. */
function dockerClient(docker: () => Docker, log: Logger): Docker | undefined {
  try {
    return docker();
  } catch (err) {
    log.warn({ err: (err as Error).message }, "recovery: no Docker client");
    return undefined;
  }
}

/**
 * Removes each volume an interrupted restore created, and empties each existing one it was
 * filling (its staging folder, src/docker/restore-volume.ts); one that cannot be repaired is
 * reported, never forced.
 */
async function removeRestoreVolumes(deps: RecoveryDeps, docker: () => Docker, volumes: Array<{ name: string; token: string }>, report: RecoveryReport): Promise<void> {
  const client = dockerClient(docker, deps.log);
  if (!client) return;
  let image: Promise<string> | undefined; // looked up once, for the first volume that needs a helper
  for (const { name, token } of volumes) {
    try {
      const outcome = await removeRestoreVolume(client, name, token);
      if (outcome === "removed") {
        report.removedVolumes.push(name);
        deps.log.warn({ volume: name }, "recovery: removed the volume an interrupted restore had created");
        continue;
      }
      if (outcome === "absent") continue;
      image ??= resolveHelperImage(client, deps.helperImage);
      const settled = await settleRestoreStaging(client, await image, name, restoreStaging(token));
      if (settled === "absent") continue;
      (settled === "finished" ? report.restoresFinished : report.volumesCleared).push(name);
      deps.log.warn({ volume: name }, settled === "finished" ? "recovery: finished moving an interrupted restore into its volume" : "recovery: emptied the volume an interrupted restore was filling");
    } catch (err) {
      report.volumesKept.push(`${name}: ${(err as Error).message}`);
      deps.log.error({ volume: name, err: (err as Error).message }, "recovery: cannot undo what an interrupted restore did to a volume");
    }
  }
}

async function sweepSpool(deps: RecoveryDeps, alive: (owner: string | null) => boolean, report: RecoveryReport): Promise<void> {
  const { runs, log } = deps;
  let entries: string[] = [];
  try {
    entries = await readdir(deps.spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") log.warn({ err: (err as Error).message, spool: deps.spoolDir }, "cannot read the spool folder");
    return;
  }
  for (const entry of entries.sort()) {
    const run = RUN_FOLDER.exec(entry);
    const restore = RESTORE_FOLDER.exec(entry);
    // Runs still `running` after step 1 belong to live processes.
    if (run && runs.get(Number(run[1]))?.status === "running") continue;
    if (restore && alive(restore[1]!)) continue;
    if (!run && !restore) continue; // not a folder this program names: not ours to touch
    await remove(path.join(deps.spoolDir, entry), report, log);
  }
}

const exists = (file: string): Promise<boolean> => lstat(file).then(() => true, () => false);

/** A dead restore's staging folder whose moves into place had begun: they are finished, never undone halfway. */
async function finishMoves(staging: string, report: RecoveryReport, log: Logger): Promise<void> {
  try {
    await settleStaged(staging);
    report.restoresFinished.push(path.dirname(staging));
    log.warn({ target: path.dirname(staging) }, "recovery: finished moving an interrupted restore into its folder");
  } catch (err) {
    report.volumesKept.push(`${path.dirname(staging)}: ${(err as Error).message}`);
    log.error({ staging, err: (err as Error).message }, "recovery: cannot finish moving an interrupted restore into its folder");
  }
}

/** Removes a file or folder; reported only when it was there. */
async function remove(file: string, report: RecoveryReport, log: Logger): Promise<void> {
  if (!(await exists(file))) return;
  try {
    await rm(file, { recursive: true, force: true });
    report.removedSpool.push(file);
  } catch (err) {
    log.warn({ err: (err as Error).message, file }, "cannot remove a leftover temporary file");
  }
}

/** "2026-01-10 03:20 UTC": an instant the same in every language. */
function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
