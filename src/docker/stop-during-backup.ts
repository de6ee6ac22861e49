import type Docker from "dockerode";
import type { Logger } from "../logger.js";
import type { ContainerLedger } from "../sources/port.js";
import { dockerStatus, isNotFound, toDockerError, DockerError } from "./errors.js";

/** Running containers that mount the volume and carry this label (value "true") are stopped while it is read. */
export const STOP_LABEL = "tele-backup.stop-during-backup";

export interface StoppedContainers {
  /** Names of the containers that were stopped, for logs and tests. */
  readonly names: readonly string[];
  /**
   * Starts every stopped container again; tries all of them even when one fails, then throws
   * a DockerError naming the ones that did not come back. Safe to call twice.
   */
  restart(): Promise<void>;
}

/**
 * Stops the labelled running users of `volume` (never `exclude`, the container we run in).
 * On failure, the ones already stopped are started again before the error is thrown.
 */
export async function stopLabelledUsers(
  docker: Docker,
  volume: string,
  options: { exclude: readonly string[]; log: Logger; ledger?: ContainerLedger },
): Promise<StoppedContainers> {
  let found: Docker.ContainerInfo[];
  try {
    found = await docker.listContainers({ all: false, filters: { volume: [volume], label: [`${STOP_LABEL}=true`] } });
  } catch (err) {
    throw toDockerError(docker, `cannot list the containers using volume "${volume}"`, err);
  }
  const targets = found.filter((c) => !options.exclude.some((id) => c.Id.startsWith(id)));
  const stopped: Array<{ id: string; name: string }> = [];
  const names: string[] = [];
  let restarting: Promise<void> | undefined;
  const handle: StoppedContainers = {
    names,
    restart: () => (restarting ??= restartAll(docker, stopped, options.log, options.ledger)),
  };
  for (const c of targets) {
    const name = c.Names[0]?.replace(/^\//, "") ?? c.Id.slice(0, 12);
    // Recorded first: if this process dies while the container is stopped, recovery starts it.
    options.ledger?.stopping({ id: c.Id, name });
    try {
      options.log.info({ container: name, volume }, "stopping container during backup");
      await docker.getContainer(c.Id).stop();
    } catch (err) {
      if (isNotFound(err)) {
        options.ledger?.running({ id: c.Id, name });
        continue; // removed meanwhile: nothing to stop or restart
      }
      if (dockerStatus(err) !== 304) {
        stopped.push({ id: c.Id, name }); // it may have stopped anyway: started again (or forgotten) below
        await handle.restart().catch((restartErr: unknown) => options.log.error({ err: restartErr }, "restart after failed stop"));
        throw toDockerError(docker, `cannot stop container "${name}" before backing up volume "${volume}"`, err);
      }
    }
    stopped.push({ id: c.Id, name });
    names.push(name);
  }
  return handle;
}

async function restartAll(docker: Docker, stopped: ReadonlyArray<{ id: string; name: string }>, log: Logger, ledger?: ContainerLedger): Promise<void> {
  const failed: string[] = [];
  for (const c of [...stopped].reverse()) {
    try {
      await startContainer(docker, c.id);
      ledger?.running(c);
      log.info({ container: c.name }, "restarted container after backup");
    } catch (err) {
      log.error({ container: c.name, err }, "cannot restart container after backup");
      failed.push(`${c.name} (${toDockerError(docker, "start", err).message})`);
    }
  }
  if (failed.length > 0) {
    throw new DockerError(`containers stopped for the backup did not start again: ${failed.join(", ")}`, false);
  }
}

/** Starts a container; one that already runs is fine. Throws the engine's error otherwise (404 included). */
export async function startContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).start();
  } catch (err) {
    if (dockerStatus(err) !== 304) throw err; // 304: already running
  }
}
