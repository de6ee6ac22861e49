import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { RunInventory } from "../db/schema.js";
import { checkIntegrity, countTables, IntegrityCheckError } from "../sources/sqlite.js";
import { inventoryCounter } from "./inventory.js";

/** What a drill restored into a temporary file or folder, counted the way the dump was (src/engine/inventory.ts). */

/** A restored SQLite file that fails `PRAGMA integrity_check`. */
export class IntegrityError extends Error {
  override name = "IntegrityError";
}

/** Regular files under `dir` and their total size. */
export async function countFiles(dir: string): Promise<RunInventory> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    files++;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return { kind: "files", files, bytes };
}

/**
 * `PRAGMA integrity_check`, then every table with its row count (as a backup counts its
 * snapshot), both on a thread of their own: on the main thread a large file held the bot for
 * seconds. @throws IntegrityError
 */
export async function sqliteInventory(file: string, signal: AbortSignal): Promise<RunInventory> {
  try {
    await checkIntegrity(file, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    const why = err instanceof IntegrityCheckError ? `fails PRAGMA integrity_check: ${err.problems.join("; ")}` : `cannot be checked: ${(err as Error).message}`;
    throw new IntegrityError(`the restored SQLite file ${why}`, { cause: err });
  }
  return { kind: "rows", tables: await countTables(file, signal) };
}

/** Files and bytes of a restored tar (volumes: the archive is read without extracting it into a volume). */
export async function tarFileInventory(file: string): Promise<RunInventory> {
  const counter = inventoryCounter("directory", "tar")!;
  for await (const chunk of createReadStream(file)) counter.chunk(chunk as Buffer);
  counter.end?.();
  return counter.result();
}
