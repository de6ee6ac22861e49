import path from "node:path";

/**
 * Where DATA_DIR puts the database: shared by the configuration (env.ts) and main.ts, which
 * starts the master key's derivation from the raw environment before the configuration loads.
 */

/** DATA_DIR as configured: trimmed, `./data` when unset, made absolute. */
export function dataDirFrom(raw: string | undefined): string {
  return path.resolve(raw?.trim() || "./data");
}

export function dbFileIn(dataDir: string): string {
  return path.join(dataDir, "tele-backup.sqlite");
}
