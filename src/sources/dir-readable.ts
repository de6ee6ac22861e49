import { constants } from "node:fs";
import { access, readdir } from "node:fs/promises";
import path from "node:path";
import type { ExcludeMatcher } from "./exclude.js";
import { SourceError } from "./port.js";

/** How many unreadable paths the error names, and how many entries a check looks at before trusting the rest. */
const SHOWN = 5;
const MAX_ENTRIES = 100_000;

/**
 * The first paths under `dir` this process cannot read (files: read; folders: list), depth
 * first, leaving out what the source excludes. The backup would skip them with a warning, so
 * the connection test names them instead.
 */
export async function findUnreadable(dir: string, exclude: ExcludeMatcher = () => false): Promise<string[]> {
  const found: string[] = [];
  let seen = 0;
  const walk = async (folder: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      found.push(folder);
      return;
    }
    for (const e of entries) {
      if (found.length > SHOWN || ++seen > MAX_ENTRIES) return;
      const full = path.join(folder, e.name);
      if (exclude(path.relative(dir, full).split(path.sep).join("/"), e.isDirectory())) continue;
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && !(await access(full, constants.R_OK).then(() => true, () => false))) found.push(full);
    }
  };
  await walk(dir);
  return found;
}

/** Throws a SourceError naming the first unreadable paths under `dir`. */
export async function assertTreeReadable(dir: string, exclude?: ExcludeMatcher): Promise<void> {
  const found = await findUnreadable(dir, exclude);
  if (found.length === 0) return;
  const paths = found.length > SHOWN ? `${found.slice(0, SHOWN).join(", ")}, …` : found.join(", ");
  throw new SourceError(`some files under ${dir} cannot be read: ${paths}`, "directory", { key: "source-error-dir-unreadable", params: { path: dir, paths } });
}
