import { constants } from "node:fs";
import { access, mkdir, readFile, rm, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** The first executable `name` on PATH or in the sbin/bin folders (dockerd lives in /usr/sbin). */
export async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
  for (const d of dirs.filter(Boolean)) {
    const candidate = path.join(d, name);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface DirLockOptions {
  /** A lock without an owner pid this old is taken over (its owner died before writing it). */
  orphanAfterMs: number;
  /** Take the lock over anyway after waiting this long. */
  giveUpAfterMs: number;
  pollMs: number;
}

/**
 * A lock directory between test runs that start at the same time (mkdir is atomic); a dead
 * owner's lock is taken over.
 */
export async function withDirLock<T>(lock: string, options: DirLockOptions, fn: () => Promise<T>): Promise<T> {
  for (let waited = 0; ; waited += options.pollMs) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(await readFile(path.join(lock, "pid"), "utf8").catch(() => "0"));
      const age = Date.now() - (await stat(lock).then((s) => s.mtimeMs, () => Date.now()));
      if ((owner > 0 && !isAlive(owner)) || (owner === 0 && age > options.orphanAfterMs) || waited > options.giveUpAfterMs) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      await sleep(options.pollMs);
    }
  }
  await writeFile(path.join(lock, "pid"), String(process.pid));
  try {
    return await fn();
  } finally {
    await unlink(path.join(lock, "pid")).catch(() => undefined);
    await rmdir(lock).catch(() => undefined);
  }
}
