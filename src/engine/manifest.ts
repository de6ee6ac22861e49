import type { RunInventory } from "../db/schema.js";
import type { Compression, Encryption } from "../domain.js";
import type { DumpFormat, SourceKind } from "../sources/port.js";
import { VERSION } from "../version.js";

export interface ManifestPart {
  index: number;
  name: string;
  size: number;
  sha256: string;
  /** Per destination name: where this part is (file path, or chat id + message id). */
  stored: Record<string, { locator: string; message_id?: number; file_id?: string }>;
}

/** The public description of one backup (artifact format in DESIGN.md). Snake case: users read it. */
export interface Manifest {
  tool: "tele-backup";
  tool_version: string;
  run_id: number;
  /** The installation that made the run (src/engine/installation.ts); absent in manifests of older versions. */
  installation_id?: string;
  job: string;
  source: { name: string; kind: SourceKind; server_version?: string };
  format: DumpFormat;
  compression: Compression;
  encryption: { type: Encryption["kind"]; recipients?: string[] };
  started_at: string;
  finished_at: string;
  raw_size: number;
  payload: { name: string; size: number; sha256: string };
  parts: ManifestPart[];
  restore: string;
  /** 2 since per-table row counts / file counts were added; absent in older manifests (1). */
  manifest_version?: number;
  /** What the dump held, counted at dump time (absent when the format cannot be counted in passing). */
  inventory?: RunInventory;
}

/** The one-line manual restore recipe: only standard tools, no tele-backup. */
export function restoreRecipe(opts: {
  payloadName: string;
  kind: SourceKind;
  format: DumpFormat;
  compression: Compression;
  encryption: Encryption["kind"];
}): string {
  const steps = [`cat ${opts.payloadName}.[0-9][0-9][0-9]`];
  if (opts.encryption === "recipients") steps.push("age -d -i key.txt");
  if (opts.encryption === "passphrase") steps.push("age -d");
  if (opts.compression === "gzip") steps.push("gunzip");
  if (opts.compression === "zstd") steps.push("zstd -d");
  const raw = opts.payloadName.replace(/\.age$/, "").replace(/\.(gz|zst)$/, "");
  switch (opts.kind) {
    case "postgres":
      steps.push(opts.format === "custom" ? "pg_restore --no-owner -d DBNAME" : "psql -v ON_ERROR_STOP=1 -d DBNAME");
      break;
    case "mysql":
      steps.push("mariadb DBNAME");
      break;
    case "sqlite":
      return `${steps.join(" | ")} > ${raw}`;
    case "redis":
      return `${steps.join(" | ")} > dump.rdb`;
    case "volume":
    case "directory":
      steps.push("tar -x -p -C TARGET_DIR");
      break;
  }
  return steps.join(" | ");
}

export { VERSION };
