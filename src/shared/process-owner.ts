import { readdirSync, readFileSync } from "node:fs";

/**
 * Who owns a piece of work that must survive a crash (a running backup, a restore, a stopped
 * container, a temporary folder): a process, named so that a later process can tell whether
 * the owner is still alive. A pid alone is not enough — pids are reused, and the first
 * process of a restarted container is pid 1 again — so the token also holds the process's
 * start time (field 22 of /proc/<pid>/stat, clock ticks since boot) and the boot id.
 *
 * Token: `<pid>.<start ticks>` or, where /proc is not there (not Linux), `<pid>` alone; the
 * boot id is a separate part so folder names stay short: `<boot id>:<pid>.<start ticks>`.
 *
 * Contract: `isOwnerAlive(token)` is true only while the process that made the token runs.
 * Tokens are compared within one pid namespace: every process that shares a DATA_DIR must
 * see the others' pids (the same host, or the same container through `docker exec`).
 */

let own: { tag: string; token: string } | undefined;

/** The short form used in folder names: `<pid>.<start ticks>` (no boot id). */
export function ownerTag(): string {
  return self().tag;
}

/** The full token stored with runs, restores and helper containers. */
export function ownerToken(): string {
  return self().token;
}

function self(): { tag: string; token: string } {
  if (own) return own;
  const start = startTicks(process.pid);
  const tag = start === null ? String(process.pid) : `${process.pid}.${start}`;
  own = { tag, token: `${bootId() ?? "-"}:${tag}` };
  return own;
}

/**
 * Whether the process behind a token (or a tag, `<pid>[.<ticks>]`) still runs. Null or an
 * unreadable token means an owner from before owners were recorded: treated as gone.
 */
export function isOwnerAlive(token: string | null | undefined): boolean {
  if (!token) return false;
  const colon = token.lastIndexOf(":");
  const boot = colon >= 0 ? token.slice(0, colon) : null;
  const tag = colon >= 0 ? token.slice(colon + 1) : token;
  const match = /^(\d+)(?:\.(\d+))?$/.exec(tag);
  if (!match) return false;
  const pid = Number(match[1]);
  if (boot !== null && boot !== "-" && boot !== bootId()) return false; // made before a reboot
  if (!pidExists(pid)) return false;
  if (match[2] === undefined) return true;
  const start = startTicks(pid);
  // Without /proc the pid is all we can check.
  return start === null ? true : String(start) === match[2];
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** `<pid>.<start ticks>` of another process (one just spawned), for `killProcessGroup` later; `<pid>` without /proc. */
export function processTag(pid: number): string {
  const start = startTicks(pid);
  return start === null ? String(pid) : `${pid}.${start}`;
}

/**
 * Kills (SIGKILL) the process group a spawned process led (`detached: true`), named by its
 * `processTag`, if any of the group still runs. A group outlives its leader, and its id is not
 * given to another group while any member lives; a live process with that pid but another
 * start time is someone else's, and is left alone. Returns whether a group was signalled.
 */
export function killProcessGroup(tag: string): boolean {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(tag);
  if (!match) return false;
  const pid = Number(match[1]);
  const start = startTicks(pid);
  if (start !== null && match[2] !== undefined && String(start) !== match[2]) return false;
  if (!processGroupRuns(pid)) return false;
  try {
    process.kill(-pid, "SIGKILL");
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/**
 * Whether any process of group `pgid` still runs: one that is not a zombie (a killed process
 * whose parent has not collected it yet still takes signals). Without /proc: whether the
 * group takes a signal.
 */
export function processGroupRuns(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // After the command name: state, ppid, pgrp (fields 3, 4, 5).
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z" && state !== "X") return true;
  }
  return false;
}

/** Field 22 of /proc/<pid>/stat, or null without /proc. Null too for a pid that is gone. */
function startTicks(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[19]); // field 22 overall = index 19 after pid and comm
  return Number.isFinite(ticks) ? ticks : null;
}

let boot: string | null | undefined;
function bootId(): string | null {
  if (boot !== undefined) return boot;
  try {
    boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
  } catch {
    boot = null;
  }
  return boot;
}
