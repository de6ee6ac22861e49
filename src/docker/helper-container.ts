import type Docker from "dockerode";
import { DockerError, isNotFound, dockerStatus, toDockerError } from "./errors.js";
import { ownerToken } from "../shared/process-owner.js";
import { settleWithin } from "../shared/settle-within.js";
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
      "no helper image for volume access: Tele-Backup is not running in a container of this Docker engine; set HELPER_IMAGE to any image present on the Docker host (it is never pulled)",
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
  /** `restore-finish`: a helper that moves a finished restore into place; recovery lets it finish. */
  purpose: "backup" | "restore" | "restore-finish" | "restore-clear";
  /** A shell script the helper runs when started (`sh -c`), with `args` as $1…; absent: it is never started. */
  script?: { text: string; args: string[] };
}

/**
 * Creates a container with the volume at /data. Without `script` it is never started: the
 * archive endpoints work on created containers, so the image needs no shell or tools and nothing
 * runs in it. With `script`, `runHelperScript` starts it (the image then needs `sh`).
 */
export async function createHelperContainer(docker: Docker, options: HelperOptions): Promise<HelperContainer> {
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: options.image,
      // Without a script never executed; set because an image without CMD/ENTRYPOINT cannot be created otherwise.
      // A script replaces the image's own entrypoint, whatever it is.
      // As root, whatever user the image names (Tele-Backup's own runs as `node`): the script moves
      // or removes files of any owner, as the engine's archive API itself does.
      ...(options.script ? { Entrypoint: ["sh"], Cmd: ["-c", options.script.text, "sh", ...options.script.args], User: "0:0" } : { Cmd: ["true"] }),
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

/** How a helper script ended: its exit code (null: it could not be started) and its output's tail. */
export interface HelperScriptResult {
  code: number | null;
  output: string;
}

/**
 * Runs `script` in a new helper container on the volume and removes the container: its exit
 * code and the end of its output. An image without `sh` gives code null with the engine's
 * reason. Aborting `signal` kills the script.
 */
export async function runHelperScript(docker: Docker, options: Omit<HelperOptions, "readOnly"> & { script: { text: string; args: string[] } }, signal?: AbortSignal): Promise<HelperScriptResult> {
  const helper = await createHelperContainer(docker, { ...options, readOnly: false });
  const kill = () => void helper.container.kill().catch(() => undefined);
  signal?.addEventListener("abort", kill, { once: true });
  try {
    signal?.throwIfAborted();
    try {
      await helper.container.start();
    } catch (err) {
      return { code: null, output: (err as Error).message };
    }
    const { StatusCode } = (await helper.container.wait()) as { StatusCode: number };
    const logs = (await helper.container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { code: StatusCode, output: demuxedText(logs).slice(-2000) };
  } finally {
    signal?.removeEventListener("abort", kill);
    await helper.remove();
  }
}

/** The text of a non-TTY container's log stream: frames of an 8-byte header (stream, size) and their bytes. */
function demuxedText(raw: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= raw.length) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8");
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
 * gone), only those on `volume` when it is given; returns the short ids removed. Helpers of other
 * owners — live processes, or other installations sharing the engine — are left alone.
 */
export async function removeHelpersOf(docker: Docker, owners: ReadonlySet<string>, volume?: string): Promise<string[]> {
  if (owners.size === 0) return [];
  let found: Docker.ContainerInfo[];
  try {
    found = await docker.listContainers({ all: true, filters: { label: [HELPER_LABEL] } });
  } catch (err) {
    throw toDockerError(docker, "cannot list helper containers", err);
  }
  const removed: string[] = [];
  for (const c of found) {
    if (!owners.has(c.Labels?.[OWNER_LABEL] ?? "")) continue;
    if (volume !== undefined && !(c.Mounts ?? []).some((m) => m.Type === "volume" && m.Name === volume)) continue;
    const container = docker.getContainer(c.Id);
    // A restore's last step, moving the restored files into place: stopped halfway it would leave a mix.
    if (c.Labels?.[HELPER_LABEL] === "restore-finish" && c.State === "running") {
      await settleWithin(container.wait().catch(() => undefined), FINISH_WAIT_MS);
    }
    await removeContainer(docker, container);
    removed.push(c.Id.slice(0, 12));
  }
  return removed;
}

/** How long recovery lets a dead restore's last moves finish before it removes their helper anyway. */
const FINISH_WAIT_MS = 5 * 60_000;
