import type Docker from "dockerode";
import { DockerError, isNotFound, dockerStatus, toDockerError } from "./errors.js";
import { ownerToken } from "../shared/process-owner.js";
import { DOCKER_BUSY_RETRY, withRetry } from "../shared/retry-policy.js";
import { findOwnContainer } from "./self-container.js";

/** Every helper carries this label (value: what it is for), so leftovers can be found. */
export const HELPER_LABEL = "tele-backup.helper";
/** The process that created a helper (src/shared/process-owner.ts): recovery removes the helpers of dead owners. */
export const OWNER_LABEL = "tele-backup.owner";
/** Where the helper sees the volume. */
export const HELPER_MOUNT = "/data";

/**
 * The image for helper containers: the configured one (it must already be present: we never
 * pull), else the image of the container this process runs in.
 */
export async function resolveHelperImage(docker: Docker, configured: string | undefined): Promise<string> {
  if (configured) {
    try {
      await docker.getImage(configured).inspect();
      return configured;
    } catch (err) {
      if (!isNotFound(err)) throw toDockerError(docker, `cannot inspect helper image "${configured}"`, err);
      throw new DockerError(
        `helper image "${configured}" is not present on the Docker host (Tele-Backup never pulls images): pull or build it there, or change HELPER_IMAGE`,
        false,
      );
    }
  }
  let own: Docker.ContainerInspectInfo | null;
  try {
    own = await findOwnContainer(docker);
  } catch (err) {
    throw toDockerError(docker, "cannot look up the container Tele-Backup runs in", err);
  }
  if (!own) {
    throw new DockerError(
      "no helper image for volume access: Tele-Backup is not running in a container of this Docker engine; set HELPER_IMAGE to any image present on the Docker host (it is never started or pulled)",
      false,
    );
  }
  return own.Image;
}

export interface HelperContainer {
  readonly container: Docker.Container;
  /** Force-removes the helper; safe to call twice, never throws for a helper that is already gone. */
  remove(): Promise<void>;
}

export interface HelperOptions {
  image: string;
  volume: string;
  readOnly: boolean;
  purpose: "backup" | "restore";
}

/**
 * Creates (never starts) a container with the volume at /data. The archive endpoints work on
 * created containers, so the image needs no shell or tools and nothing runs in it.
 */
export async function createHelperContainer(docker: Docker, options: HelperOptions): Promise<HelperContainer> {
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: options.image,
      // Never executed; set because an image without CMD/ENTRYPOINT cannot be created otherwise.
      Cmd: ["true"],
      Labels: { [HELPER_LABEL]: options.purpose, [OWNER_LABEL]: ownerToken() },
      NetworkDisabled: true,
      HostConfig: {
        Binds: [`${options.volume}:${HELPER_MOUNT}${options.readOnly ? ":ro" : ""}`],
        NetworkMode: "none",
      },
    });
  } catch (err) {
    throw toDockerError(docker, `cannot create a helper container from image "${options.image}"`, err);
  }
  let removed: Promise<void> | undefined;
  return {
    container,
    remove: () => (removed ??= removeContainer(docker, container)),
  };
}

async function removeContainer(docker: Docker, container: Docker.Container): Promise<void> {
  try {
    // 409: removal already in progress, or the engine is still closing an archive stream.
    await withRetry(() => container.remove({ force: true }), { ...DOCKER_BUSY_RETRY, isPermanent: (err) => dockerStatus(err) !== 409 });
  } catch (err) {
    if (isNotFound(err)) return;
    throw toDockerError(docker, `cannot remove helper container ${container.id.slice(0, 12)}`, err);
  }
}

/**
 * Removes the helper containers these owners created (owner tokens of processes that are
 * gone); returns the short ids removed. Helpers of other owners — live processes, or other
 * installations sharing the engine — are left alone.
 */
export async function removeHelpersOf(docker: Docker, owners: ReadonlySet<string>): Promise<string[]> {
  if (owners.size === 0) return [];
  let found: Docker.ContainerInfo[];
  try {
    found = await docker.listContainers({ all: true, filters: { label: [HELPER_LABEL] } });
  } catch (err) {
    throw toDockerError(docker, "cannot list helper containers", err);
  }
  const removed: string[] = [];
  for (const c of found) {
    const owner = c.Labels?.[OWNER_LABEL];
    if (!owner || !owners.has(owner)) continue;
    await removeContainer(docker, docker.getContainer(c.Id));
    removed.push(c.Id.slice(0, 12));
  }
  return removed;
}
