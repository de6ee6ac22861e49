import type { Readable } from "node:stream";
import type Docker from "dockerode";
import type { Pack } from "tar-stream";
import { DockerError, dockerMessage, isNotFound, isUnreachable, toDockerError } from "../docker/errors.js";
import { createHelperContainer, HELPER_MOUNT, removeHelpersOf, resolveHelperImage, runHelperScript, type HelperContainer } from "../docker/helper-container.js";
import { firstEntry } from "../docker/first-entry.js";
import {
  FINISH_STAGED_RESTORE,
  isRestoreStaging,
  settleRestoreStaging,
  stagingToken,
  type StagingOutcome,
  PROBE_STAGED_RESTORE,
  RESTORE_VOLUME_LABEL,
  restoreStaging,
  volumeScratch,
} from "../docker/restore-volume.js";
import { ownContainerIdCandidates } from "../docker/self-container.js";
import { stopLabelledUsers, type StoppedContainers } from "../docker/stop-during-backup.js";
import { SourceError, type Dump, type DumpFormat, type SourceConfig, type SourceDeps, type SourceDriver } from "./port.js";
import { packToStream, ReaderGoneError, rewriteTar, safeEntries, underPrefix, writeEntry, type HeaderMap } from "./tar.js";
import { oneLine } from "../shared/one-line.js";

/**
 * A Docker named volume, read and written through a short-lived helper container that is
 * created with the volume at /data (never started to read or write: the archive endpoints work on
 * created containers). The payload is a tar with entries relative to the volume root, the same
 * layout as the directory source. Containers labelled `tele-backup.stop-during-backup=true` that
 * use the volume are stopped while it is read and always started again before `done` settles.
 *
 * Restores go into a new or empty volume. A new one gets the payload directly (a failed or
 * killed restore removes the volume). An existing one gets it in a staging folder, moved into
 * place by a helper started for that only once the payload is complete and checked: a failed or
 * killed restore leaves the volume empty again (src/docker/restore-volume.ts). A helper image
 * without the tools for that falls back to extracting directly.
 */
export function createVolumeDriver(deps: SourceDeps): SourceDriver {
  const { log } = deps;

  return {
    kind: "volume",
    formats: ["tar"],
    extension: () => "tar",

    async check(config) {
      const name = volumeName(config);
      const docker = deps.docker();
      return guard(`cannot check volume "${name}"`, async () => {
        const serverVersion = await engineVersion(docker);
        await inspectVolume(docker, name);
        return { serverVersion };
      });
    },

    async dump(config, { format, signal, containers }): Promise<Dump> {
      const name = volumeName(config);
      assertTar(format);
      const docker = deps.docker();
      const { serverVersion, image } = await guard(`cannot back up volume "${name}"`, async () => {
        const version = await engineVersion(docker);
        await inspectVolume(docker, name);
        return { serverVersion: version, image: await resolveHelperImage(docker, deps.helperImage) };
      });
      const stopped = await guard(`cannot back up volume "${name}"`, async () =>
        stopLabelledUsers(docker, name, { exclude: await ownContainerIdCandidates(), log, ledger: containers }),
      );

      let helper: HelperContainer | undefined;
      let archive: Readable | undefined;
      try {
        signal.throwIfAborted();
        helper = await createHelperContainer(docker, { image, volume: name, readOnly: true, purpose: "backup" });
        archive = (await helper.container.getArchive({ path: HELPER_MOUNT }).catch((err: unknown) => {
          throw toDockerError(docker, `cannot read volume "${name}"`, err);
        })) as Readable;
        signal.throwIfAborted();
      } catch (err) {
        archive?.destroy();
        const cleanupErrors = await cleanUp(helper, stopped);
        throw new SourceError(withCleanup(`backup of volume "${name}" failed: ${oneLine(err)}`, cleanupErrors), "volume", { cause: err });
      }

      const source = archive;
      const { stream, finished } = packToStream((pack) => rewriteTar(source, pack, underPrefix("data"), signal), signal);
      const done = (async () => {
        const failure = await finished.then(() => undefined, (err: unknown) => ({ err }));
        source.destroy(); // release the engine's archive stream even when we stopped reading early
        const cleanupErrors = await cleanUp(helper, stopped);
        if (failure) {
          const message = withCleanup(`backup of volume "${name}" failed: ${oneLine(failure.err)}`, cleanupErrors);
          throw new SourceError(message, "volume", { cause: failure.err });
        }
        if (cleanupErrors.length > 0) {
          const message = `backup of volume "${name}" was read completely, but ${cleanupErrors.map((e) => oneLine(e)).join("; ")}`;
          throw new SourceError(message, "volume", { cause: cleanupErrors[0] });
        }
      })();
      done.catch(() => undefined); // the consumer awaits it; never an unhandled rejection meanwhile
      return { stream, done, serverVersion };
    },

    restoreScratch(config, token) {
      return [volumeScratch(volumeName(config), token)];
    },

    async restore(config, input: Readable, { format, signal, token, heldByLiveRestore, deadOwners }) {
      // A volume this restore created is removed again if the restore fails: it did not exist before.
      let madeVolume: { docker: Docker; name: string } | null = null;
      // On failure the input is destroyed, so the stages feeding it end instead of waiting forever.
      try {
        const name = volumeName(config);
        assertTar(format);
        const docker = deps.docker();
        const { image, created } = await guard(`cannot restore into volume "${name}"`, async () => {
          await engineVersion(docker);
          return { image: await resolveHelperImage(docker, deps.helperImage), created: await ensureVolume(docker, name, token) };
        });
        if (created) madeVolume = { docker, name };
        else if (deadOwners) await removeDeadHelpers(docker, name, deadOwners());
        // An existing volume is restored through a staging folder (it must end as it was, or as the backup).
        const staging = !created && token ? restoreStaging(token) : undefined;
        const helper = await guard(`cannot restore into volume "${name}"`, () =>
          createHelperContainer(docker, { image, volume: name, readOnly: false, purpose: "restore" }),
        );
        let staged = false;
        try {
          if (!created) await assertEmptyVolume(docker, image, name, helper, heldByLiveRestore);
          staged = staging !== undefined && (await canStage(docker, image, name, signal));
          if (staging !== undefined && !staged) {
            log.warn({ volume: name, image }, "the helper image cannot run sh, mv, rm and rmdir: the restore extracts straight into the volume, and an interrupted one leaves part of the backup there");
          }
          signal.throwIfAborted();
          await upload(helper.container, input, signal, staged ? staging : undefined);
        } catch (err) {
          const cleared = staged ? await clearStaging(docker, image, name, staging!) : null;
          if (err instanceof SourceError) throw withClearing(err, cleared);
          const why = isUnreachable(err) ? toDockerError(docker, "upload", err).message : dockerMessage(err);
          throw withClearing(new SourceError(`restore into volume "${name}" failed: ${why}`, "volume", { cause: err }), cleared);
        } finally {
          await helper.remove().catch((err: unknown) => log.error({ err, volume: name }, "cannot remove restore helper"));
        }
        if (staged) await finishStaged(docker, image, name, staging!);
        log.info({ volume: name, staged }, "volume restored");
      } catch (err) {
        input.destroy();
        if (madeVolume) {
          const { docker, name } = madeVolume;
          await docker
            .getVolume(name)
            .remove()
            .catch((e: unknown) => log.error({ err: oneLine(e), volume: name }, "cannot remove the volume a failed restore created"));
        }
        throw err;
      }
    },
  };

  /**
   * Removes the helper containers a killed backup or restore left on the volume (they keep it in
   * use; start-up recovery removes them too, but only when `run` starts). A running helper of a
   * dead restore's last moves is let finish first. Failing to is logged: the restore needs none of it.
   */
  async function removeDeadHelpers(docker: Docker, name: string, owners: ReadonlySet<string>): Promise<void> {
    try {
      const removed = await removeHelpersOf(docker, owners, name);
      if (removed.length > 0) log.warn({ volume: name, helpers: removed }, "removed the helper containers a dead backup or restore left on the volume");
    } catch (err) {
      log.error({ volume: name, err: oneLine(err) }, "cannot remove the helper containers a dead backup or restore left on the volume");
    }
  }

  /**
   * Refuses an existing volume that has content. Another restore's staging folder is settled
   * first (removed, or its begun moves finished) unless a restore that still runs holds it.
   */
  async function assertEmptyVolume(docker: Docker, image: string, name: string, helper: HelperContainer, heldByLiveRestore?: (entry: string) => boolean): Promise<void> {
    let first = await firstEntry(helper.container);
    const left = first === null ? null : stagingToken(first);
    if (left !== null && heldByLiveRestore && !heldByLiveRestore(volumeScratch(name, left))) {
      const settled = await guard(`cannot settle what an interrupted restore left in volume "${name}"`, () => settleRestoreStaging(docker, image, name, restoreStaging(left)));
      log.warn({ volume: name, staging: restoreStaging(left), settled }, "settled the staging folder an interrupted restore left in the volume");
      if (settled === "finished") {
        throw new SourceError(
          `Docker volume "${name}" held the files of an interrupted restore that was moving them into place; that restore was finished, so the volume now holds its backup: restore into a new or empty volume`,
          "volume",
          { key: "source-error-volume-finished-other", params: { volume: name } },
        );
      }
      first = await firstEntry(helper.container);
    }
    if (first !== null && isRestoreStaging(first)) {
      throw new SourceError(
        `Docker volume "${name}" holds ${first}, the staging folder of another restore into it that is still running: wait for it to end, then restore again`,
        "volume",
        { key: "source-error-volume-staging-left", params: { volume: name, folder: first } },
      );
    }
    if (first !== null) throw new SourceError(`Docker volume "${name}" already has content: restore into a new or empty volume`, "volume");
  }

  /** Whether the helper image can run a staged restore's moves (it is started once to find out). */
  async function canStage(docker: Docker, image: string, volume: string, signal: AbortSignal): Promise<boolean> {
    const probe = await guard(`cannot restore into volume "${volume}"`, () =>
      runHelperScript(docker, { image, volume, purpose: "restore-clear", script: { text: PROBE_STAGED_RESTORE, args: [] } }, signal),
    );
    return probe.code === 0;
  }

  /** Removes the staging folder of a restore that failed before its moves; null when done, else why not (the folder stays). */
  async function clearStaging(docker: Docker, image: string, volume: string, staging: string): Promise<string | null> {
    return settleRestoreStaging(docker, image, volume, staging).then(
      () => null,
      (err: unknown) => oneLine(err),
    );
  }

  /**
   * Moves a complete staged restore into the volume's root (renames: the volume is the backup at
   * once). When the moves fail, they are settled once more (SETTLE_STAGED_RESTORE): a finish that
   * moved nothing (a name the root gained meanwhile, a move undone) leaves the volume as it was; one
   * stopped halfway is finished. Only when that fails too does the volume hold part of the backup,
   * and the error says so and what to do.
   */
  async function finishStaged(docker: Docker, image: string, volume: string, staging: string): Promise<void> {
    // No signal: once started, the moves run to their end, even if this process stops meanwhile (recovery waits for them).
    const r = await guard(`cannot finish the restore into volume "${volume}"`, () =>
      runHelperScript(docker, { image, volume, purpose: "restore-finish", script: { text: FINISH_STAGED_RESTORE, args: [staging] } }),
    );
    if (r.code === 0) return;
    const why = oneLine(r.output) || `the helper exited with code ${r.code}`;
    let settled: StagingOutcome;
    try {
      settled = await settleRestoreStaging(docker, image, volume, staging);
    } catch (err) {
      throw new SourceError(
        `restore into volume "${volume}" failed while moving the restored files into place (${why}; then ${oneLine(err)}): the volume may hold part of the backup. Remove the volume (\`docker volume rm ${volume}\`) and restore again: the restore creates it`,
        "volume",
        { key: "source-error-volume-move-stuck", params: { volume, reason: `${why}; ${oneLine(err)}` } },
      );
    }
    if (settled === "finished") {
      log.warn({ volume, first: why }, "moving the restored files into place failed once; finished on the second try");
      return;
    }
    // Exit 3: a name the root already had (FINISH_STAGED_RESTORE says which), said in the reader's language.
    const taken = r.code === 3 ? /^already in the volume: (.*)$/m.exec(r.output)?.[1] : undefined;
    throw new SourceError(
      `restore into volume "${volume}" failed while moving the restored files into place (${why}): nothing was moved, the volume is as it was`,
      "volume",
      taken !== undefined ? { key: "source-error-volume-name-taken", params: { volume, name: taken } } : { key: "source-error-volume-move-undone", params: { volume, reason: why } },
    );
  }
}

/** A failed staged restore's error, saying when its staging folder could not be removed. */
function withClearing(err: SourceError, cleared: string | null): SourceError {
  if (cleared === null) return err;
  return new SourceError(`${err.message}; its partial copy stays in the volume's staging folder (${cleared})`, err.kind, { cause: err });
}

/**
 * Streams the payload into the helper's mount; entries are checked and re-rooted on the way,
 * under `staging` (a folder of its own, made first) when given.
 */
async function upload(container: Docker.Container, input: Readable, signal: AbortSignal, staging?: string): Promise<void> {
  const produce = async (pack: Pack) => {
    if (staging === undefined) return rewriteTar(input, pack, safeEntries, signal);
    await writeEntry(pack, { name: `${staging}/`, type: "directory", mode: 0o700 });
    await rewriteTar(input, pack, under(staging), signal);
  };
  const { stream, finished } = packToStream(produce, signal);
  const uploading = container.putArchive(stream, { path: HELPER_MOUNT, abortSignal: signal }).catch((err: unknown) => {
    stream.destroy(err instanceof Error ? err : new Error(String(err)));
    throw err;
  });
  const [sent, made] = await Promise.allSettled([uploading, finished]);
  // A bad payload explains more than the aborted upload it causes, and vice versa.
  if (made.status === "rejected" && !(made.reason instanceof ReaderGoneError)) throw made.reason;
  if (sent.status === "rejected") throw sent.reason;
  if (made.status === "rejected") throw made.reason;
}

/** `safeEntries`, each entry (and a hard link's target) moved under folder `dir`. */
function under(dir: string): HeaderMap {
  return (header) => {
    const safe = safeEntries(header);
    if (!safe) return null;
    return { ...safe, name: `${dir}/${safe.name}`, ...(safe.type === "link" && safe.linkname ? { linkname: `${dir}/${safe.linkname}` } : {}) };
  };
}

function volumeName(config: SourceConfig): string {
  if (config.kind !== "volume") throw new SourceError(`expected a volume source, got ${config.kind}`, "volume");
  return config.volume;
}

function assertTar(format: DumpFormat): void {
  if (format !== "tar") throw new SourceError(`volume sources are backed up as tar, not "${format}"`, "volume");
}

/** Runs Docker calls, turning every failure into a one-line SourceError. */
async function guard<T>(doing: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SourceError) throw err;
    const message = err instanceof DockerError ? err.message : `${doing}: ${oneLine(err)}`;
    throw new SourceError(message, "volume", { cause: err });
  }
}

async function engineVersion(docker: Docker): Promise<string> {
  try {
    return `Docker Engine ${(await docker.version()).Version}`;
  } catch (err) {
    throw toDockerError(docker, "cannot query the Docker engine", err);
  }
}

async function inspectVolume(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getVolume(name).inspect();
  } catch (err) {
    if (isNotFound(err)) throw new SourceError(`Docker volume "${name}" not found`, "volume", { cause: err });
    throw toDockerError(docker, `cannot inspect volume "${name}"`, err);
  }
}

/** Creates the volume when missing (labelled with the restore's token: recovery's mark); true when it did. */
async function ensureVolume(docker: Docker, name: string, token: string | undefined): Promise<boolean> {
  try {
    await docker.getVolume(name).inspect();
    return false;
  } catch (err) {
    if (!isNotFound(err)) throw toDockerError(docker, `cannot inspect volume "${name}"`, err);
  }
  try {
    await docker.createVolume({ Name: name, ...(token ? { Labels: { [RESTORE_VOLUME_LABEL]: token } } : {}) });
    return true;
  } catch (err) {
    throw toDockerError(docker, `cannot create volume "${name}"`, err);
  }
}

/** Removes the helper and restarts stopped containers, both always attempted; returns what failed. */
async function cleanUp(helper: HelperContainer | undefined, stopped: StoppedContainers): Promise<unknown[]> {
  const results = await Promise.allSettled([helper?.remove(), stopped.restart()]);
  return results.filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason);
}

function withCleanup(message: string, cleanupErrors: unknown[]): string {
  return cleanupErrors.length === 0 ? message : `${message}; ${cleanupErrors.map((e) => oneLine(e)).join("; ")}`;
}
