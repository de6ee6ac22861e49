import { lstat, readdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { oneLine } from "./one-line.js";

/**
 * A restore into an existing folder extracts into a staging folder inside it and moves the
 * entries up only once the payload is complete and checked (renames on one file system). These
 * moves never overwrite and never leave a mix: the twin of the volume driver's helper scripts
 * (src/docker/restore-volume.ts), for folders this process can reach itself.
 *
 * Before the first move a marker, `<staging>.moving`, is written beside the staging folder: from
 * then on the restore only goes forward. Moves stopped halfway (a kill) are finished by
 * `settleStaged`, which start-up recovery and the next restore into the folder run; without the
 * marker the payload may be partial and the staging folder is removed.
 */

/** The marker beside staging folder `staging` that says its moves into place have begun. */
export const movingMarker = (staging: string): string => `${staging}.moving`;

/** The moves failed and were undone, or never began: the folder is as it was (the staging folder stays, to be removed). */
export class NothingMovedError extends Error {
  /** The name the folder already had, when that stopped the moves before the first one (for the reader's language). */
  declare readonly taken?: string;

  constructor(message: string, taken?: string) {
    super(message);
    // Not enumerable: like `cause`, beside the message rather than one more field of the error.
    Object.defineProperty(this, "taken", { value: taken, enumerable: false });
  }
}

/** Whether anything is at `file` (a dangling symlink counts). */
async function present(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}

/** The first entry of `staging` whose name its parent already has, if any. */
async function taken(staging: string, names: string[]): Promise<string | undefined> {
  const dir = path.dirname(staging);
  for (const name of names) if (await present(path.join(dir, name))) return name;
  return undefined;
}

/**
 * Moves every entry of `staging` up into its parent folder and removes it. A name the parent
 * already has (something wrote there meanwhile) stops the moves before the first one; a move
 * that fails puts back the ones before it. Both throw NothingMovedError. Anything else thrown
 * (the way back failing) leaves the marker: `settleStaged` finishes the moves.
 */
export async function moveStagedIntoPlace(staging: string): Promise<void> {
  const dir = path.dirname(staging);
  const names = await readdir(staging);
  const first = await taken(staging, names);
  if (first !== undefined) throw new NothingMovedError(`already in the folder: ${first}`, first);
  await writeFile(movingMarker(staging), "", { mode: 0o600 });
  const moved: string[] = [];
  try {
    for (const name of names) {
      if (await present(path.join(dir, name))) throw new Error(`already in the folder: ${name}`);
      await rename(path.join(staging, name), path.join(dir, name));
      moved.push(name);
    }
  } catch (err) {
    for (const name of moved.reverse()) await rename(path.join(dir, name), path.join(staging, name));
    await rm(movingMarker(staging), { force: true });
    throw new NothingMovedError(`cannot move into place: ${oneLine(err)}`);
  }
  await rmdir(staging);
  await rm(movingMarker(staging), { force: true });
}

/** What settling a stopped restore's staging folder did; `absent`: there was nothing to settle. */
export type SettledStaging = "finished" | "removed" | "absent";

/**
 * A stopped restore's staging folder: with the marker its moves had begun and are finished
 * (a name the parent already has throws, nothing more moved); without it the folder is removed.
 */
export async function settleStaged(staging: string): Promise<SettledStaging> {
  const marker = movingMarker(staging);
  if (await present(marker)) {
    if (await present(staging)) {
      const names = await readdir(staging);
      const first = await taken(staging, names);
      if (first !== undefined) throw new Error(`cannot finish moving ${staging} into place: already in the folder: ${first}`);
      for (const name of names) await rename(path.join(staging, name), path.join(path.dirname(staging), name));
      await rmdir(staging);
    }
    await rm(marker, { force: true });
    return "finished";
  }
  if (!(await present(staging))) return "absent";
  await rm(staging, { recursive: true, force: true });
  return "removed";
}
