import { constants, type Dirent } from "node:fs";
import { access, readdir } from "node:fs/promises";
import path from "node:path";
import type { ExcludeMatcher } from "./exclude.js";
import { SourceError } from "./port.js";

const SLASH = Buffer.from("/");

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
  // By the names' bytes, as the backup walks (a name need not be UTF-8); shown as text.
  const walk = async (folder: Buffer, rel: Buffer | null): Promise<void> => {
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(folder, { withFileTypes: true, encoding: "buffer" });
    } catch {
      found.push(path.join(folder.toString()));
      return;
    }
    for (const e of entries) {
      if (found.length > SHOWN || ++seen > MAX_ENTRIES) return;
      const full = Buffer.concat([folder, SLASH, e.name]);
      const relative = rel ? Buffer.concat([rel, SLASH, e.name]) : e.name;
      if (exclude(relative.toString(), e.isDirectory())) continue;
      if (e.isDirectory()) await walk(full, relative);
      else if (e.isFile() && !(await access(full, constants.R_OK).then(() => true, () => false))) found.push(path.join(full.toString()));
    }
  };
  await walk(Buffer.from(dir), null);
  return found;
}

/** Throws a SourceError naming the first unreadable paths under `dir`. */
export async function assertTreeReadable(dir: string, exclude?: ExcludeMatcher): Promise<void> {
  const found = await findUnreadable(dir, exclude);
  if (found.length === 0) return;
  const paths = found.length > SHOWN ? `${found.slice(0, SHOWN).join(", ")}, …` : found.join(", ");
  throw new SourceError(`some files under ${dir} cannot be read: ${paths}`, "directory", { key: "source-error-dir-unreadable", params: { path: dir, paths } });
}
