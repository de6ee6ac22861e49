import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type Docker from "dockerode";
import { lazyRequire } from "../lazy.js";
import { HELPER_MOUNT } from "./helper-container.js";

/** tar-stream, loaded on first use (a database backup never needs it). */
const tar = () => lazyRequire("tar-stream") as typeof import("tar-stream");

/**
 * The first entry under the helper's mount point (its name relative to the mount, e.g.
 * `config.yml` or `.tele-backup-restore-…`), or null when the mount holds nothing. Reads the
 * archive of the mount only up to its second entry (the first is the mount point itself), so a
 * full volume is not streamed.
 */
export async function firstEntry(container: Docker.Container): Promise<string | null> {
  const archive = (await container.getArchive({ path: HELPER_MOUNT })) as Readable;
  const extract = tar().extract();
  pipeline(archive, extract).catch(() => undefined); // stopped early on purpose below
  let entries = 0;
  try {
    for await (const entry of extract) {
      entry.resume();
      if (++entries > 1) return entry.header.name.split("/").filter(Boolean)[1] ?? entry.header.name;
    }
    return null;
  } finally {
    archive.destroy();
  }
}
