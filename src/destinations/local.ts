import { createReadStream } from "node:fs";
import { chmod, copyFile, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { DestinationError, type Destination, type PartInfo, type RunLabel, type StoredLocation } from "./port.js";

/**
 * A directory on this machine (or a mounted NAS). Parts land at `<path>/<job>/<part name>`,
 * written to a temp file, fsynced and renamed, so a reader never sees half a part.
 */
export function createLocalDestination(config: { name: string; path: string }): Destination {
  const root = path.resolve(config.path);

  const fail = (what: string, err: unknown): never => {
    const e = err as NodeJS.ErrnoException;
    const permanent = ["EACCES", "EPERM", "EROFS", "ENOTDIR", "ENOSPC", "EDQUOT"].includes(e.code ?? "");
    const reason = e.code === "ENOSPC" ? "no space left on device" : e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : e.message;
    throw new DestinationError(`local destination "${config.name}": ${what}: ${reason}`, { permanent, cause: err });
  };

  const inside = (locator: string): string => {
    const full = path.resolve(locator);
    if (full !== root && !full.startsWith(root + path.sep)) {
      throw new DestinationError(`local destination "${config.name}": ${locator} is outside ${root}`, { permanent: true });
    }
    return full;
  };

  return {
    kind: "local",
    name: config.name,

    async check() {
      const probe = path.join(root, `.tele-backup-probe-${process.pid}-${Date.now()}`);
      try {
        await mkdir(root, { recursive: true, mode: 0o700 });
        const h = await open(probe, "w", 0o600);
        await h.write("probe");
        await h.close();
        await rm(probe);
      } catch (err) {
        fail(`cannot write to ${root}`, err);
      }
    },

    async putPart(run: RunLabel, part: PartInfo, file: string, signal: AbortSignal): Promise<StoredLocation> {
      signal.throwIfAborted();
      const dir = path.join(root, safeSegment(run.jobName));
      const target = path.join(dir, part.name);
      const tmp = path.join(dir, `.${part.name}.tmp-${process.pid}`);
      try {
        // Private whatever the umask: the job's folder 0700, every part and manifest 0600.
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o700);
        await copyFile(file, tmp);
        const h = await open(tmp, "r+");
        await h.chmod(0o600);
        await h.sync();
        await h.close();
        await rename(tmp, target);
        const d = await open(dir, "r");
        await d.sync().catch(() => {}); // not every filesystem syncs directories
        await d.close();
      } catch (err) {
        await rm(tmp, { force: true });
        fail(`cannot store ${part.name}`, err);
      }
      return { locator: target };
    },

    async fetch(location: StoredLocation): Promise<Readable> {
      const file = inside(location.locator);
      try {
        await stat(file);
      } catch (err) {
        fail(`cannot read ${file}`, err);
      }
      return createReadStream(file);
    },

    async list(): Promise<string[]> {
      const out: string[] = [];
      let jobs: string[];
      try {
        jobs = await readdir(root);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        return fail(`cannot list ${root}`, err);
      }
      for (const j of jobs) {
        const entries = await readdir(path.join(root, j)).catch(() => [] as string[]);
        for (const e of entries) if (!e.startsWith(".")) out.push(path.join(j, e));
      }
      return out.sort();
    },

    async delete(locations: StoredLocation[]) {
      for (const l of locations) {
        try {
          await rm(inside(l.locator), { force: true });
        } catch (err) {
          fail(`cannot delete ${l.locator}`, err);
        }
      }
      return { refused: [] };
    },

    localPath(location: StoredLocation) {
      return inside(location.locator);
    },
  };
}

/** Job names are validated elsewhere; this only guarantees one path segment. */
function safeSegment(name: string): string {
  return name.replace(/[/\\]/g, "_").replace(/^\.+/, "_");
}
