import { createReadStream, createWriteStream } from "node:fs";
import { chmod, link, mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { hashFile } from "../shared/hash-file.js";
import type { Translatable } from "../shared/translatable.js";
import { DestinationError, StoreMissingError, type Destination, type PartInfo, type RecordedCopy, type RunLabel, type StoredLocation } from "./port.js";
import { isRunFile, safeSegment } from "./segment.js";

/** A part is written to `.<name>.tmp-<pid>` beside its place, then renamed; TEMP_NAME reads `<name>` back. */
const tempNameOf = (name: string) => `.${name}.tmp-${process.pid}`;
const TEMP_NAME = /^\.(.+)\.tmp-\d+$/;

/**
 * The mark a folder gets before its first backup (see `confirmStore`): its presence tells this
 * folder from an empty one in its place. A hidden file, so `rm -rf <folder>/*` leaves it.
 */
export const STORE_MARK = ".tele-backup-destination";
const STORE_MARK_TEXT =
  "This folder holds tele-backup backups. Leave this file here: before writing, tele-backup looks\n" +
  "for it (or for the backups it recorded here) to notice a disk that is not mounted.\n";

/** Whether `file` exists; other failures than "not there" throw. */
async function present(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return false;
    throw err;
  }
}

/** A file-system failure for people: a `dest-reason-*` key, the system's error code when none fits. */
function reasonOf(e: NodeJS.ErrnoException): Translatable {
  const key = { ENOSPC: "dest-reason-no-space", EDQUOT: "dest-reason-no-space", EACCES: "dest-reason-permission", EPERM: "dest-reason-permission", EROFS: "dest-reason-read-only", ENOENT: "dest-reason-not-found", ENOTDIR: "dest-reason-not-folder" }[e.code ?? ""];
  return key ? { key } : { key: "dest-reason-system", params: { code: e.code ?? "?" } };
}

/** Link errors that mean "not here", not "cannot store": another filesystem, or one without hard links. */
const NO_LINK = new Set(["EXDEV", "EPERM", "ENOTSUP", "EOPNOTSUPP", "EMLINK"]);

/**
 * Puts the spooled part at `tmp`: a hard link when the spool and the folder share a
 * filesystem (no byte copied: the part the spool wrote is the one stored; the spool later
 * drops only its own name), else a copy. The spool never writes to a file once it is handed
 * over (parts and manifests are new files), so the link cannot change under the destination.
 */
async function linkOrCopy(file: string, tmp: string, signal: AbortSignal): Promise<void> {
  await rm(tmp, { force: true }); // left by a crash: a link never replaces a file
  if ((await stat(file)).isFile()) {
    try {
      await link(file, tmp);
      return;
    } catch (err) {
      if (!NO_LINK.has((err as NodeJS.ErrnoException).code ?? "")) throw err;
    }
  }
  // A stream copy, not copyFile: an abort (shutdown, /cancel) stops a long copy to a slow NAS.
  await pipeline(createReadStream(file), createWriteStream(tmp, { mode: 0o600 }), { signal });
}

/**
 * A directory on this machine (or a mounted NAS). Parts land at `<path>/<job>/<part name>`,
 * written to a temp file (a hard link to the spooled part where it can be), fsynced and
 * renamed, so a reader never sees half a part (a temp file a killed process left is removed by
 * the next start's recovery, `discardUnfinished`). Storing a part again replaces it (one copy).
 * Nothing is ever refused deletion; no size limit of its own.
 */
export function createLocalDestination(config: { name: string; path: string }): Destination {
  const root = path.resolve(config.path);

  /** `what` in English for logs, `action` the same as a `dest-action-*` key for people. */
  const fail = (what: string, action: Translatable, err: unknown): never => {
    const e = err as NodeJS.ErrnoException;
    const permanent = ["EACCES", "EPERM", "EROFS", "ENOTDIR", "ENOSPC", "EDQUOT"].includes(e.code ?? "");
    const reason = e.code === "ENOSPC" ? "no space left on device" : e.code === "EACCES" || e.code === "EPERM" ? "permission denied" : e.message;
    throw new DestinationError(`local destination "${config.name}": ${what}: ${reason}`, {
      permanent,
      cause: err,
      key: "dest-error-local",
      params: { name: config.name, action, reason: reasonOf(e) },
    });
  };

  const isInside = (locator: string): boolean => {
    const full = path.resolve(locator);
    return full === root || full.startsWith(root + path.sep);
  };

  const inside = (locator: string): string => {
    const full = path.resolve(locator);
    if (!isInside(full)) {
      throw new DestinationError(`local destination "${config.name}": ${locator} is outside ${root}`, {
        permanent: true,
        key: "dest-error-local-outside",
        params: { name: config.name, path: locator, root },
      });
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
        fail(`cannot write to ${root}`, { key: "dest-action-write-folder", params: { path: root } }, err);
      }
    },

    async confirmStore(recorded: RecordedCopy[], signal?: AbortSignal): Promise<void> {
      const mark = path.join(root, STORE_MARK);
      try {
        if (await present(mark)) return;
        signal?.throwIfAborted();
        // Copies stored under another folder (the destination's path was changed since) say
        // nothing about this one: without any stored here, it is a new destination.
        const here = recorded.filter((copy) => copy.locator == null || isInside(copy.locator));
        if (here.length > 0) {
          let found = false;
          for (const copy of here) if (!found) found = await present(path.join(root, safeSegment(copy.jobName), copy.name));
          if (!found) {
            throw new StoreMissingError(
              `local destination "${config.name}": ${root} holds neither ${STORE_MARK} nor the newest backups recorded there: is its disk mounted? Nothing was written. If the folder was emptied on purpose, create ${mark} and run the job again`,
              root,
              { key: "dest-error-local-not-mounted", params: { name: config.name, path: root, mark } },
            );
          }
        }
        // A new destination, or one written to before marks existed (its backups are here).
        await mkdir(root, { recursive: true, mode: 0o700 });
        await writeFile(mark, STORE_MARK_TEXT, { flag: "wx", mode: 0o600 }).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "EEXIST") throw err; // another run marked it meanwhile
        });
      } catch (err) {
        if (err instanceof DestinationError) throw err;
        if (signal?.aborted) throw signal.reason;
        fail(`cannot write to ${root}`, { key: "dest-action-write-folder", params: { path: root } }, err);
      }
    },

    async putPart(run: RunLabel, part: PartInfo, file: string, signal: AbortSignal): Promise<StoredLocation> {
      signal.throwIfAborted();
      const dir = path.join(root, safeSegment(run.jobName));
      const target = path.join(dir, part.name);
      const tmp = path.join(dir, tempNameOf(part.name));
      try {
        // Private whatever the umask: the job's folder 0700, every part and manifest 0600.
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await chmod(dir, 0o700);
        await linkOrCopy(file, tmp, signal);
        const h = await open(tmp, "r+");
        await h.chmod(0o600);
        await h.sync();
        await h.close();
        signal.throwIfAborted();
        await rename(tmp, target);
        // Both names of one file (the same part stored again through a link): rename leaves both.
        await rm(tmp, { force: true });
        const d = await open(dir, "r");
        await d.sync().catch(() => {}); // not every filesystem syncs directories
        await d.close();
      } catch (err) {
        // The failure is the story: a folder that cannot be made cannot hold a temp file either (ENOTDIR).
        await rm(tmp, { force: true }).catch(() => {});
        if (signal.aborted) throw signal.reason;
        fail(`cannot store ${part.name}`, { key: "dest-action-store", params: { file: part.name } }, err);
      }
      return { locator: target };
    },

    async fetch(location: StoredLocation, signal?: AbortSignal): Promise<Readable> {
      signal?.throwIfAborted();
      const file = inside(location.locator);
      try {
        await stat(file);
      } catch (err) {
        fail(`cannot read ${file}`, { key: "dest-action-read", params: { path: file } }, err);
      }
      signal?.throwIfAborted();
      // 256 KiB reads: a read-back or restore pays a quarter of the thread-pool round trips of 64 KiB reads.
      return createReadStream(file, { highWaterMark: 256 * 1024, ...(signal ? { signal } : {}) });
    },

    async hashPart(location: StoredLocation, signal?: AbortSignal, onRead?: () => void) {
      const file = inside(location.locator);
      try {
        return await hashFile(file, signal, onRead);
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        return fail(`cannot read ${file}`, { key: "dest-action-read", params: { path: file } }, err);
      }
    },

    async discardUnfinished(run: RunLabel, fileName: string): Promise<string[]> {
      const dir = path.join(root, safeSegment(run.jobName));
      const ofThisRun = (entry: string) => {
        const stored = TEMP_NAME.exec(entry)?.[1];
        return stored !== undefined && isRunFile(fileName, stored);
      };
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        return fail(`cannot read ${dir}`, { key: "dest-action-read", params: { path: dir } }, err);
      }
      const removed: string[] = [];
      for (const name of names.filter(ofThisRun)) {
        const file = path.join(dir, name);
        try {
          await rm(file, { force: true });
        } catch (err) {
          fail(`cannot delete ${file}`, { key: "dest-action-delete-file", params: { path: file } }, err);
        }
        removed.push(file);
      }
      return removed;
    },

    async delete(locations: StoredLocation[], signal?: AbortSignal) {
      for (const l of locations) {
        signal?.throwIfAborted();
        try {
          await rm(inside(l.locator), { force: true });
        } catch (err) {
          fail(`cannot delete ${l.locator}`, { key: "dest-action-delete-file", params: { path: l.locator } }, err);
        }
      }
      return { refused: [] };
    },

    localPath(location: StoredLocation) {
      return inside(location.locator);
    },
  };
}
