import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { DockerError, dockerMessage, isNotFound, isUnreachable, toDockerError } from "../docker/errors.js";
import { createHelperContainer, HELPER_MOUNT, resolveHelperImage, type HelperContainer } from "../docker/helper-container.js";
import { mountIsEmpty } from "../docker/mount-is-empty.js";
import { RESTORE_VOLUME_LABEL, volumeScratch } from "../docker/restore-volume.js";
import { ownContainerIdCandidates } from "../docker/self-container.js";
import { stopLabelledUsers, type StoppedContainers } from "../docker/stop-during-backup.js";
import { SourceError, type Dump, type DumpFormat, type SourceConfig, type SourceDeps, type SourceDriver } from "./port.js";
import { packToStream, ReaderGoneError, rewriteTar, safeEntries, underPrefix } from "./tar.js";
import { oneLine } from "../shared/one-line.js";

/**
 * A Docker named volume, read and written through a short-lived helper container that is
 * created (never started) with the volume at /data. The payload is a tar with entries relative
 * to the volume root, the same layout as the directory source. Containers labelled
 * `tele-backup.stop-during-backup=true` that use the volume are stopped while it is read and
 * always started again before `done` settles. Restores go into a new or empty volume.
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

    async restore(config, input: Readable, { format, signal, token }) {
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
        const helper = await guard(`cannot restore into volume "${name}"`, () =>
          createHelperContainer(docker, { image, volume: name, readOnly: false, purpose: "restore" }),
        );
        try {
          if (!created && !(await mountIsEmpty(helper.container))) {
            throw new SourceError(`Docker volume "${name}" already has content: restore into a new or empty volume`, "volume");
          }
          signal.throwIfAborted();
          await upload(helper.container, input, signal);
          log.info({ volume: name }, "volume restored");
        } catch (err) {
          if (err instanceof SourceError) throw err;
          const why = isUnreachable(err) ? toDockerError(docker, "upload", err).message : dockerMessage(err);
          throw new SourceError(`restore into volume "${name}" failed: ${why}`, "volume", { cause: err });
        } finally {
          await helper.remove().catch((err: unknown) => log.error({ err, volume: name }, "cannot remove restore helper"));
        }
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
}

/** Streams the payload into the helper's mount; entries are checked and re-rooted on the way. */
async function upload(container: Docker.Container, input: Readable, signal: AbortSignal): Promise<void> {
  const { stream, finished } = packToStream((pack) => rewriteTar(input, pack, safeEntries, signal), signal);
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
