import { constants } from "node:fs";
import { access, mkdir, readdir, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { SourceError, type Dump, type DumpFormat, type SourceConfig, type SourceDeps, type SourceDriver } from "./port.js";
import { assertTreeReadable } from "./dir-readable.js";
import { extractTree, packToStream, packTree } from "./tar.js";
import { oneLine } from "../shared/one-line.js";

/**
 * A plain directory, backed up as a tar with entries relative to it (the same layout as the
 * volume source). Restores go into a new or empty directory.
 */
export function createDirectoryDriver(deps: SourceDeps): SourceDriver {
  const warnFor = (dir: string) => (entry: string, message: string) => deps.log.warn({ source: dir, entry }, message);

  return {
    kind: "directory",
    formats: ["tar"],
    extension: () => "tar",

    async check(config) {
      await assertReadableDirectory(directoryPath(config));
      await assertTreeReadable(directoryPath(config));
      return {};
    },

    async dump(config, { format, signal }): Promise<Dump> {
      const dir = directoryPath(config);
      assertTar(format);
      await assertReadableDirectory(dir);
      if (signal.aborted) throw new SourceError(`backup of directory ${dir} aborted`, "directory", { cause: signal.reason });
      const changed: string[] = [];
      const { stream, finished } = packToStream((pack) => packTree(dir, pack, { signal, warn: warnFor(dir), changed: (entry) => changed.push(entry) }), signal);
      const done = finished.catch((err: unknown) => {
        throw new SourceError(`backup of directory ${dir} failed: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-backup-failed", params: { path: dir, detail: oneLine(err) } });
      });
      done.catch(() => undefined); // the consumer awaits it; never an unhandled rejection meanwhile
      return { stream, done, changedWhileRead: () => [...changed] };
    },

    async restore(config, input: Readable, { format, signal }) {
      // On failure the input is destroyed, so the stages feeding it end instead of waiting forever.
      try {
        const dir = directoryPath(config);
        assertTar(format);
        await prepareEmptyDirectory(dir);
        try {
          await extractTree(input, dir, { signal, warn: warnFor(dir), restoreOwner: process.getuid?.() === 0 });
        } catch (err) {
          throw new SourceError(`restore into directory ${dir} failed: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-restore-failed", params: { path: dir, detail: oneLine(err) } });
        }
      } catch (err) {
        input.destroy();
        throw err;
      }
    },
  };
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

/** Creates `dir` when missing; refuses a file or a directory that already has content. */
async function prepareEmptyDirectory(dir: string): Promise<void> {
  const st = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw new SourceError(`cannot inspect restore target ${dir}: ${oneLine(err)}`, "directory", { cause: err, key: "source-error-dir-no-access", params: { path: dir, detail: oneLine(err) } });
  });
  if (!st) {
    await mkdir(dir, { recursive: true });
    return;
  }
  if (!st.isDirectory()) throw new SourceError(`restore target ${dir} exists and is not a directory`, "directory", { key: "restore-error-target-not-folder", params: { path: dir } });
  if ((await readdir(dir)).length > 0) {
    throw new SourceError(`restore target ${dir} is not empty: restore into a new or empty directory`, "directory", { key: "restore-error-target-not-empty", params: { path: dir } });
  }
}
