import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import type { RunInventory } from "../db/schema.js";
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

/** `PRAGMA integrity_check`, then every table with its row count. @throws IntegrityError */
export function sqliteInventory(file: string): RunInventory {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma("integrity_check", { simple: true });
    if (check !== "ok") throw new IntegrityError(`the restored SQLite file fails PRAGMA integrity_check: ${String(check)}`);
    const tables: Record<string, number> = {};
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
    for (const name of names) tables[name] = db.prepare(`SELECT count(*) FROM "${name.replace(/"/g, '""')}"`).pluck().get() as number;
    return { kind: "rows", tables };
  } finally {
    db.close();
  }
}

/** Files and bytes of a restored tar (volumes: the archive is read without extracting it into a volume). */
export async function tarFileInventory(file: string): Promise<RunInventory> {
  const counter = inventoryCounter("directory", "tar")!;
  for await (const _ of counter.stage(createReadStream(file))) {
    // counting only
  }
  return counter.result();
}
