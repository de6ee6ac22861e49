import { hostname } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import type { SettingsRepo } from "../repos/settings.repo.js";

/**
 * One `tele-backup run` per data folder. Two would run every job twice at each fire time, send
 * every alert twice, and fight over the bot's updates (Telegram serves getUpdates to one poller).
 *
 * The lock is an exclusive SQLite transaction held on `daemon.lock` in the data folder for the
 * daemon's lifetime: SQLite takes it with POSIX record locks, which the kernel drops when the
 * process ends however it ends (SIGKILL, OOM, power loss leaves no stale lock), and which other
 * containers on the same host sharing the folder see too (a pid file would be read in another
 * pid namespace). Command-line commands (`backup`, `restore`, …) do not take it: they run beside
 * the daemon.
 */

/** Settings key naming the daemon that holds the lock, for the refusal message. */
export const DAEMON_HOLDER_KEY = "daemon.holder";

export interface DaemonHolder {
  pid: number;
  host: string;
  since: string;
}

/** Another `tele-backup run` holds the data folder; `holder` is what it recorded (null if unknown). */
export class DaemonLockedError extends Error {
  constructor(readonly holder: DaemonHolder | null) {
    super(`another tele-backup run already uses this data folder${holder ? ` (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : ""}`);
  }
}

export interface DaemonLock {
  release(): void;
}

/** Takes the data folder's daemon lock, or throws DaemonLockedError when a live daemon holds it. */
export function lockDaemon(dataDir: string, settings: Pick<SettingsRepo, "get" | "set">, now = new Date()): DaemonLock {
  const db = new Database(path.join(dataDir, "daemon.lock"), { timeout: 0 });
  try {
    db.pragma("journal_mode = MEMORY"); // it never writes: no -journal file beside it
    db.exec("BEGIN EXCLUSIVE");
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== "SQLITE_BUSY") throw err;
    throw new DaemonLockedError(readHolder(settings));
  }
  const holder: DaemonHolder = { pid: process.pid, host: hostname(), since: now.toISOString() };
  settings.set(DAEMON_HOLDER_KEY, JSON.stringify(holder));
  return {
    release() {
      if (!db.open) return;
      db.exec("ROLLBACK");
      db.close();
    },
  };
}

function readHolder(settings: Pick<SettingsRepo, "get">): DaemonHolder | null {
  try {
    const v = JSON.parse(settings.get(DAEMON_HOLDER_KEY) ?? "null") as DaemonHolder | null;
    return v && Number.isInteger(v.pid) && typeof v.host === "string" && typeof v.since === "string" ? v : null;
  } catch {
    return null;
  }
}
