import { randomBytes } from "node:crypto";

/**
 * Names of the databases a restore creates. Scratch and trash databases carry their
 * creation time, so a later restore can recognise and drop the ones a killed restore left
 * behind (`isStaleScratch`) without touching one that another restore is still using.
 */

/** PostgreSQL truncates identifiers at 63 bytes; MySQL/MariaDB allow 64 characters. */
export const MAX_DATABASE_NAME_BYTES = 63;

const SCRATCH = /__tb_(scratch|trash)_(\d{14})_[0-9a-f]{4}$/;
/** A scratch database untouched for this long (and not in use) was left by a killed restore. */
export const STALE_SCRATCH_MS = 10 * 60_000;

/** `s` cut to at most `max` UTF-8 bytes, never inside a character. */
export function cutToBytes(s: string, max: number): string {
  let out = "";
  let bytes = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > max) break;
    out += ch;
    bytes += b;
  }
  return out;
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** `<db>__tb_scratch_<utc yyyymmddhhmmss>_<4 hex>` (≤ 63 bytes). */
export function scratchDatabaseName(database: string, role: "scratch" | "trash", now: Date): string {
  const suffix = `__tb_${role}_${stamp(now)}_${randomBytes(2).toString("hex")}`;
  return cutToBytes(database, MAX_DATABASE_NAME_BYTES - suffix.length) + suffix;
}

function stampTime(t: string): number {
  return Date.UTC(+t.slice(0, 4), +t.slice(4, 6) - 1, +t.slice(6, 8), +t.slice(8, 10), +t.slice(10, 12), +t.slice(12, 14));
}

/** True for a scratch/trash database older than `STALE_SCRATCH_MS`. */
export function isStaleScratch(name: string, now: Date): boolean {
  const m = SCRATCH.exec(name);
  return m ? now.getTime() - stampTime(m[2]!) > STALE_SCRATCH_MS : false;
}

/**
 * The table that marks a MySQL/MariaDB database as an unfinished restore:
 * `__tb_restore_incomplete_<utc yyyymmddhhmmss>`. It is created together with the new
 * database, before anything is copied in, and dropped only after the copy finished cleanly.
 */
export const INCOMPLETE_MARKER_PREFIX = "__tb_restore_incomplete_";
const MARKER = /^__tb_restore_incomplete_(\d{14})$/;

export function incompleteMarkerName(now: Date): string {
  return `${INCOMPLETE_MARKER_PREFIX}${stamp(now)}`;
}

export function isIncompleteMarker(table: string): boolean {
  return MARKER.test(table);
}

/** True for a marker table older than `STALE_SCRATCH_MS`: its restore was killed (if no connection uses the database). */
export function isStaleMarker(table: string, now: Date): boolean {
  const m = MARKER.exec(table);
  return m ? now.getTime() - stampTime(m[1]!) > STALE_SCRATCH_MS : false;
}

export function isScratchName(name: string): boolean {
  return SCRATCH.test(name);
}

/**
 * The name proposed for "restore into a new database": `<db>_restored_<yyyymmdd_hhmm>`,
 * the time being the backup's, in `timeZone`.
 */
export function proposedDatabaseName(database: string, backupTime: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(backupTime)
      .map((p) => [p.type, p.value]),
  );
  const suffix = `_restored_${parts.year}${parts.month}${parts.day}_${parts.hour}${parts.minute}`;
  return cutToBytes(database, MAX_DATABASE_NAME_BYTES - suffix.length) + suffix;
}
