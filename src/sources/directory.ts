import { constants } from "node:fs";
import { access, mkdir, readdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { SourceError, type Dump, type DumpFormat, type SourceConfig, type SourceDeps, type SourceDriver } from "./port.js";
import { assertTreeReadable } from "./dir-readable.js";
import { excludeMatcher, type ExcludeMatcher } from "./exclude.js";
import { archiveTree, notGnuTar } from "./gnu-tar.js";
import { extractTree } from "./tar.js";
import { oneLine } from "../shared/one-line.js";
import { isOwnerAlive, ownerTag } from "../shared/process-owner.js";
import { moveStagedIntoPlace, NothingMovedError, settleStaged } from "../shared/staged-moves.js";

/** A restore's staging folder inside its target, `.tele-backup-restore-<owner tag>`, or its `.moving` marker (src/shared/staged-moves.ts). */
const STAGING = /^\.tele-backup-restore-(\d+(?:\.\d+)?)(?:\.moving)?$/;
const stagingOf = (dir: string, owner = ownerTag()) => path.join(dir, `.tele-backup-restore-${owner}`);

/**
 * A plain directory, backed up as a tar with entries relative to it (the same layout as the
 * volume source). Restores go into a new or empty directory: the archive is extracted into a
 * hidden staging folder inside it, and only a complete, checked payload has its entries moved
 * up (renames on one file system, milliseconds; never overwriting, undone when one fails). A
 * restore that fails before its moves removes the staging folder (and the directory, if it made
 * it), so the target is as it was; after a kill, start-up recovery settles it (`restoreScratch`),
 * and so does the next restore into it: removed, or its moves finished once they had begun.
 */
export function createDirectoryDriver(deps: SourceDeps): SourceDriver {
  const warnFor = (dir: string) => (entry: string, message: string) => deps.log.warn({ source: dir, entry }, message);

  return {
    kind: "directory",
    formats: ["tar"],
    extension: () => "tar",

    async check(config) {
      await assertReadableDirectory(directoryPath(config));
      await assertTreeReadable(directoryPath(config), excludeOf(config));
      await assertGnuTar();
      return {};
    },

    async dump(config, { format, signal }): Promise<Dump> {
      const dir = directoryPath(config);
      assertTar(format);
      await assertReadableDirectory(dir);
      if (signal.aborted) throw new SourceError(`backup of directory ${dir} aborted`, "directory", { cause: signal.reason });
      const changed: string[] = [];
      const archive = archiveTree(dir, { signal, warn: warnFor(dir), exclude: excludeOf(config), changed: (entry) => changed.push(entry) });
      const counted = archive.done.catch((err: unknown) => {
        throw new SourceError(`backup of directory ${dir} failed: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-backup-failed", params: { path: dir, detail: oneLine(err) } });
      });
      const done = counted.then(() => undefined);
      done.catch(() => undefined); // the consumer awaits it; never an unhandled rejection meanwhile
      return {
        stream: archive.stream,
        done,
        changedWhileRead: () => [...changed],
        pipeInto: archive.pipeInto,
        rawBytes: archive.bytesWritten,
        files: () => counted.catch(() => null),
      };
    },

    restoreScratch(config) {
      return [stagingOf(directoryPath(config))];
    },

    async restore(config, input: Readable, { format, signal }) {
      // On failure the input is destroyed, so the stages feeding it end instead of waiting forever.
      try {
        const dir = directoryPath(config);
        assertTar(format);
        const made = await prepareEmptyDirectory(dir);
        const staging = stagingOf(dir);
        try {
          await mkdir(staging, { mode: 0o700 });
          await extractTree(input, staging, { signal, warn: warnFor(dir), restoreOwner: process.getuid?.() === 0 });
          await moveStagedIntoPlace(staging);
        } catch (err) {
          // Settled once more: removed when the moves never began or were undone, finished when they stopped halfway.
          const settled = await settleStaged(staging).catch((e: unknown) => e as Error);
          if (settled === "finished") {
            deps.log.warn({ target: dir, first: oneLine(err) }, "moving the restored files into place failed once; finished on the second try");
            return;
          }
          if (settled instanceof Error) {
            const detail = `${oneLine(err)}; then ${oneLine(settled)}`;
            throw new SourceError(
              `restore into directory ${dir} failed while moving the restored files into place (${detail}): the folder may hold part of the backup, the rest is in ${staging}`,
              "directory",
              { cause: err, key: "source-error-dir-move-stuck", params: { path: dir, staging, detail } },
            );
          }
          if (made) await rmdir(dir).catch(() => {});
          const detail = err instanceof NothingMovedError ? `${err.message}; nothing was moved, the folder is as it was` : oneLine(err);
          const said: { key: string; params: Record<string, string> } =
            err instanceof NothingMovedError && err.taken !== undefined ? { key: "source-error-dir-name-taken", params: { path: dir, name: err.taken } } : { key: "source-error-dir-restore-failed", params: { path: dir, detail } };
          throw new SourceError(`restore into directory ${dir} failed: ${detail}`, "directory", { cause: err, ...said });
        }
      } catch (err) {
        input.destroy();
        throw err;
      }
    },
  };
}

/** Folders are archived by GNU tar (src/sources/gnu-tar.ts): the connection test says when there is none. */
async function assertGnuTar(): Promise<void> {
  const not = await notGnuTar();
  if (!not) return;
  if (not.missing) throw new SourceError("cannot run tar: it is not installed or not on PATH (folders are archived by GNU tar)", "directory", { key: "source-error-tool-missing", params: { tool: "tar" } });
  throw new SourceError(`folders are archived by GNU tar, and the tar on PATH is another one (${not.said})`, "directory", { key: "source-error-dir-no-gnu-tar", params: { found: not.said } });
}

/** What the source leaves out (src/sources/exclude.ts). */
function excludeOf(config: SourceConfig): ExcludeMatcher {
  return excludeMatcher(config.kind === "directory" ? config.exclude : undefined);
}

function directoryPath(config: SourceConfig): string {
  if (config.kind !== "directory") throw new SourceError(`expected a directory source, got ${config.kind}`, "directory");
  return config.path;
}

function assertTar(format: DumpFormat): void {
  if (format !== "tar") throw new SourceError(`directory sources are backed up as tar, not "${format}"`, "directory");
}

async function assertReadableDirectory(dir: string): Promise<void> {
  const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new SourceError(`directory ${dir} does not exist`, "directory", { cause: err, key: "source-error-dir-missing", params: { path: dir } });
    throw new SourceError(`directory ${dir} is not readable: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-no-access", params: { path: dir, detail: oneLine(err) } });
  });
  if (!st.isDirectory()) throw new SourceError(`${dir} is not a directory`, "directory", { key: "source-error-dir-not-folder", params: { path: dir } });
  try {
    await access(dir, constants.R_OK | constants.X_OK);
    await readdir(dir);
  } catch (err) {
    throw new SourceError(`directory ${dir} is not readable: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-no-access", params: { path: dir, detail: oneLine(err) } });
  }
}

/**
 * Creates `dir` when missing (true: it made it); refuses a file or a directory that already has
 * content. The staging folder of a restore whose process is gone does not count: it is removed.
 */
async function prepareEmptyDirectory(dir: string): Promise<boolean> {
  const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw new SourceError(`cannot inspect restore target ${dir}: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-no-access", params: { path: dir, detail: oneLine(err) } });
  });
  if (!st) {
    await mkdir(dir, { recursive: true });
    return true;
  }
  if (!st.isDirectory()) throw new SourceError(`restore target ${dir} exists and is not a directory`, "directory", { key: "restore-error-target-not-folder", params: { path: dir } });
  // A dead restore's staging folder is settled: removed, or its moves finished (the folder then holds that backup).
  for (const name of await readdir(dir)) {
    const owner = STAGING.exec(name)?.[1];
    if (!owner || isOwnerAlive(owner)) continue;
    const settled = await settleStaged(stagingOf(dir, owner)).catch((err: unknown) => {
      throw new SourceError(`cannot settle what an interrupted restore left in ${dir}: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-no-access", params: { path: dir, detail: oneLine(err) } });
    });
    if (settled === "finished") {
      throw new SourceError(
        `restore target ${dir} held the files of an interrupted restore that was moving them into place; that restore was finished, so the folder now holds its backup: restore into a new or empty directory`,
        "directory",
        { key: "source-error-dir-finished-other", params: { path: dir } },
      );
    }
  }
  if ((await readdir(dir)).length > 0) {
    throw new SourceError(`restore target ${dir} is not empty: restore into a new or empty directory`, "directory", { key: "restore-error-target-not-empty", params: { path: dir } });
  }
  return false;
}
