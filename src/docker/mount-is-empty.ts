import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Docker from "dockerode";
import { lazyRequire } from "../lazy.js";
import { HELPER_MOUNT } from "./helper-container.js";

/** tar-stream, loaded on first use (a database backup never needs it). */
const tar = () => lazyRequire("tar-stream") as typeof import("tar-stream");

/**
 * True when the helper's mount point holds nothing. Reads the archive of the mount only up to
 * its second entry (the first is the mount point itself), so a full volume is not streamed.
 */
export async function mountIsEmpty(container: Docker.Container): Promise<boolean> {
  const archive = (await container.getArchive({ path: HELPER_MOUNT })) as Readable;
  const extract = tar().extract();
  pipeline(archive, extract).catch(() => undefined); // stopped early on purpose below
  let entries = 0;
  try {
    for await (const entry of extract) {
      entry.resume();
      if (++entries > 1) return false;
    }
    return true;
  } finally {
    archive.destroy();
  }
}
