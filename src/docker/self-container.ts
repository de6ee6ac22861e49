import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import type Docker from "dockerode";
import { isNotFound } from "./errors.js";

const ID_IN_PATH = /containers\/([0-9a-f]{64})\//g;
const ID_IN_CGROUP = /(?:docker|libpod)[-/]([0-9a-f]{64})/g;
const SHORT_ID = /^[0-9a-f]{12}$/;

/**
 * Container ids this process may be running in, most reliable first: the engine bind-mounts
 * /etc/hostname and friends from `.../containers/<id>/`, cgroup v1 paths name the id, and the
 * default hostname is the short id. Pure, for tests.
 */
export function containerIdCandidates(mountinfo: string, cgroup: string, host: string): string[] {
  const ids = new Set<string>();
  for (const m of mountinfo.matchAll(ID_IN_PATH)) ids.add(m[1]!);
  for (const m of cgroup.matchAll(ID_IN_CGROUP)) ids.add(m[1]!);
  if (SHORT_ID.test(host)) ids.add(host);
  return [...ids];
}

export async function ownContainerIdCandidates(): Promise<string[]> {
  const read = (file: string) => readFile(file, "utf8").catch(() => "");
  return containerIdCandidates(await read("/proc/self/mountinfo"), await read("/proc/self/cgroup"), hostname());
}

/** The engine's view of the container this process runs in, or null when not in one of its containers. */
export async function findOwnContainer(docker: Docker): Promise<Docker.ContainerInspectInfo | null> {
  for (const id of await ownContainerIdCandidates()) {
    try {
      return await docker.getContainer(id).inspect();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return null;
}
