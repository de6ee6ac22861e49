import type Docker from "dockerode";
import { isNotFound, toDockerError } from "./errors.js";
import { findOwnContainer } from "./self-container.js";

/**
 * What the Engine shows of the databases and named volumes next to us (`/discover`). This file
 * only reads the Engine: which containers run a database image, how we could reach them, and
 * their environment as it is; turning that into a source is the application's business.
 */

export type DatabaseEngine = "postgres" | "mysql" | "redis";

export interface ComposeLabels {
  project?: string;
  /** The Compose service (containers) or the volume's name in the Compose file (volumes). */
  service?: string;
}

export interface DatabaseContainer {
  /** Full container id: what a button looks the container up by again. */
  id: string;
  /** Container name without the leading "/". */
  name: string;
  /** The image as the container was created from (`docker.io/library/postgres:16`). */
  image: string;
  engine: DatabaseEngine;
  compose: ComposeLabels;
  running: boolean;
  /** Where this process reaches it: its name on a network we share, else its IP, else 127.0.0.1 (host network). */
  host?: string;
  /** Container ports (`5432/tcp`) the image or container exposes. */
  exposedPorts: number[];
  /** The container's environment (`NAME=value` split once); holds secrets: never log it. */
  env: Record<string, string>;
  /** Entrypoint arguments (`redis-server --requirepass x`); may hold secrets too. */
  cmd: string[];
}

export interface NamedVolume {
  name: string;
  compose: ComposeLabels;
}

const COMPOSE_PROJECT = "com.docker.compose.project";
const COMPOSE_SERVICE = "com.docker.compose.service";
const COMPOSE_VOLUME = "com.docker.compose.volume";

/** Repository names (last path segment) of the images we recognise; tags, digests and registries do not matter. */
const IMAGE_ENGINES: Readonly<Record<string, DatabaseEngine>> = {
  postgres: "postgres",
  postgresql: "postgres", // bitnami/postgresql
  postgis: "postgres", // postgis/postgis
  mariadb: "mysql",
  mysql: "mysql",
  redis: "redis",
};

/** The database engine an image reference runs, or undefined: `docker.io/library/postgres:16-alpine` → postgres. */
export function engineOfImage(image: string): DatabaseEngine | undefined {
  const withoutDigest = image.split("@")[0]!;
  const lastSegment = withoutDigest.split("/").at(-1)!;
  return IMAGE_ENGINES[lastSegment.split(":")[0]!.toLowerCase()];
}

/** Anonymous volumes are named by a random 64-hex id: nothing a user would pick. */
const ANONYMOUS_VOLUME = /^[0-9a-f]{64}$/;

/** @throws DockerError (unreachable: the Engine did not answer) */
export async function listDatabaseContainers(docker: Docker): Promise<DatabaseContainer[]> {
  try {
    const own = await findOwnContainer(docker).catch(() => null);
    const listed = await docker.listContainers({ all: true });
    const found: DatabaseContainer[] = [];
    for (const c of listed) {
      if (!engineOfImage(c.Image)) continue;
      const info = await inspectOrNull(docker, c.Id);
      const container = info && describeContainer(info, own);
      if (container) found.push(container);
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    throw toDockerError(docker, "listing containers", err);
  }
}

/** One database container by id (full or short), or null when it is gone or runs no database image. @throws DockerError */
export async function findDatabaseContainer(docker: Docker, id: string): Promise<DatabaseContainer | null> {
  try {
    const info = await inspectOrNull(docker, id);
    return info ? describeContainer(info, await findOwnContainer(docker).catch(() => null)) : null;
  } catch (err) {
    throw toDockerError(docker, `inspecting container ${id}`, err);
  }
}

/** Named volumes (anonymous ones left out), by name. @throws DockerError */
export async function listNamedVolumes(docker: Docker): Promise<NamedVolume[]> {
  try {
    const { Volumes } = await docker.listVolumes();
    return (Volumes ?? [])
      .filter((v) => !ANONYMOUS_VOLUME.test(v.Name))
      .map((v) => ({ name: v.Name, compose: { project: v.Labels?.[COMPOSE_PROJECT], service: v.Labels?.[COMPOSE_VOLUME] } }))
      .sort((a, b) => a.name.localeCompare(b.name));
  } catch (err) {
    throw toDockerError(docker, "listing volumes", err);
  }
}

async function inspectOrNull(docker: Docker, id: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(id).inspect();
  } catch (err) {
    if (isNotFound(err)) return null; // removed between the list and the inspect
    throw err;
  }
}

function describeContainer(info: Docker.ContainerInspectInfo, own: Docker.ContainerInspectInfo | null): DatabaseContainer | null {
  const image = info.Config.Image;
  const engine = engineOfImage(image);
  if (!engine) return null;
  const labels = info.Config.Labels ?? {};
  const host = hostOf(info, own);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    image,
    engine,
    compose: { project: labels[COMPOSE_PROJECT], service: labels[COMPOSE_SERVICE] },
    running: info.State.Running,
    ...(host ? { host } : {}),
    exposedPorts: Object.keys(info.Config.ExposedPorts ?? {})
      .filter((p) => p.endsWith("/tcp"))
      .map((p) => Number.parseInt(p, 10))
      .filter((p) => Number.isInteger(p)),
    env: Object.fromEntries((info.Config.Env ?? []).filter((e) => e.indexOf("=") > 0).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])),
    cmd: [...(info.Config.Entrypoint ? ([] as string[]).concat(info.Config.Entrypoint) : []), ...(info.Config.Cmd ?? [])],
  };
}

/**
 * How this process reaches the container: by name on a user-defined network we are on too
 * (Docker's DNS answers there, and the name survives a restart where the IP may not), else by
 * its IP, else 127.0.0.1 when it shares the host's network (as we then do, or run on the host).
 */
function hostOf(info: Docker.ContainerInspectInfo, own: Docker.ContainerInspectInfo | null): string | undefined {
  if (info.HostConfig.NetworkMode === "host") return "127.0.0.1";
  const networks = info.NetworkSettings.Networks ?? {};
  const ours = new Set(Object.keys(own?.NetworkSettings.Networks ?? {}));
  const shared = Object.keys(networks).find((n) => ours.has(n) && n !== "bridge");
  if (shared) return info.Name.replace(/^\//, "");
  return Object.values(networks).find((n) => n.IPAddress)?.IPAddress || undefined;
}
